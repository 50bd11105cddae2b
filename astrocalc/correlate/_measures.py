"""Pairwise measures beyond Pearson r: spike time tiling coefficient of event onsets,
lagged cross-correlation, and the decay of correlation with distance. Every measure is
computed for all pairs at once (matrix products over time), never in a loop over pairs.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import curve_fit
from scipy.stats import f as f_dist

from ..backend import array_namespace
from ._pearson import zscore


def near_counts(
    roi: np.ndarray, times: np.ndarray, n_rois: int, *, window: float, block: int = 2_000_000
):
    """Sparse (N, N) matrix M: M[a, b] = number of events of ROI a with an event of ROI b
    within ``window`` (same units as ``times``; an event counts once however many of b's
    events are near it). ``roi`` holds 0-based ROI indices. Built from the events inside
    each event's window in the time-sorted list, so the work follows the number of nearby
    event pairs, not the number of ROI pairs; events are taken in groups of about
    ``block`` nearby pairs, so memory does not grow with the recording's length."""
    from scipy.sparse import coo_matrix, csr_matrix

    order = np.argsort(times, kind="stable")
    t, r = np.asarray(times, float)[order], np.asarray(roi, np.int64)[order]
    lo = np.searchsorted(t, t - window, side="left")
    hi = np.searchsorted(t, t + window, side="right")
    sizes = hi - lo
    cum = np.cumsum(sizes)
    steps = np.arange(block, int(sizes.sum()), block)
    cuts = np.unique(np.r_[0, np.searchsorted(cum, steps, side="right"), len(t)])
    total = csr_matrix((n_rois, n_rois))
    for start, stop in zip(cuts[:-1], cuts[1:], strict=True):
        size = sizes[start:stop]
        event = np.repeat(np.arange(start, stop), size)
        other = lo[event] + (np.arange(size.sum()) - np.repeat(np.cumsum(size) - size, size))
        # one count per (event, ROI of a near event)
        key = np.unique(event * n_rois + r[other])
        a, b = r[key // n_rois], key % n_rois
        total = total + coo_matrix((np.ones(len(a)), (a, b)), shape=(n_rois, n_rois)).tocsr()
    return total.tocsr()


def tiled_fraction(roi, times, n_rois: int, *, window: float, duration: float) -> np.ndarray:
    """Share of the recording [0, duration] within ``window`` of an event, per ROI: the
    length of the union of the intervals [t - window, t + window]."""
    order = np.lexsort((times, roi))
    r, t = np.asarray(roi, np.int64)[order], np.asarray(times, float)[order]
    start = np.clip(t - window, 0, duration)
    stop = np.clip(t + window, 0, duration)
    # each interval adds what reaches past the furthest earlier one of the same ROI: a
    # running maximum of the stops that restarts at each ROI (offsetting each ROI's values
    # above the previous ROI's keeps one cumulative maximum for all)
    same = np.r_[False, r[1:] == r[:-1]]
    previous = np.where(same, np.r_[0.0, stop[:-1]], -1.0)
    spacing = duration + 2 * window + 10.0
    offset = np.cumsum(~same) * spacing
    reach = np.maximum.accumulate(previous + offset) - offset
    covered = np.maximum(stop - np.maximum(start, reach), 0.0)
    return np.bincount(r, weights=covered, minlength=n_rois) / duration


def sttc_matrix(
    roi, times, n_rois: int, *, window: float, duration: float, near=None
) -> np.ndarray:
    """Spike time tiling coefficient (Cutts & Eglen 2014 J Neurosci 34:14288) of the event
    onsets of every pair of ROIs: 0.5 * ((P_A - T_B) / (1 - P_A T_B) + (P_B - T_A) /
    (1 - P_B T_A)), where T_A is the share of the recording within ``window`` of an event
    of A and P_A the share of A's events within ``window`` of an event of B. Unlike a
    correlation of event counts it does not depend on the event rates. NaN where a ROI has
    no event; the diagonal is 1. ``roi``: 0-based ROI index of each event; ``times``: its
    onset; ``near``: their :func:`near_counts` when already at hand."""
    counts = np.bincount(np.asarray(roi, np.int64), minlength=n_rois).astype(float)
    tiled = tiled_fraction(roi, times, n_rois, window=window, duration=duration)
    s = np.empty((n_rois, n_rois))
    with np.errstate(invalid="ignore", divide="ignore"):
        if near is None:
            near = near_counts(roi, times, n_rois, window=window)
        for rows, block, block_t in near_count_blocks(near):
            p = block / counts[rows, None]  # P of the block's ROIs against every other
            p_t = block_t / counts[None, :]  # P of every other ROI against the block's
            ta, tb = tiled[rows, None], tiled[None, :]
            s[rows] = 0.5 * ((p - tb) / (1 - p * tb) + (p_t - ta) / (1 - p_t * ta))
    s[counts == 0] = np.nan
    s[:, counts == 0] = np.nan
    idx = np.arange(n_rois)
    s[idx, idx] = np.where(counts > 0, 1.0, np.nan)
    return s


def near_count_blocks(near, block: int = 512):
    """The sparse :func:`near_counts` matrix M as dense row blocks: (slice of rows, M[rows],
    M.T[rows]), so the pair measures built from it need a few block-sized temporaries,
    not (N, N) ones."""
    n_rois = near.shape[0]
    columns = near.tocsc()
    for i in range(0, n_rois, block):
        rows = slice(i, min(i + block, n_rois))
        yield rows, near[rows].toarray(), columns[:, rows].T.toarray()


def lagged_correlation(traces, *, max_lag_frames: int, block: int = 256):
    """Peak Pearson r of every pair over lags -max..+max frames, and the lag of the peak.

    Returns (peak, lag): (N, N) arrays; ``lag[a, b] > 0`` when b follows a. r at lag k is
    the correlation of a's frames 0..T-k-1 with b's frames k..T-1, each normalised over the
    whole trace (the usual cross-correlation estimate). Computed as one matrix product per
    lag and block of ROIs.
    """
    xp = array_namespace(traces)
    z = zscore(traces)
    t, n = z.shape
    best = xp.full((n, n), -xp.inf, dtype=z.dtype)
    lag = xp.zeros((n, n), dtype=xp.int64)
    for k in range(-max_lag_frames, max_lag_frames + 1):
        a_part = z[: t - k] if k >= 0 else z[-k:]
        b_part = z[k:] if k >= 0 else z[: t + k]
        for s in range(0, n, block):
            r = (a_part[:, s : s + block].T @ b_part) / t
            better = r > best[s : s + block]
            best[s : s + block] = xp.where(better, r, best[s : s + block])
            lag[s : s + block] = xp.where(better, k, lag[s : s + block])
    return best, lag


MIN_DECAY_AMPLITUDE = 0.02
DECAY_F_TEST_P = 0.01  # the decay must fit better than a constant r (F test, 2 more terms)


def _decay(d, floor, amplitude, length):
    return floor + amplitude * np.exp(-d / length)


MAX_FIT_PAIRS = 200_000


def distance_decay(distance_um: np.ndarray, r: np.ndarray, *, n_bins: int = 12) -> dict:
    """Fit r = floor + amplitude * exp(-distance / length) to the pairs (least squares).

    Returns ``length_um``, ``floor``, ``amplitude`` (NaN when the fit fails, when there are
    fewer than 5 pairs, or when the fitted decay is longer than the largest distance,
    shorter than the 5th percentile of distances, under ``MIN_DECAY_AMPLITUDE`` high, or no
    better than a constant r by an F test at ``DECAY_F_TEST_P``: r that does not fall with
    distance) and the binned
    means: ``bins`` (DataFrame of bin centre, mean r, pairs per bin, fitted r). The bins
    use every pair; the fit a seeded random ``MAX_FIT_PAIRS`` of them when there are more
    (the standard error of a length from 200,000 pairs is far below the spread between
    recordings). Spatial
    decay of astrocyte microdomain synchrony, e.g. Bindocci et al. 2017 Science
    356:eaai8185.
    """
    import pandas as pd

    d, r = np.asarray(distance_um, float), np.asarray(r, float)
    ok = np.isfinite(d) & np.isfinite(r)
    d, r = d[ok], r[ok]
    out = {"length_um": np.nan, "floor": np.nan, "amplitude": np.nan}
    edges = np.linspace(0, d.max() if len(d) else 1.0, n_bins + 1)
    which = np.clip(np.digitize(d, edges) - 1, 0, n_bins - 1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    counts = np.bincount(which, minlength=n_bins)
    means = np.bincount(which, weights=r, minlength=n_bins) / np.maximum(counts, 1)
    if len(d) > MAX_FIT_PAIRS:
        keep = np.random.default_rng(0).choice(len(d), MAX_FIT_PAIRS, replace=False)
        d, r = d[keep], r[keep]
    if len(d) >= 5 and np.ptp(d) > 0:
        span = float(np.ptp(d))
        try:
            (floor, amplitude, length), _ = curve_fit(
                _decay,
                d,
                r,
                p0=(float(np.median(r)), float(r.max() - np.median(r)) + 1e-3, span / 4),
                bounds=([-1, 0, 1e-3 * span], [1, 2, 10 * span]),
                maxfev=5000,
            )
            # a decay longer than the distances observed, shorter than all but the closest
            # pairs, or of no height, is not measured by these pairs
            shortest = float(np.percentile(d, 5))
            rss_fit = float(((r - _decay(d, floor, amplitude, length)) ** 2).sum())
            rss_flat = float(((r - r.mean()) ** 2).sum())
            f_stat = (rss_flat - rss_fit) / 2 / max(rss_fit / (len(d) - 3), 1e-300)
            better = f_dist.sf(f_stat, 2, len(d) - 3) < DECAY_F_TEST_P
            if better and shortest < length < span and amplitude >= MIN_DECAY_AMPLITUDE:
                out = {
                    "length_um": float(length),
                    "floor": float(floor),
                    "amplitude": float(amplitude),
                }
        except (RuntimeError, ValueError):
            pass
    fitted = (
        _decay(centres, out["floor"], out["amplitude"], out["length_um"])
        if np.isfinite(out["length_um"])
        else np.full(n_bins, np.nan)
    )
    out["bins"] = pd.DataFrame(
        {
            "distance_um": centres,
            "mean_r": np.where(counts > 0, means, np.nan),
            "n_pairs": counts,
            "fitted_r": fitted,
        }
    )
    return out
