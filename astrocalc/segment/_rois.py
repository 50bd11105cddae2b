"""Operations on ROI label images: size and connectivity filters, neighbours, merging, the
event test."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.segmentation import relabel_sequential

from ..events import detect_in_traces
from ..settings import EventSettings
from ._neuropil import neuropil_rings


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


def mostly_on(labels: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """For each label 1..N, whether at least half of its pixels lie on ``mask`` (bool
    (N,)): the compartment an ROI belongs to."""
    ids = np.arange(1, int(labels.max()) + 1)
    return np.asarray(ndimage.mean(mask, labels, ids)).reshape(-1) >= 0.5


def merge_correlated(
    labels: np.ndarray, dff: np.ndarray, *, merge_r: float, on_soma: np.ndarray | None = None
) -> np.ndarray:
    """Merge touching ROIs whose dF/F traces (T, N; column i is label i + 1) correlate
    above ``merge_r``: one microdomain split in two by the watershed. With ``on_soma``
    (bool mask), a ROI mostly on the soma and one mostly off it are not merged: in
    synchronous activity a microdomain beside the soma fires with it, and merged into it
    would be absorbed by the soma ROI."""
    pairs = adjacent_pairs(labels)
    if pairs and on_soma is not None:
        soma = np.concatenate([[False], mostly_on(labels, on_soma)])
        pairs = {(a, b) for a, b in pairs if soma[a] == soma[b]}
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


def events_per_region(
    traces: np.ndarray, *, frame_rate_hz: float, settings: EventSettings | dict | None = None
) -> np.ndarray:
    """How many events the event detector finds in each region's mean trace (column of
    ``traces``; ``settings``: the ``events`` section). Pixel-level activity can come from
    noise that is not Gaussian (clipped, compressed, flickering data); the region mean and
    the detector's robust noise estimate tell real events from it."""
    _, found, _, _ = detect_in_traces(traces, frame_rate_hz=frame_rate_hz, settings=settings)
    return np.bincount(found[:, 0], minlength=traces.shape[1])


def events_needed(
    regions: np.ndarray, structure: np.ndarray, *, off_structure_min_events: int
) -> np.ndarray:
    """Events each region (labels 1..N) must hold to be kept: one when at least half of it
    lies on the astrocyte's structure (bool mask); off it (fine processes the mean image
    does not show, or neuropil and out-of-focus cells) ``off_structure_min_events``: a
    microdomain is where events recur."""
    return np.where(mostly_on(regions, structure), 1, off_structure_min_events)


def on_faint_processes(
    candidates: np.ndarray,
    regions: np.ndarray,
    mean_image: np.ndarray,
    structure: np.ndarray,
    *,
    pixel_size_um: float,
    min_contrast_sd: float,
) -> np.ndarray:
    """``regions`` (labels 1..N) with those of ``candidates`` (labels 1..M, found
    anywhere) added that lie mostly off ``structure`` (bool), touch no region, and are
    brighter in ``mean_image`` than the background around them by at least
    ``min_contrast_sd`` of its spatial SD: a fine process too faint and thin for the
    structure mask's threshold still stands above its own surroundings, where neuropil
    and dim background do not. The background is the ROI's neuropil ring (median, and
    1.4826 MAD as SD); a candidate without one is not added."""
    if candidates.max() == 0:
        return regions
    off = ~np.concatenate([[True], mostly_on(candidates, structure)])
    near = ndimage.binary_dilation(regions > 0)
    off[np.unique(candidates[near])] = False
    ring, has = neuropil_rings(candidates, structure | (regions > 0), pixel_size_um=pixel_size_um)
    ids = np.arange(1, int(candidates.max()) + 1)
    inside = np.asarray(ndimage.mean(mean_image, candidates, ids)).reshape(-1)
    visible = np.zeros(len(ids) + 1, bool)
    for k, i in enumerate(np.flatnonzero(has), 1):
        if not off[i + 1]:
            continue
        background = mean_image[ring == k]
        centre = np.median(background)
        sd = 1.4826 * np.median(np.abs(background - centre))
        visible[i + 1] = inside[i] - centre >= min_contrast_sd * max(sd, 1e-12)
    add = visible[candidates]  # only candidates off the structure are visible
    keep = np.unique(candidates[add])
    mapping = np.zeros(int(candidates.max()) + 1, np.uint32)
    mapping[keep] = np.arange(1, len(keep) + 1) + regions.max()
    return np.where(add, mapping[candidates], regions).astype(np.uint32)
