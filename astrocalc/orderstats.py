"""Medians and percentiles of the columns of a (T, N) array: ``np.median(x, axis=0)`` and
``np.percentile(x, q, axis=0)`` (linear interpolation) value for value, by a compiled
selection, one column at a time.

NumPy moves the time axis of a C-ordered (T, N) array to the end, copies it and checks
every column for NaN before it partitions; on the fit's model recordings (thousands of
traces of thousands of frames, several statistics per detection pass) that was a quarter
of the fit's time. Here each column is counted into value bins between its extremes (a
histogram: one pass, no reordering), and only the values in the bin holding the wanted
rank are copied out and selected among (Hoare's quickselect, the pivot the median of
three): the selection reads each value three times (its extremes, its bin, the bin's
values) and reorders tens of values, not the column, 4-10 times faster than a
quickselect over the column. A bin is a monotone
function of the value, so the values below a bin are exactly those of the lower bins and
the rank within it is exact: the result is the same order statistic, bit for bit. A
column holding NaN gives NaN, as NumPy's do. C-ordered arrays go 16 columns at a time
(one cache line of float32 per row) through a buffer; F-ordered columns are read in
place. :func:`median` and :func:`percentile` take NumPy's arguments (any axis) and
leave CuPy and integer arrays to the array library.
"""

from __future__ import annotations

import numpy as np

from .backend import array_namespace
from .models._li_rinzel_numba import jit

