"""Splitting a spatiotemporal component by its onset map, and the speed of a spreading event.

The onset map of an event is the time at which each of its pixels became active. A wave
has a smooth onset map (each pixel a little later than its neighbour towards the origin);
independent events that touch in space and overlap in time have a step between them. The
split follows the steps; the speed follows the smooth part.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from skimage.morphology import h_minima
from skimage.segmentation import watershed

MAX_FIT_PIXELS = 4000


def _neighbour_pairs(ys: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j) of pixels of the list that are 8-neighbours (the connectivity of
    :func:`voxel_structure`)."""
    h, w = int(ys.max()) + 2, int(xs.max()) + 3
    index = np.full((h, w), -1, np.int64)
    index[ys, xs + 1] = np.arange(len(ys))
    a, b = [], []
    for dy, dx in ((0, 1), (1, -1), (1, 0), (1, 1)):
        j = index[ys + dy, xs + 1 + dx]
        ok = j >= 0
        a.append(np.flatnonzero(ok))
        b.append(j[ok])
    return np.concatenate(a), np.concatenate(b)


def split_by_onset(
    ys: np.ndarray, xs: np.ndarray, onset: np.ndarray, *, gap: float, min_area_px: int
) -> np.ndarray:
    """Piece of each pixel (0..k-1) after cutting the footprint where the onsets of
    8-neighbours differ by more than ``gap`` (frames). Pieces smaller than ``min_area_px``
    join the piece they share the longest border with (a noisy onset at an edge is not an
    event).

    Parameters
    ----------
    ys, xs : int arrays (n,)
        Pixels of one component.
    onset : array (n,)
        Onset frame of each pixel.
    gap : float
        Largest onset step (frames) between neighbours of one event.
    min_area_px : int
        Smallest piece kept on its own.
    """
    n = len(ys)
    if n == 0:
        return np.zeros(0, np.int64)
    a, b = _neighbour_pairs(ys, xs)
    smooth = np.abs(onset[a] - onset[b]) <= gap
    graph = coo_matrix((np.ones(smooth.sum()), (a[smooth], b[smooth])), shape=(n, n))
    _, piece = connected_components(graph, directed=False)
    piece = _split_at_seeds(ys, xs, onset, piece, gap=gap, min_area_px=min_area_px)
    while True:
        sizes = np.bincount(piece)
        small = np.flatnonzero((sizes > 0) & (sizes < min_area_px))
        if not len(small):
            break
        target = small[np.argmin(sizes[small])]
        # the neighbouring piece with the longest shared border
        pa, pb = piece[a], piece[b]
        touching = np.concatenate([pb[pa == target], pa[pb == target]])
        touching = touching[touching != target]
        if not len(touching):
            break  # the footprint's only piece
        piece[piece == target] = np.bincount(touching).argmax()
    _, piece = np.unique(piece, return_inverse=True)
    return piece.astype(np.int64)


def _split_at_seeds(ys, xs, onset, piece, *, gap: float, min_area_px: int) -> np.ndarray:
    """Split each piece at the separate minima of its smoothed onset map (fronts starting
    at several places that meet without a step: colliding waves). Minima less than
    ``gap`` deep are one seed; flooding the onset map from the seeds gives the parts."""
    out = piece.copy()
    next_id = int(piece.max()) + 1
    for k in range(int(piece.max()) + 1):
        sel = np.flatnonzero(piece == k)
        if len(sel) < 4 * min_area_px:
            continue
        y, x = ys[sel] - ys[sel].min() + 2, xs[sel] - xs[sel].min() + 2
        mask = np.zeros((y.max() + 3, x.max() + 3), bool)
        mask[y, x] = True
        values = np.zeros(mask.shape)
        values[y, x] = onset[sel]
        # mean of the onsets within the footprint, Gaussian weights (sigma 1 pixel)
        weight = ndimage.gaussian_filter(mask.astype(float), 1.0)
        smoothed = ndimage.gaussian_filter(values, 1.0) / np.maximum(weight, 1e-12)
        filled = np.where(mask, smoothed, smoothed[mask].max() + gap)
        markers, n_seeds = ndimage.label(h_minima(filled, gap) & mask, np.ones((3, 3)))
        if n_seeds < 2:
            continue
        parts = watershed(filled, markers, mask=mask, connectivity=2)[y, x]
        out[sel] = np.where(parts == 1, k, next_id + parts - 2)
        next_id += n_seeds - 1
    return out


