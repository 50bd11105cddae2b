"""correlation/correlation.png/.svg: clustered heat map and ROI map coloured by cluster."""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps

from ._style import image_limits, new_figure, save, scale_bar
from .rois import draw_outlines


def cluster_colours(clusters: np.ndarray) -> list:
    """Colour of each ROI: tab10/tab20 by cluster; singleton clusters in grey."""
    sizes = np.bincount(clusters)
    cmap = colormaps["tab20"] if clusters.max() > 10 else colormaps["tab10"]
    colours, k = {}, 0
    for c in np.unique(clusters):
        if sizes[c] > 1:
            colours[c] = cmap(k % cmap.N)
            k += 1
        else:
            colours[c] = (0.6, 0.6, 0.6, 1.0)
    return [colours[c] for c in clusters]


def plot_correlation(
    r: np.ndarray,
    roi_ids: np.ndarray,
    order: np.ndarray,
    clusters: np.ndarray,
    image: np.ndarray,
    labels: np.ndarray,
    path,
    *,
    pixel_size_um: float,
    title: str = "",
):
    n = len(roi_ids)
    fig = new_figure(7.0, 3.4)
    ax = fig.add_subplot(1, 2, 1)
    im = ax.imshow(r[np.ix_(order, order)], cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    step = max(1, int(np.ceil(n / 40)))
    ticks = np.arange(0, n, step)
    ax.set_xticks(ticks, [str(roi_ids[order][i]) for i in ticks], rotation=90)
    ax.set_yticks(ticks, [str(roi_ids[order][i]) for i in ticks])
    ax.set_xlabel("ROI id (clustered order)")
    ax.set_ylabel("ROI id (clustered order)")
    ax.set_title("Pairwise Pearson r of dF/F" + (f" - {title}" if title else ""))
    # cluster boundaries along the ordered axis
    ordered = clusters[order]
    for b in np.flatnonzero(np.diff(ordered)) + 0.5:
        ax.axhline(b, color="k", lw=0.3)
        ax.axvline(b, color="k", lw=0.3)
    cb = fig.colorbar(im, ax=ax, shrink=0.8)
    cb.set_label("Pearson r")
    ax2 = fig.add_subplot(1, 2, 2)
    lo, hi = image_limits(image)
    ax2.imshow(image, cmap="gray", vmin=lo, vmax=hi)
    draw_outlines(ax2, labels, cluster_colours(clusters), lw=0.9)
    ax2.set_title(f"ROIs coloured by cluster ({len(np.unique(clusters))} clusters)")
    ax2.set_axis_off()
    scale_bar(ax2, pixel_size_um, image.shape[1])
    return save(fig, path, formats=("png", "svg", "pdf"))


def plot_distance(pairs, decay: dict, path):
    """correlation/r_vs_distance.png/.svg/.pdf: r of every pair against the distance between
    the ROIs' centroids, significant pairs (FDR) highlighted, binned means and the fitted
    exponential decay with its length constant."""
    fig = new_figure(3.5, 3.2)
    ax = fig.add_subplot(1, 1, 1)
    sig = pairs.significant.to_numpy(bool)
    ax.scatter(pairs.distance_um[~sig], pairs.r[~sig], s=3, color="0.7", label="not significant")
    ax.scatter(pairs.distance_um[sig], pairs.r[sig], s=3, color="#1f77b4", label="FDR < 5 %")
    bins = decay["bins"]
    ax.plot(bins.distance_um, bins.mean_r, "o", color="k", ms=3, label="binned mean")
    if np.isfinite(decay["length_um"]):
        d = np.linspace(0, float(pairs.distance_um.max()), 200)
        fitted = decay["floor"] + decay["amplitude"] * np.exp(-d / decay["length_um"])
        ax.plot(d, fitted, color="#d62728", label=f"fit, length {decay['length_um']:.1f} \u00b5m")
    ax.axhline(0, color="k", lw=0.4)
    ax.set_xlabel("distance between ROI centroids (\u00b5m)")
    ax.set_ylabel("Pearson r of dF/F")
    fig.legend(loc="outside lower center", ncol=2, frameon=False)
    return save(fig, path, formats=("png", "svg", "pdf"))


def plot_panel(
    image: np.ndarray,
    labels: np.ndarray,
    roi_ids: np.ndarray,
    clusters: np.ndarray,
    order: np.ndarray,
    r: np.ndarray,
    dff: np.ndarray,
    events,
    path,
    *,
    frame_rate_hz: float,
    pixel_size_um: float,
    n_traces: int = 6,
):
    """correlation/panel.png/.svg/.pdf, laid out like the usual first figure of a
    microdomain-synchrony study: (a) ROIs coloured by cluster over the max-minus-mean
    image, (b) dF/F of example ROIs from the largest cluster and from outside it, events
    shaded and co-active ones (``n_rois`` > 1) in the cluster's colour, (c) the clustered
    correlation matrix."""
    colours = cluster_colours(clusters)
    fig = new_figure(7.0, 2.8)
    grid = fig.add_gridspec(1, 3, width_ratios=[1, 1.6, 1.1])

    ax = fig.add_subplot(grid[0])
    lo, hi = image_limits(image)
    ax.imshow(image, cmap="gray", vmin=lo, vmax=hi)
    draw_outlines(ax, labels, colours, lw=0.8)
    ax.set_title("a  ROIs by cluster", loc="left")
    ax.set_axis_off()
    scale_bar(ax, pixel_size_um, image.shape[1])

    ax = fig.add_subplot(grid[1])
    sizes = np.bincount(clusters)
    main = int(np.argmax(sizes))
    inside = np.flatnonzero(clusters == main)[: n_traces // 2 + n_traces % 2]
    outside = np.flatnonzero(clusters != main)[: n_traces // 2]
    shown = np.concatenate([inside, outside])
    t = np.arange(dff.shape[0]) / frame_rate_hz
    spread = float(np.nanpercentile(dff[:, shown], 99)) if len(shown) else 1.0
    for k, j in enumerate(shown):
        offset = -k * 1.1 * max(spread, 1e-6)
        ax.plot(t, dff[:, j] + offset, color=colours[j], lw=0.5)
        mine = events[events.roi_id == roi_ids[j]]
        for ev in mine.itertuples():
            co = ev.n_rois > 1
            ax.fill_between(
                [ev.onset_frame / frame_rate_hz, (ev.end_frame + 1) / frame_rate_hz],
                offset - 0.15 * spread,
                offset + 0.95 * spread,
                color=colours[j] if co else "0.8",
                alpha=0.3,
                lw=0,
            )
        ax.text(t[-1], offset, f" {roi_ids[j]}", fontsize=5, va="center")
    ax.set_yticks([])
    ax.set_xlabel("time (s)")
    ax.set_title("b  dF/F, co-active events shaded", loc="left")
    ax.spines["left"].set_visible(False)

    ax = fig.add_subplot(grid[2])
    im = ax.imshow(r[np.ix_(order, order)], cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("ROIs (clustered)")
    ax.set_title("c  pairwise r", loc="left")
    fig.colorbar(im, ax=ax, shrink=0.7, label="Pearson r")
    return save(fig, path, formats=("png", "svg", "pdf"))
