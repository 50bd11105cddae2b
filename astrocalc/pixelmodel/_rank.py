"""Compiled (numba) rank opening of the running baseline on the CPU, for float32 series.

The same values as two ``scipy.ndimage.rank_filter`` passes along the first axis (rank
``r`` and then ``w - 1 - r`` over windows of ``w``), bit for bit: an order statistic
selects one of the inputs, so no rounding differs. scipy walks a general footprint for
every output and selects afresh; here each series keeps its window sorted and moves one
value in and one out per step, 8x faster on the baseline's bins.
"""

from __future__ import annotations

import numpy as np

from ..backend import map_batches
from ..models._li_rinzel_numba import available, jit

TILE = 64  # series gathered at once, so that reading the rows is contiguous


@jit(nogil=True)
def _slide(col, w, rank, out, s):  # pragma: no cover - compiled
    """out[i] = the rank-th smallest of col[i:i + w], for i < len(out); s: w floats of
    scratch (the window, sorted)."""
    for j in range(w):
        v = col[j]
        k = j
        while k > 0 and s[k - 1] > v:
            s[k] = s[k - 1]
            k -= 1
        s[k] = v
    out[0] = s[rank]
    for i in range(1, out.shape[0]):
        old, new = col[i - 1], col[i + w - 1]
        k = 0
        while s[k] != old:
            k += 1
        # the slot of the value leaving takes the one entering, moved to its place
        if new > old:
            while k + 1 < w and s[k + 1] < new:
                s[k] = s[k + 1]
                k += 1
        else:
            while k > 0 and s[k - 1] > new:
                s[k] = s[k - 1]
                k -= 1
        s[k] = new
        out[i] = s[rank]


@jit(nogil=True)
def _opening(window, w, rank, out):  # pragma: no cover - compiled
    """out[t] (t < m - 2w) = rank ``w - 1 - rank`` over t + w - h .. t + w + h of rank
    ``rank`` over each of those positions' own windows (h = w // 2), ``window`` (m, P)."""
    m, p = window.shape
    h = w // 2
    n_out = m - 2 * w
    tile = np.empty((TILE, m), np.float32)
    high = np.empty((TILE, n_out), np.float32)
    low = np.empty(n_out + 2 * h, np.float32)
    s = np.empty(w, np.float32)
    for x0 in range(0, p, TILE):
        nt = min(TILE, p - x0)
        for t in range(m):
            for x in range(nt):
                tile[x, t] = window[t, x0 + x]
        for x in range(nt):
            # low[q] is centred on position w - h + q: the window col[w - 2h + q ...]
            _slide(tile[x, w - 2 * h :], w, rank, low, s)
            _slide(low, w, w - 1 - rank, high[x], s)
        for t in range(n_out):
            for x in range(nt):
                out[t, x0 + x] = high[x, t]


def compiled(window) -> bool:
    """Whether the compiled loop takes this array: NumPy float32, finite (NaN has no
    order, where scipy's result is undefined anyway), numba installed."""
    return (
        available()
        and isinstance(window, np.ndarray)
        and window.dtype == np.float32
        and bool(np.isfinite(window).all())
    )


def rank_opening(window: np.ndarray, w: int, rank: int) -> np.ndarray:
    """``rank_filter(rank_filter(window, rank), w - 1 - rank)[w:-w]`` along axis 0 with
    windows of ``w`` (odd): (m - 2w, ...) float32 from ``window`` (m, ...) float32. The
    ``w`` rows at either end only feed the others, so the border mode does not matter.
    The series run in batches of pixels on every core (:func:`map_batches`)."""
    m = window.shape[0]
    flat = np.ascontiguousarray(window).reshape(m, -1)
    out = np.empty((m - 2 * w, flat.shape[1]), np.float32)

    def run(cols):
        _opening(flat[:, cols], w, rank, out[:, cols])

    # pixels are the batched axis here: one "frame" per series of m values
    map_batches(run, flat.shape[1], m, np)
    return out.reshape((m - 2 * w,) + window.shape[1:])
