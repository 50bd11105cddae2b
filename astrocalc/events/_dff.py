"""dF/F of ROI traces against a robust running baseline."""

from __future__ import annotations

import numpy as np

from ..pixelmodel import running_baseline
from ._columns import column_median


def delta_f_over_f(
    traces: np.ndarray,
    *,
    window_frames: float,
    percentile: float,
    offset: float = 0.0,
    f0_floor: float | None = None,
    exclude: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """dF/F = (F - F0) / F0 per ROI.

    Parameters
    ----------
    traces : array (T, N)
        Mean ROI intensity per frame.
    window_frames : float
        Running baseline window (frames).
    percentile : float
        Baseline percentile (rank opening, see ``RunningBaseline``).
    offset : float
        Detector offset subtracted from F before dF/F (intensity units).
    f0_floor : float, optional
        F0 is not allowed below this (intensity units), so that ROIs on a near-zero
        background (movies already in dF) do not divide by noise. Default: 5 % of the
        brightest ROI's median F0.
    exclude : bool array (T, N), optional
        Frames kept out of the baseline (events found by a first pass).

    Returns
    -------
    dff : float32 array (T, N)
    f0 : float32 array (T, N)
    """
    f = traces.astype(np.float64) - offset
    f0 = running_baseline(f, window_frames=window_frames, percentile=percentile, exclude=exclude)
    return relative_change(f, f0, f0_floor)


def relative_change(
    f: np.ndarray, f0: np.ndarray, f0_floor: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(F - F0) / F0 and the F0 used, float32, for F and its baseline F0 (T, N), with F0
    held at or above ``f0_floor`` (see :func:`delta_f_over_f`)."""
    if f0_floor is None:
        f0_floor = 0.05 * max(_largest_median(f0), 1e-12)
    f0 = np.maximum(f0, f0_floor)
    return ((f - f0) / f0).astype(np.float32), f0.astype(np.float32)


def _largest_median(f0: np.ndarray, block: int = 64) -> float:
    """``column_median(f0).max(initial=0.0)``, without the medians that cannot be the
    largest: a column's median is at most its maximum, so the columns go in order of
    their maxima, a block at a time, until the next maximum is below the largest median
    found (the fit's model recordings: thousands of columns, a few medians)."""
    if not f0.size:
        return 0.0
    top = f0.max(axis=0)
    if np.isnan(top).any():  # NaN medians, as column_median gives them
        return float(column_median(f0).max(initial=0.0))
    order = np.argsort(-top, kind="stable")
    best = 0.0
    for start in range(0, len(order), block):
        cols = order[start : start + block]
        if top[cols[0]] <= best:
            break
        best = max(best, float(column_median(f0[:, cols]).max()))
    return best
