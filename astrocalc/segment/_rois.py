"""Microdomain ROIs from activity: where pixels take part in events, split by watershed."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.feature import peak_local_max
from skimage.morphology import disk, remove_small_objects
from skimage.segmentation import relabel_sequential, watershed

from ..events import detect_in_traces


def find_active_regions(
    activations: np.ndarray,
    peak_dff: np.ndarray,
    *,
    min_area_px: float,
    split_distance_px: float,
    min_footprint_px: float | None = None,
    footprint_fraction: float = 0.5,
    border_px: int = 0,
    min_activations: int = 1,
    allowed: np.ndarray | None = None,
) -> np.ndarray:
    """Label regions of activity.

    Parameters
    ----------
    activations : int array (Y, X)
        Separate activations per pixel (see ``activity_maps``).
    peak_dff : array (Y, X)
        Largest denoised dF of each pixel (the max-minus-mean image; the segmentation
        stage gives it in units of each pixel's noise SD). Its smoothed local maxima seed
        the watershed: each microdomain's largest event peaks at its centre,
        also where neighbours often fire together (time spent active would make one hill
        of two co-active neighbours).
    min_area_px : float
        Smallest region of activity kept (pixels), before its footprint is trimmed:
        regions of noise are small in extent.
    split_distance_px : float
        Seeds (local maxima of activity) closer than this are one region (pixels).
    footprint_fraction : float
        Each region keeps the pixels whose peak dF reaches this fraction of the region's
        highest (0.5: the half-maximum footprint), as activity spreads past a
        microdomain's edge through its point-spread and the smoothing.
    min_footprint_px : float, optional
        Smallest trimmed footprint kept (pixels); default ``min_area_px``.
    border_px : int
        Band along the edges left out (pixels). The segmentation stage passes the motion
        coverage through ``allowed`` instead.
    min_activations : int
        Pixels need at least this many activations.
    allowed : bool array (Y, X), optional
        Where regions may lie (the astrocyte's structure): activity elsewhere (neuropil,
        background) is left out before regions are formed, so that it neither becomes a
        region nor joins a microdomain's.

    Returns
    -------
    labels : uint32 array (Y, X)
        0 = background, 1..N regions.
    """
    mask = activations >= min_activations
    if allowed is not None:
        mask &= allowed
    if border_px > 0:
        mask[:border_px] = mask[-border_px:] = False
        mask[:, :border_px] = mask[:, -border_px:] = False
    mask = ndimage.binary_opening(mask, structure=np.ones((2, 2), bool))
    mask = ndimage.binary_fill_holes(mask)
    mask = remove_small_objects(mask, max_size=max(int(min_area_px) - 1, 0))
    components, n = ndimage.label(mask)
    if n == 0:
        return np.zeros(mask.shape, np.uint32)
    score = ndimage.gaussian_filter(peak_dff.astype(np.float64), 1.0)
    peaks = peak_local_max(
        score,
        min_distance=max(int(round(split_distance_px)), 1),
        labels=components,
        exclude_border=False,
    )
    markers = np.zeros(mask.shape, np.int64)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    # components without a peak (flat plateaus) keep one marker at their maximum
    missing = np.setdiff1d(np.arange(1, n + 1), np.unique(components[markers > 0]))
    if len(missing):
        pos = ndimage.maximum_position(score, components, missing)
        for k, (y, x) in enumerate(pos, start=len(peaks) + 1):
            markers[y, x] = k
    labels = watershed(-score, markers, mask=mask)
    labels = _drop_small(labels, min_area_px)
    if footprint_fraction > 0 and labels.max():
        labels[peak_dff < footprint_fraction * _local_top(peak_dff, labels, split_distance_px)] = 0
        labels = _largest_piece(labels)
    labels = _drop_small(labels, min_area_px if min_footprint_px is None else min_footprint_px)
    return relabel_sequential(labels)[0].astype(np.uint32)


def _local_top(peak: np.ndarray, labels: np.ndarray, radius_px: float) -> np.ndarray:
    """The highest ``peak`` of the same region within ``2 * radius_px`` of each pixel: a
    region is trimmed around each of its own maxima, so a dim microdomain that shares a
    region with a bright one keeps its footprint."""
    r = max(int(np.ceil(2 * radius_px)), 1)
    out = np.zeros(peak.shape, np.float64)
    for sl, k in zip(ndimage.find_objects(labels), range(1, int(labels.max()) + 1), strict=False):
        if sl is None:
            continue
        sl = tuple(slice(max(s.start - r, 0), s.stop + r) for s in sl)
        own = labels[sl] == k
        local = ndimage.maximum_filter(np.where(own, peak[sl], -np.inf), footprint=disk(r))
        out[sl][own] = local[own]
    return out


def _drop_small(labels: np.ndarray, min_px: float) -> np.ndarray:
    sizes = np.bincount(labels.ravel())
    small = np.flatnonzero(sizes < min_px)
    return np.where(np.isin(labels, small[small > 0]), 0, labels)


def _largest_piece(labels: np.ndarray) -> np.ndarray:
    """Keep only the largest connected piece of each label (trimming can split one)."""
    pieces, n = ndimage.label(labels > 0)
    if n == 0:
        return labels
    size = np.bincount(pieces.ravel())
    owner = np.asarray(ndimage.maximum(labels, pieces, np.arange(n + 1))).astype(np.int64)
    best = np.zeros(int(labels.max()) + 1, np.int64)
    best_size = np.zeros_like(best)
    for piece in range(1, n + 1):
        if size[piece] > best_size[owner[piece]]:
            best[owner[piece]], best_size[owner[piece]] = piece, size[piece]
    keep = np.zeros(n + 1, bool)
    keep[best[best > 0]] = True
    return np.where(keep[pieces], labels, 0)


def adjacent_pairs(labels: np.ndarray) -> set[tuple[int, int]]:
    """Pairs (a, b), a < b, of labels that touch (4-connectivity)."""
    pairs = set()
    for a, b in ((labels[:-1], labels[1:]), (labels[:, :-1], labels[:, 1:])):
        touch = (a != b) & (a > 0) & (b > 0)
        lo = np.minimum(a[touch], b[touch])
        hi = np.maximum(a[touch], b[touch])
        pairs.update(zip(lo.tolist(), hi.tolist(), strict=True))
    return pairs


def merge_correlated(labels: np.ndarray, dff: np.ndarray, *, merge_r: float) -> np.ndarray:
    """Merge touching ROIs whose dF/F traces (T, N; column i is label i + 1) correlate
    above ``merge_r``: one microdomain split in two by the watershed."""
    pairs = adjacent_pairs(labels)
    if not pairs:
        return labels
    z = dff - dff.mean(axis=0)
    z /= np.linalg.norm(z, axis=0) + 1e-30
    parent = np.arange(labels.max() + 1)

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in sorted(pairs):
        if float(z[:, a - 1] @ z[:, b - 1]) > merge_r:
            parent[root(b)] = root(a)
    mapping = np.array([root(i) for i in range(len(parent))])
    return relabel_sequential(mapping[labels])[0].astype(np.uint32)


def surrounds(
    labels: np.ndarray, exclude: np.ndarray, *, inner_px: float, outer_px: float
) -> np.ndarray:
    """The surround of each region: pixels between ``inner_px`` and ``outer_px`` from it
    (nearest region wins), not in ``exclude`` (the structure, other regions). Label i is
    region i's surround; a region may have none."""
    if labels.max() == 0:
        return np.zeros(labels.shape, np.uint32)
    dist, (iy, ix) = ndimage.distance_transform_edt(labels == 0, return_indices=True)
    ring = (dist > inner_px) & (dist <= outer_px) & ~exclude & (labels == 0)
    return np.where(ring, labels[iy, ix], 0).astype(np.uint32)


def regions_with_events(traces: np.ndarray, *, frame_rate_hz: float, config: dict) -> np.ndarray:
    """True for each region (column of ``traces``) whose mean trace holds at least one event
    by the event detector (``config``: the ``events`` section). Pixel-level activity can
    come from noise that is not Gaussian (clipped, compressed, flickering data); the
    region mean and the detector's robust noise estimate tell real events from it."""
    _, found, _, _ = detect_in_traces(traces, frame_rate_hz=frame_rate_hz, config=config)
    keep = np.zeros(traces.shape[1], bool)
    keep[[j for j, *_ in found]] = True
    return keep


def less_surround(traces: np.ndarray, surround: np.ndarray, has: np.ndarray) -> np.ndarray:
    """Region traces (T, N) less their surround's change (surround minus its mean), for the
    regions that have a surround (``has``): a signal spread over a region and the
    background around it alike (neuropil, light from out of focus) cancels, a microdomain's
    own event does not."""
    out = traces.astype(np.float64).copy()
    out[:, has] -= surround[:, has] - surround[:, has].mean(axis=0)
    return out
