"""correlation/correlation.png/.svg: clustered heat map and ROI map coloured by cluster."""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps

from ._style import image_limits, new_figure, save, scale_bar
from .rois import draw_outlines


def cluster_colours(clusters: np.ndarray) -> list:
    """Colour of each ROI: tab10/tab20 by cluster; singleton clusters in grey."""
    sizes = np.bincount(clusters)
    cmap = colormaps["tab20"] if len(clusters) and clusters.max() > 10 else colormaps["tab10"]
    colours, k = {}, 0
    for c in np.unique(clusters):
        if sizes[c] > 1:
            colours[c] = cmap(k % cmap.N)
            k += 1
        else:
            colours[c] = (0.6, 0.6, 0.6, 1.0)
    return [colours[c] for c in clusters]


MAX_MATRIX_PIXELS = 1000  # matrices shown as block means beyond this many ROIs a side
MAX_SCATTER_POINTS = 50_000
MAX_BOUNDARIES = 60  # cluster boundary lines drawn on the heat map


def display_matrix(r: np.ndarray, order: np.ndarray, max_size: int = MAX_MATRIX_PIXELS):
    """r with rows and columns in ``order``, as shown: itself, or means of k x k blocks
    when it is larger than ``max_size`` a side (a 5,000-ROI matrix would otherwise make a
    25-megapixel image in every SVG and PDF). Built a strip of rows at a time, never as a
    reordered (N, N) copy."""
    n = len(order)
    k = int(np.ceil(n / max_size))
    if k <= 1:
        return r[np.ix_(order, order)]
    m = int(np.ceil(n / k))
    out = np.empty((m, m))
    pad = m * k - n
    for b in range(m):
        strip = r[order[b * k : (b + 1) * k]][:, order]
        strip = np.pad(strip, ((0, 0), (0, pad)), constant_values=np.nan)
        out[b] = np.nanmean(strip.reshape(len(strip), m, k), axis=(0, 2))
    return out


def show_matrix(ax, r: np.ndarray, order: np.ndarray):
    """r in ``order`` on a diverging scale from -1 to 1, axes in ROI positions (block
    means beyond ``MAX_MATRIX_PIXELS``)."""
    n = len(order)
    return ax.imshow(
        display_matrix(r, order),
        cmap="RdBu_r",
        vmin=-1,
        vmax=1,
        interpolation="nearest",
        extent=(-0.5, n - 0.5, n - 0.5, -0.5),
    )


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
    im = show_matrix(ax, r, order)
    step = max(1, int(np.ceil(n / 40)))
    ticks = np.arange(0, n, step)
    ax.set_xticks(ticks, [str(roi_ids[order][i]) for i in ticks], rotation=90)
    ax.set_yticks(ticks, [str(roi_ids[order][i]) for i in ticks])
    ax.set_xlabel("ROI id (clustered order)")
    ax.set_ylabel("ROI id (clustered order)")
    ax.set_title("Pairwise Pearson r of dF/F" + (f" - {title}" if title else ""))
    # cluster boundaries along the ordered axis
    ordered = clusters[order]
    boundaries = np.flatnonzero(np.diff(ordered)) + 0.5
    for b in boundaries if len(boundaries) <= MAX_BOUNDARIES else []:
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


def plot_distance(distance_um, r, significant, decay: dict, path, *, seed: int = 0):
    """correlation/r_vs_distance.png/.svg/.pdf: r of every pair (a random
    ``MAX_SCATTER_POINTS`` of them when there are more) against the distance between the
    ROIs' centroids, significant pairs (FDR) highlighted, binned means over all pairs and
    the fitted exponential decay with its length constant."""
    distance_um, r = np.asarray(distance_um, float), np.asarray(r, float)
    sig = np.asarray(significant, bool)
    shown = np.arange(len(r))
    if len(r) > MAX_SCATTER_POINTS:
        shown = np.sort(np.random.default_rng(seed).choice(len(r), MAX_SCATTER_POINTS, False))
    fig = new_figure(3.5, 3.2)
    ax = fig.add_subplot(1, 1, 1)
    d, rr, ss = distance_um[shown], r[shown], sig[shown]
    ax.scatter(d[~ss], rr[~ss], s=3, color="0.7", label="not significant", rasterized=True)
    ax.scatter(d[ss], rr[ss], s=3, color="#1f77b4", label="FDR < 5 %", rasterized=True)
    bins = decay["bins"]
    ax.plot(bins.distance_um, bins.mean_r, "o", color="k", ms=3, label="binned mean")
    if np.isfinite(decay["length_um"]):
        x = np.linspace(0, float(np.nanmax(distance_um)), 200)
        fitted = decay["floor"] + decay["amplitude"] * np.exp(-x / decay["length_um"])
        ax.plot(x, fitted, color="#d62728", label=f"fit, length {decay['length_um']:.1f} \u00b5m")
    ax.axhline(0, color="k", lw=0.4)
    ax.set_xlabel("distance between ROI centroids (\u00b5m)")
    ax.set_ylabel("Pearson r of dF/F")
    if len(shown) < len(r):
        ax.set_title(f"{len(shown):,} of {len(r):,} pairs shown", fontsize=6)
    fig.legend(loc="outside lower center", ncol=2, frameon=False)
    return save(fig, path, formats=("png", "svg", "pdf"))


def panel_examples(clusters: np.ndarray, n_traces: int = 6) -> np.ndarray:
    """Positions of the ROIs whose traces :func:`plot_panel` shows: the first of the largest
    cluster, then the first outside it."""
    if not len(clusters):
        return np.zeros(0, int)
    main = int(np.argmax(np.bincount(clusters)))
    inside = np.flatnonzero(clusters == main)[: n_traces // 2 + n_traces % 2]
    outside = np.flatnonzero(clusters != main)[: n_traces // 2]
    return np.concatenate([inside, outside])


def plot_panel(
    image: np.ndarray,
    labels: np.ndarray,
    roi_ids: np.ndarray,
    clusters: np.ndarray,
    order: np.ndarray,
    r: np.ndarray,
    shown: np.ndarray,
    traces: np.ndarray,
    events,
    path,
    *,
    frame_rate_hz: float,
    pixel_size_um: float,
):
    """correlation/panel.png/.svg/.pdf, laid out like the usual first figure of a
    microdomain-synchrony study: (a) ROIs coloured by cluster over the max-minus-mean
    image, (b) dF/F of example ROIs from the largest cluster and from outside it, events
    shaded and co-active ones (``n_rois`` > 1) in the cluster's colour, (c) the clustered
    correlation matrix. ``shown``: positions of the example ROIs (:func:`panel_examples`),
    ``traces``: their dF/F, (T, len(shown))."""
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
    t = np.arange(traces.shape[0]) / frame_rate_hz
    spread = float(np.nanpercentile(traces, 99)) if len(shown) else 1.0
    for k, j in enumerate(shown):
        offset = -k * 1.1 * max(spread, 1e-6)
        ax.plot(t, traces[:, k] + offset, color=colours[j], lw=0.5)
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
    im = show_matrix(ax, r, order)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("ROIs (clustered)")
    ax.set_title("c  pairwise r", loc="left")
    fig.colorbar(im, ax=ax, shrink=0.7, label="Pearson r")
    return save(fig, path, formats=("png", "svg", "pdf"))
