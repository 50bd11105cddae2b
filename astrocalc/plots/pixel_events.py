"""events/pixel_events.png: where pixel-level events happen, how one spreads, their sizes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._style import image_limits, new_figure, save, scale_bar


def plot_pixel_events(
    mean_image: np.ndarray,
    events: pd.DataFrame,
    footprints: pd.DataFrame,
    path,
    *,
    pixel_size_um: float,
    duration_s: float,
):
    """Three panels: events per minute at each pixel over the mean image; the onset map of
    the largest event that spreads measurably (or the largest event), with its speed and
    direction; footprint area against onset time, local and global events apart."""
    fig = new_figure(7.0, 2.6)
    h, w = mean_image.shape
    rate = np.zeros((h, w))
    if len(footprints):
        np.add.at(rate, (footprints.y.to_numpy(), footprints.x.to_numpy()), 1.0)
    rate /= duration_s / 60.0

    ax = fig.add_subplot(1, 3, 1)
    lo, hi = image_limits(mean_image)
    ax.imshow(mean_image, cmap="gray", vmin=lo, vmax=hi)
    shown = np.ma.masked_where(rate == 0, rate)
    im = ax.imshow(shown, cmap="magma", alpha=0.85, vmin=0, vmax=max(rate.max(), 1e-9))
    fig.colorbar(im, ax=ax, shrink=0.8, label="events / min")
    ax.set_title("event frequency")
    ax.set_axis_off()
    scale_bar(ax, pixel_size_um, w)

    ax = fig.add_subplot(1, 3, 2)
    ax.imshow(mean_image, cmap="gray", vmin=lo, vmax=hi)
    if len(events):
        spreading = events[events.speed_um_s.notna()]
        pick = (spreading if len(spreading) else events).sort_values("area_px").iloc[-1]
        fp = footprints[footprints.event_id == pick.event_id]
        onset = np.full((h, w), np.nan)
        onset[fp.y.to_numpy(), fp.x.to_numpy()] = fp.onset_s.to_numpy() - fp.onset_s.min()
        im = ax.imshow(np.ma.masked_invalid(onset), cmap="viridis")
        fig.colorbar(im, ax=ax, shrink=0.8, label="onset (s)")
        title = f"event {int(pick.event_id)} at {pick.onset_s:.1f} s"
        if np.isfinite(pick.speed_um_s):
            title += f", {pick.speed_um_s:.1f} \u00b5m/s"
            angle = np.radians(pick.direction_deg)
            length = 0.15 * min(h, w)
            ax.annotate(
                "",
                xy=(pick.x + length * np.cos(angle), pick.y + length * np.sin(angle)),
                xytext=(pick.x, pick.y),
                arrowprops={"arrowstyle": "->", "color": "white", "lw": 1.2},
            )
        ax.set_title(title)
    else:
        ax.set_title("no event")
    ax.set_axis_off()
    scale_bar(ax, pixel_size_um, w)

    ax = fig.add_subplot(1, 3, 3)
    for kind, colour in (("local", "#1f77b4"), ("global", "#d62728")):
        sel = events[events.kind == kind]
        ax.scatter(sel.onset_s, sel.area_um2, s=6, color=colour, label=f"{kind} ({len(sel)})")
    if len(events):
        ax.set_yscale("log")
    ax.set_xlabel("onset (s)")
    ax.set_ylabel("footprint (\u00b5m\u00b2)")
    ax.set_xlim(0, duration_s)
    ax.legend(frameon=False)
    ax.set_title("event sizes")
    return save(fig, path, formats=("png",), dpi=200)