def propagation(
    ys: np.ndarray,
    xs: np.ndarray,
    onset_s: np.ndarray,
    *,
    pixel_size_um: float,
    min_delay_s: float,
    min_pixels: int = 20,
    min_r2: float = 0.5,
) -> tuple[float, float]:
    """Speed (um/s) and direction (degrees; 0 = +x, 90 = +y, the image's rows downwards) of
    an event from its onset map, or (nan, nan) where it does not measurably spread.

    Two models are fitted to the onsets by least squares and the better one kept: a plane
    (a front moving in one direction: onset = a + g . r, speed 1/|g|) and a cone (a front
    spreading from a point r0 at one speed: onset = t0 + |r - r0| / v; the origin is
    searched on a grid refined twice, the rest is linear). The event spreads measurably when
    the fitted onsets span at least ``min_delay_s`` and the model explains at least
    ``min_r2`` of the onsets' variance. Direction: the plane's gradient; for the cone, from
    the origin to the footprint's centroid.
    """
    if len(ys) < min_pixels or np.ptp(onset_s) < min_delay_s:
        return np.nan, np.nan  # the fitted onsets cannot span more than the onsets do
    if len(ys) > MAX_FIT_PIXELS:  # an even subsample keeps the fit cheap on huge events
        keep = np.linspace(0, len(ys) - 1, MAX_FIT_PIXELS).astype(int)
        ys, xs, onset_s = ys[keep], xs[keep], onset_s[keep]
    y, x = ys.astype(float), xs.astype(float)
    o = onset_s.astype(float)
    total = ((o - o.mean()) ** 2).sum()
    if total <= 0:
        return np.nan, np.nan
    design = np.column_stack([np.ones_like(y), y, x])
    coef, *_ = np.linalg.lstsq(design, o, rcond=None)
    plane_fit = design @ coef
    plane_r2 = 1 - ((o - plane_fit) ** 2).sum() / total
    cone = _fit_cone(y, x, o)
    if cone is not None and cone[0] > plane_r2:
        r2, slope, (y0, x0), fitted = cone
        span = fitted.max() - fitted.min()
        direction = np.degrees(np.arctan2(y.mean() - y0, x.mean() - x0))
    else:
        r2, slope, fitted = plane_r2, float(np.hypot(coef[1], coef[2])), plane_fit
        span = fitted.max() - fitted.min()
        direction = np.degrees(np.arctan2(coef[1], coef[2]))
    if r2 < min_r2 or span < min_delay_s or slope <= 0:
        return np.nan, np.nan
    return float(pixel_size_um / slope), float(direction)


def _fit_cone(y, x, o):
    """Best cone onset = t0 + s * |r - r0| over origins r0 on an 11 x 11 grid around the
    footprint, refined twice around the best; returns (r2, s, r0, fitted) or None."""
    total = ((o - o.mean()) ** 2).sum()
    oc = o - o.mean()
    cy, cx = y.mean(), x.mean()
    half = max(np.ptp(y), np.ptp(x), 1.0)
    best = None
    for _ in range(3):
        gy, gx = np.meshgrid(np.linspace(-half, half, 11), np.linspace(-half, half, 11))
        y0, x0 = (cy + gy).ravel(), (cx + gx).ravel()
        d = np.hypot(y[None] - y0[:, None], x[None] - x0[:, None])  # (origins, pixels)
        dc = d - d.mean(axis=1, keepdims=True)
        denom = (dc**2).sum(axis=1)
        ok = denom > 0
        if not ok.any():
            return None
        slope = np.where(ok, (dc @ oc) / np.where(ok, denom, 1), 0.0)
        r2 = np.where(ok, 1 - ((oc[None] - slope[:, None] * dc) ** 2).sum(axis=1) / total, -np.inf)
        i = int(np.argmax(r2))
        if best is None or r2[i] > best[0]:
            best = (float(r2[i]), float(slope[i]), (y0[i], x0[i]), o.mean() + slope[i] * dc[i])
        cy, cx = best[2]
        half /= 5
    return best
