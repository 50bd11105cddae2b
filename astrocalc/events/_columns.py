"""Medians and percentiles of the columns of a (T, N) array: ``np.median(x, axis=0)`` and
``np.percentile(x, q, axis=0)`` (linear interpolation) value for value, by a compiled
selection on a block of columns at a time.

NumPy moves the time axis of a C-ordered (T, N) array to the end, copies it and checks
every column for NaN before it partitions; on the fit's model recordings (thousands of
traces of thousands of frames, several statistics per detection pass) that was a quarter
of the fit's time. Here a block of 16 columns (one cache line of float32 per row) is
copied at once and each column selected in place (Hoare's quickselect, the pivot the
median of three); a column holding NaN gives NaN, as NumPy's do.
"""

from __future__ import annotations

import numpy as np

from ..models._li_rinzel_numba import jit

_BLOCK = 16


@jit(nogil=True)
def _select(a, k):  # pragma: no cover - compiled
    """The ``k``-th smallest of ``a`` (0-based), ``a`` reordered in place (no NaN)."""
    lo, hi = 0, a.shape[0] - 1
    while hi > lo:
        mid = (lo + hi) // 2
        # median of three as the pivot
        if a[mid] < a[lo]:
            a[mid], a[lo] = a[lo], a[mid]
        if a[hi] < a[lo]:
            a[hi], a[lo] = a[lo], a[hi]
        if a[hi] < a[mid]:
            a[hi], a[mid] = a[mid], a[hi]
        pivot = a[mid]
        i, j = lo, hi
        while i <= j:
            while a[i] < pivot:
                i += 1
            while pivot < a[j]:
                j -= 1
            if i <= j:
                a[i], a[j] = a[j], a[i]
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            return a[k]
    return a[k]


@jit(nogil=True)
def _order_statistics(x, ranks, out):  # pragma: no cover - compiled
    """out[m, j] = the ranks[m]-th smallest value of column j of ``x`` (NaN where the
    column holds a NaN)."""
    t, n = x.shape
    buf = np.empty((_BLOCK, t), x.dtype)
    for j0 in range(0, n, _BLOCK):
        w = min(_BLOCK, n - j0)
        for i in range(t):
            for c in range(w):
                buf[c, i] = x[i, j0 + c]
        for c in range(w):
            col = buf[c]
            nan = False
            for i in range(t):
                if np.isnan(col[i]):
                    nan = True
                    break
            for m in range(ranks.shape[0]):
                out[m, j0 + c] = np.nan if nan else _select(col, ranks[m])


def _ranks(x: np.ndarray, ranks: list[int]) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 2 or x.dtype.kind != "f":
        raise ValueError(f"expected a float array (T, N), got {x.dtype} {x.shape}")
    if x.shape[0] == 0:  # no values: NaN, as NumPy's (which also warns)
        return np.full((len(ranks), x.shape[1]), np.nan, x.dtype)
    out = np.empty((len(ranks), x.shape[1]), x.dtype)
    _order_statistics(np.ascontiguousarray(x), np.asarray(ranks, np.int64), out)
    return out


def column_median(x: np.ndarray) -> np.ndarray:
    """``np.median(x, axis=0)`` of a float array (T, N): the middle value, or the mean of
    the two middle values (their sum halved, in ``x``'s dtype, as NumPy's mean)."""
    t = x.shape[0]
    if t % 2:
        return _ranks(x, [t // 2])[0]
    low, high = _ranks(x, [t // 2 - 1, t // 2])
    return (low + high) / x.dtype.type(2)


def column_percentiles(x: np.ndarray, q) -> np.ndarray:
    """``np.percentile(x, q, axis=0)`` (method "linear") of a float array (T, N): one row
    per percentile in ``q``. The virtual index (T - 1) q / 100 and the interpolation
    between its neighbours are NumPy's (``numpy.lib._function_base_impl._lerp``: from the
    nearer neighbour), so the values are the same."""
    quantiles = np.true_divide(np.asarray(q, np.float64).ravel(), 100)
    t = x.shape[0]
    virtual = (t - 1) * quantiles
    below = np.clip(np.floor(virtual), 0, t - 1).astype(np.int64)
    above = np.minimum(below + 1, t - 1)
    values = _ranks(x, [*below.tolist(), *above.tolist()])
    a, b = values[: len(quantiles)], values[len(quantiles) :]
    gamma = (virtual - below)[:, None]  # float64, as NumPy's (the result float64 too)
    diff = b - a
    return np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)
