"""motion/qc.png: shifts over time, correlation with the reference, mean image before/after."""

from __future__ import annotations

import numpy as np

from ._style import image_limits, new_figure, save, scale_bar


def plot_motion_qc(
    shifts,
    mean_before: np.ndarray,
    mean_after: np.ndarray,
    path,
    *,
    frame_rate_hz: float,
    pixel_size_um: float,
    crispness: tuple[float, float],
):
    fig = new_figure(7.0, 4.2)
    grid = fig.add_gridspec(2, 3)
    t = shifts.frame.to_numpy() / frame_rate_hz
    ax = fig.add_subplot(grid[0, :2])
    ax.plot(t, shifts.dy, lw=0.6, label="dy")
    ax.plot(t, shifts.dx, lw=0.6, label="dx")
    ax.set_ylabel("shift (px)")
    ax.legend(loc="upper right", frameon=False, ncol=2)
    ax.set_title("Rigid shift of each frame relative to the reference")
    ax2 = fig.add_subplot(grid[1, :2], sharex=ax)
    ax2.plot(t, shifts.corr_before, lw=0.6, color="0.6", label="before")
    ax2.plot(t, shifts["corr"], lw=0.6, color="k", label="after")
    flagged = shifts.flagged.to_numpy(bool)
    if flagged.any():
        ax2.plot(t[flagged], shifts["corr"][flagged], "r.", ms=3, label="flagged")
    ax2.set_xlabel("time (s)")
    ax2.set_ylabel("r with reference")
    ax2.legend(loc="lower right", frameon=False, ncol=3)
    lo, hi = image_limits(mean_after)
    for row, (img, title) in enumerate(
        (
            (mean_before, f"mean before (crispness {crispness[0]:.3g})"),
            (mean_after, f"mean after (crispness {crispness[1]:.3g})"),
        )
    ):
        a = fig.add_subplot(grid[row, 2])
        a.imshow(img, cmap="gray", vmin=lo, vmax=hi)
        a.set_title(title)
        a.set_axis_off()
        scale_bar(a, pixel_size_um, img.shape[1])
    return save(fig, path, formats=("png",), dpi=150)
