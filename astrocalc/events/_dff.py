"""dF/F of ROI traces against a robust running baseline."""

from __future__ import annotations

import numpy as np

from ..models._li_rinzel_numba import jit
from ..orderstats import column_median
from ..pixelmodel import running_baseline


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
    held at or above ``f0_floor`` (see :func:`delta_f_over_f`; default
    :func:`default_floor`)."""
    if f0_floor is None:
        f0_floor = default_floor(f0)
    if f0_floor is not None:
        f0 = np.maximum(f0, f0_floor)
    return ((f - f0) / f0).astype(np.float32), f0.astype(np.float32)


def default_floor(f0: np.ndarray) -> float | None:
    """The default floor of F0: 5 % of the largest median F0 of a column (at least
    5e-14), or None where it would change nothing. A median is at most the largest F0,
    so where no F0 is below 5 % of that, none is below the floor either, and the medians
    are not needed (the fit's model recordings: thousands of columns, all near 1)."""
    if not f0.size:
        return None
    if f0.min() >= 0.05 * max(float(f0.max()), 1e-12):  # NaN: False
        return None
    return 0.05 * max(float(column_median(f0).max(initial=0.0)), 1e-12)


def update_relative_change(
    dff: np.ndarray, f: np.ndarray, f0: np.ndarray, f0_floor: float | None, columns
) -> np.ndarray:
    """Recompute ``columns`` of ``dff`` (float32 (T, N), in place) as
    :func:`relative_change` of F (float64) and F0 (float32) gives them, F0 held at or
    above ``f0_floor`` (None: as it is); returns the columns whose dF/F changed (bool
    (N,)). One compiled pass, without :func:`relative_change`'s temporaries."""
    columns = np.asarray(columns, np.int64)
    changed = np.zeros(dff.shape[1], bool)
    f0 = np.ascontiguousarray(f0, np.float32)
    floor = np.float32(-np.inf if f0_floor is None else f0_floor)
    _update(dff, np.ascontiguousarray(f, np.float64), f0, floor, columns, changed)
    return changed


@jit(nogil=True)
def _update(dff, f, f0, floor, columns, changed):  # pragma: no cover - compiled
    for i in range(f.shape[0]):
        for c in columns:
            g = f0[i, c]
            if floor != floor or g < floor:  # np.maximum: a NaN floor gives NaN
                g = floor
            v = np.float32((f[i, c] - np.float64(g)) / np.float64(g))
            old = dff[i, c]
            if v != old and not (v != v and old != old):
                changed[c] = True
            dff[i, c] = v
