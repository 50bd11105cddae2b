"""Cubic B-spline remap of a frame by a dense displacement field, on the CPU.

The same interpolation as ``scipy.ndimage.map_coordinates(order=3, mode="mirror")``
(and CuPy's, which the GPU path uses): prefilter the frame into spline coefficients,
then sum 4 x 4 coefficients per output pixel with the cubic B-spline weights. SciPy's
general N-d implementation spends about 40 ms on a 512 x 512 frame; this kernel, compiled
by numba and run without the GIL in each batch thread, a few ms. Without numba the SciPy
function is used (same result, slower).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

try:
    import numba
except ImportError:  # pragma: no cover - numba is a dependency; the fallback is for safety
    numba = None


def _mirror(k: int, n: int) -> int:
    """Index ``k`` folded into 0..n-1 by reflection about the edge pixels (SciPy's
    "mirror": ... 2 1 | 0 1 2 ... n-1 | n-2 ...)."""
    if n == 1:
        return 0
    period = 2 * n - 2
    k = abs(k) % period
    return period - k if k >= n else k


def _bspline_remap(coef, coord_y, coord_x, out):
    h, w = coef.shape
    oh, ow = out.shape
    for i in range(oh):
        for j in range(ow):
            y = coord_y[i, j]
            x = coord_x[i, j]
            fy = math.floor(y)
            fx = math.floor(x)
            ty = y - fy
            tx = x - fx
            # cubic B-spline weights of the samples at f - 1, f, f + 1, f + 2
            uy, ux = 1.0 - ty, 1.0 - tx
            ty2, tx2 = ty * ty, tx * tx
            wy0 = uy * uy * uy / 6
            wy1 = (3 * ty2 * ty - 6 * ty2 + 4) / 6
            wy3 = ty2 * ty / 6
            wy2 = 1.0 - wy0 - wy1 - wy3
            wx0 = ux * ux * ux / 6
            wx1 = (3 * tx2 * tx - 6 * tx2 + 4) / 6
            wx3 = tx2 * tx / 6
            wx2 = 1.0 - wx0 - wx1 - wx3
            iy, ix = int(fy) - 1, int(fx) - 1
            if 0 <= iy and iy + 3 < h and 0 <= ix and ix + 3 < w:  # interior: no folding
                y0, y1, y2, y3 = iy, iy + 1, iy + 2, iy + 3
                x0, x1, x2, x3 = ix, ix + 1, ix + 2, ix + 3
            else:
                y0, y1 = _mirror(iy, h), _mirror(iy + 1, h)
                y2, y3 = _mirror(iy + 2, h), _mirror(iy + 3, h)
                x0, x1 = _mirror(ix, w), _mirror(ix + 1, w)
                x2, x3 = _mirror(ix + 2, w), _mirror(ix + 3, w)
            r0 = wx0 * coef[y0, x0] + wx1 * coef[y0, x1] + wx2 * coef[y0, x2] + wx3 * coef[y0, x3]
            r1 = wx0 * coef[y1, x0] + wx1 * coef[y1, x1] + wx2 * coef[y1, x2] + wx3 * coef[y1, x3]
            r2 = wx0 * coef[y2, x0] + wx1 * coef[y2, x1] + wx2 * coef[y2, x2] + wx3 * coef[y2, x3]
            r3 = wx0 * coef[y3, x0] + wx1 * coef[y3, x1] + wx2 * coef[y3, x2] + wx3 * coef[y3, x3]
            out[i, j] = wy0 * r0 + wy1 * r1 + wy2 * r2 + wy3 * r3


if numba is not None:
    _mirror = numba.njit(cache=True, nogil=True)(_mirror)
    _bspline_remap = numba.njit(cache=True, nogil=True)(_bspline_remap)


def remap_frame(frame: np.ndarray, coord_y: np.ndarray, coord_x: np.ndarray) -> np.ndarray:
    """``out[i, j] = frame(coord_y[i, j], coord_x[i, j])`` by cubic B-spline interpolation
    with mirrored edges (float32, NumPy arrays)."""
    frame = np.asarray(frame, dtype=np.float32)
    if numba is None:
        return ndimage.map_coordinates(
            frame, np.stack([coord_y, coord_x]), order=3, mode="mirror", output=np.float32
        )
    coef = ndimage.spline_filter(frame, order=3, mode="mirror", output=np.float32)
    out = np.empty(coord_y.shape, np.float32)
    _bspline_remap(coef, coord_y, coord_x, out)
    return out
