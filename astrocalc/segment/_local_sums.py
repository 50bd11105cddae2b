"""The sums behind the local correlation image of :func:`activity_maps`: over frames, each
pixel's dF, its square, and its products with four neighbours (right, below left, below,
below right; the other four are the same pairs seen from the neighbour's side).

On NumPy float32 with numba, one compiled loop over the frames of each row, the rows
shared among one thread per core: the sums of a row stay in cache while its frames pass,
and no shifted copy of the chunk is made. Elsewhere (CuPy, no numba) array operations.
The compiled loop adds each product in float64; the array operations sum a chunk's
float32 products first, so the two differ by float32 rounding.
"""

from __future__ import annotations

import numpy as np

from ..backend import map_threads, worker_threads
from ..models._li_rinzel_numba import available, jit

NEIGHBOURS = ((0, 1), (1, -1), (1, 0), (1, 1))  # (dy, dx) of the pairs summed


@jit(nogil=True)
def _rows(hp, y0, y1, s1, s2, cross):  # pragma: no cover - compiled
    n, h, w = hp.shape
    for y in range(y0, y1):
        below = y + 1 < h
        for f in range(n):
            row = hp[f, y]
            for x in range(w):
                v = np.float64(row[x])
                s1[y, x] += v
                s2[y, x] += v * v
            for x in range(w - 1):
                cross[0, y, x] += np.float64(row[x]) * row[x + 1]
            if below:
                nxt = hp[f, y + 1]
                for x in range(w):
                    v = np.float64(row[x])
                    cross[2, y, x] += v * nxt[x]
                    if x > 0:
                        cross[1, y, x] += v * nxt[x - 1]
                    if x + 1 < w:
                        cross[3, y, x] += v * nxt[x + 1]


def accumulate(hp, s1, s2, cross, xp) -> None:
    """Add the sums over the frames of ``hp`` (n, Y, X) to ``s1``, ``s2`` (Y, X) and
    ``cross`` (4, Y, X) (float64, in place; ``cross[k]`` pairs each pixel with its
    neighbour ``NEIGHBOURS[k]``, where that neighbour is in the frame)."""
    if available() and isinstance(hp, np.ndarray) and hp.dtype == np.float32:
        hp = np.ascontiguousarray(hp)
        h = hp.shape[1]
        step = -(-h // (4 * worker_threads(np)))  # a few blocks of rows per thread
        map_threads(
            lambda y0: _rows(hp, y0, min(y0 + step, h), s1, s2, cross), list(range(0, h, step))
        )
        return
    s1 += hp.sum(axis=0)
    s2 += (hp * hp).sum(axis=0)
    h, w = hp.shape[1:]
    for k, (dy, dx) in enumerate(NEIGHBOURS):
        # out[y, x] = hp[y + dy, x + dx], rolled; the pairs that wrap are set to 0
        other = xp.roll(hp, shift=(-dy, -dx), axis=(-2, -1))
        cross[k] += xp.where(inside(h, w, dy, dx, xp), (hp * other).sum(axis=0), 0)


def inside(h: int, w: int, dy: int, dx: int, xp):
    """Bool (Y, X): pixels whose neighbour (dy, dx) is in the frame."""
    yy = xp.arange(h)[:, None] + dy
    xx = xp.arange(w)[None, :] + dx
    return (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
