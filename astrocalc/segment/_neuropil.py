"""Neuropil correction of ROI traces: each ROI's trace less the change of the background
around it.

Light from out-of-focus tissue and the neuropil adds to every pixel with slow fluctuations
of its own, spatially smooth; an ROI's mean carries them as a drifting baseline that hides
small events and correlates neighbouring ROIs. The background is sampled in a ring around
each ROI, off the astrocyte's structure and off other ROIs, as suite2p does for neurons
(Pachitariu et al. 2017 bioRxiv 061507; F - 0.7 Fneu, the coefficient of Chen et al. 2013
Nature 499:295 and Kerlin et al. 2010). Only the ring's *change* (its trace less its mean)
is subtracted, so each ROI keeps its resting level and dF/F its scale.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ._traces import extract_traces

# the ring: 1-3 um from the ROI, off the (1 um widened) structure; at least 10 pixels
RING_UM, MIN_RING_PX = (1.0, 3.0), 10


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


def neuropil_rings(labels: np.ndarray, structure: np.ndarray, *, pixel_size_um: float):
    """The background ring of each ROI (:data:`RING_UM`), off ``structure`` (bool, the
    astrocyte; widened by the ring's inner radius) and off every ROI. Returns (ring labels
    renumbered 1..M over the ROIs that have one, ``has``: bool per ROI)."""
    n = int(labels.max())
    inner, outer = (d / pixel_size_um for d in RING_UM)
    exclude = ndimage.binary_dilation(structure | (labels > 0), iterations=max(1, round(inner)))
    ring = surrounds(labels, exclude, inner_px=inner, outer_px=outer)
    has = np.bincount(ring.ravel(), minlength=n + 1)[1:] >= MIN_RING_PX
    mapping = np.zeros(n + 1, np.uint32)
    mapping[1:][has] = np.arange(1, has.sum() + 1)
    return mapping[ring], has


def less_neuropil(
    traces: np.ndarray, neuropil: np.ndarray, has: np.ndarray, coefficient: float
) -> np.ndarray:
    """ROI traces (T, N) less ``coefficient`` times their ring's change (``neuropil``:
    (T, has.sum()), the rings of the ROIs that have one, in order)."""
    out = traces.astype(np.float32, copy=True)
    if has.any():
        out[:, has] -= coefficient * (neuropil - neuropil.mean(axis=0))
    return out


def corrected_traces(
    movie,
    labels: np.ndarray,
    structure: np.ndarray,
    xp,
    *,
    pixel_size_um: float,
    coefficient: float,
    chunk_frames: int,
    coverage=None,
) -> np.ndarray:
    """Mean intensity of every ROI (T, N), neuropil-corrected by ``coefficient`` (0: the
    plain means). One pass over the movie for the ROIs and their rings together."""
    n = int(labels.max())
    if coefficient == 0 or n == 0:
        return extract_traces(movie, labels, xp, chunk_frames=chunk_frames, coverage=coverage)
    ring, has = neuropil_rings(labels, structure, pixel_size_um=pixel_size_um)
    both = np.where(ring > 0, ring.astype(np.int64) + n, labels).astype(np.int64)
    traces = extract_traces(movie, both, xp, chunk_frames=chunk_frames, coverage=coverage)
    return less_neuropil(traces[:, :n], traces[:, n:], has, coefficient)