_BLOCK = 16
_BINS = 4096  # at most; uint16 bin numbers


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
def _ranks_of(a, ranks, out, cand, slot, below):  # pragma: no cover - compiled
    """out[m] = the ranks[m]-th smallest value of ``a`` (1-D, left as it is; NaN if it
    holds a NaN); scratch space: ``cand`` and ``slot`` (uint16) as long as ``a``,
    ``below`` (int64) of ``_BINS + 1``."""
    n = a.shape[0]
    lo = hi = a[0]
    for i in range(n):
        v = a[i]
        if v != v:
            out[:] = np.nan
            return
        if v < lo:
            lo = v
        elif v > hi:
            hi = v
    if not hi > lo:
        out[:] = lo
        return
    bins = max(16, min(_BINS, n // 8))  # about 8 values a bin, tens at a dense median
    base, span = np.float64(lo), np.float64(hi) - np.float64(lo)
    scale = bins / span
    if not (np.isfinite(span) and np.isfinite(scale) and scale > 0):
        # infinite values or a span beyond float64: a quickselect over the whole column
        cand[:] = a
        for m in range(ranks.shape[0]):
            out[m] = _select(cand, ranks[m])
        return
    below[: bins + 1] = 0  # below[b]: values in the bins under b
    for i in range(n):
        b = min(int((np.float64(a[i]) - base) * scale), bins - 1)
        slot[i] = b
        below[b + 1] += 1
    for b in range(bins):
        below[b + 1] += below[b]
    held, c = -1, 0
    for m in range(ranks.shape[0]):
        k = ranks[m]
        b = np.searchsorted(below[: bins + 1], k, side="right") - 1
        if b != held:  # successive ranks in one bin share its values
            c = 0
            for i in range(n):
                if slot[i] == b:
                    cand[c] = a[i]
                    c += 1
            held = b
        out[m] = _select(cand[:c], k - below[b])


@jit(nogil=True)
def _row_statistics(x, ranks, out):  # pragma: no cover - compiled
    """out[m, j] = the ranks[m]-th smallest value of row j of ``x`` (N, T)."""
    cand, slot, below = _scratch(x)
    res = np.empty(ranks.shape[0], x.dtype)
    for j in range(x.shape[0]):
        _ranks_of(x[j], ranks, res, cand, slot, below)
        out[:, j] = res


@jit(nogil=True)
def _column_statistics(x, ranks, out):  # pragma: no cover - compiled
    """out[m, j] = the ranks[m]-th smallest value of column j of ``x`` (T, N)."""
    t, n = x.shape
    buf = np.empty((_BLOCK, t), x.dtype)
    cand, slot, below = _scratch(buf)
    res = np.empty(ranks.shape[0], x.dtype)
    for j0 in range(0, n, _BLOCK):
        w = min(_BLOCK, n - j0)
        for i in range(t):
            for c in range(w):
                buf[c, i] = x[i, j0 + c]
        for c in range(w):
            _ranks_of(buf[c], ranks, res, cand, slot, below)
            out[:, j0 + c] = res


@jit(nogil=True)
def _scratch(rows):  # pragma: no cover - compiled
    """Scratch space of :func:`_ranks_of` for rows as long as those of ``rows``."""
    t = rows.shape[1]
    return np.empty(t, rows.dtype), np.empty(t, np.uint16), np.empty(_BINS + 1, np.int64)


@jit(nogil=True)
def _median_of(a, ranks, two, res, cand, slot, below):  # pragma: no cover - compiled
    """:func:`column_median`'s value for ``a``: ``ranks`` the middle one or two."""
    _ranks_of(a, ranks, res, cand, slot, below)
    return res[0] if ranks.shape[0] == 1 else (res[0] + res[1]) / two


@jit(nogil=True)
def _median_and_mad(x, ranks, two, out):  # pragma: no cover - compiled
    """out[0, j], out[1, j] = the median of row j of ``x`` (N, T) and the median of its
    absolute deviations from it, each as :func:`column_median` gives it."""
    cand, slot, below = _scratch(x)
    dev = np.empty(x.shape[1], x.dtype)
    res = np.empty(2, x.dtype)
    for j in range(x.shape[0]):
        a = x[j]
        m = _median_of(a, ranks, two, res, cand, slot, below)
        for i in range(a.shape[0]):
            dev[i] = abs(a[i] - m)
        out[0, j] = m
        out[1, j] = _median_of(dev, ranks, two, res, cand, slot, below)


def _ranks(x: np.ndarray, ranks: list[int]) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 2 or x.dtype.kind != "f":
        raise ValueError(f"expected a float array (T, N), got {x.dtype} {x.shape}")
    if x.shape[0] == 0:  # no values: NaN, as NumPy's (which also warns)
        return np.full((len(ranks), x.shape[1]), np.nan, x.dtype)
    out = np.empty((len(ranks), x.shape[1]), x.dtype)
    ranks = np.asarray(ranks, np.int64)
    if x.flags.f_contiguous and not x.flags.c_contiguous:
        _row_statistics(x.T, ranks, out)  # each column contiguous: no copy
    else:
        _column_statistics(np.ascontiguousarray(x), ranks, out)
    return out


def column_median(x: np.ndarray) -> np.ndarray:
    """``np.median(x, axis=0)`` of a float array (T, N): the middle value, or the mean of
    the two middle values (their sum halved, in ``x``'s dtype, as NumPy's mean)."""
    t = x.shape[0]
    if t % 2:
        return _ranks(x, [t // 2])[0]
    low, high = _ranks(x, [t // 2 - 1, t // 2])
    return (low + high) / x.dtype.type(2)


def column_median_and_mad(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``m = column_median(x)`` and ``column_median(np.abs(x - m))`` of a float array
    (T, N), the same values, in one compiled pass per column without the (T, N)
    temporaries (F-ordered columns read in place, others copied once)."""
    x = np.asarray(x)
    if x.ndim != 2 or x.dtype.kind != "f":
        raise ValueError(f"expected a float array (T, N), got {x.dtype} {x.shape}")
    t = x.shape[0]
    if t == 0:
        nan = np.full(x.shape[1], np.nan, x.dtype)
        return nan, nan.copy()
    ranks = np.array([t // 2] if t % 2 else [t // 2 - 1, t // 2], np.int64)
    out = np.empty((2, x.shape[1]), x.dtype)
    _median_and_mad(np.asfortranarray(x).T, ranks, x.dtype.type(2), out)
    return out[0], out[1]


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


def median(x, axis: int = 0, keepdims: bool = False):
    """``xp.median(x, axis=axis, keepdims=keepdims)``: for NumPy float32 and float64 arrays
    the values of :func:`column_median` (NumPy's own, faster), for other arrays (CuPy,
    integers) the array library's."""
    if not _compiled(x):
        return array_namespace(x).median(x, axis=axis, keepdims=keepdims)
    axis = axis % x.ndim
    moved = np.moveaxis(x, axis, 0)
    out = column_median(_columns(moved)).reshape(moved.shape[1:])
    return np.expand_dims(out, axis) if keepdims else out


def percentile(x, q, axis: int = 0, keepdims: bool = False):
    """``xp.percentile(x, q, axis=axis, keepdims=keepdims)`` (method "linear"), as
    :func:`median`: one percentile or a sequence of them (the first axis of the result).
    A float32 array with a Python number ``q`` goes to NumPy: it interpolates in float32
    there, in float64 with a sequence of percentiles, as here."""
    if not _compiled(x) or (x.dtype == np.float32 and isinstance(q, int | float)):
        return array_namespace(x).percentile(x, q, axis=axis, keepdims=keepdims)
    q = np.asarray(q.get() if hasattr(q, "get") else q, np.float64)
    axis = axis % x.ndim
    moved = np.moveaxis(x, axis, 0)
    out = column_percentiles(_columns(moved), q.ravel())
    out = out.reshape(q.shape + moved.shape[1:])
    return np.expand_dims(out, q.ndim + axis) if keepdims else out


def _columns(moved: np.ndarray) -> np.ndarray:
    """(T, ...) as (T, N): a view where the layout allows (then F-ordered columns stay
    F-ordered, read in place)."""
    return moved.reshape(moved.shape[0], int(np.prod(moved.shape[1:])))


def _compiled(x) -> bool:
    return isinstance(x, np.ndarray) and x.dtype in (np.float32, np.float64) and x.ndim > 0
