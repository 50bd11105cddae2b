"""Piecewise-rigid motion: shifts of overlapping blocks around the rigid shift, a smooth
field interpolated between block centres, and one remap of each raw frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.interpolate import CubicSpline

from ..backend import array_namespace, scipy_module
from ._phase_correlation import (
    Template,
    estimate_batch,
    make_template,
)
from ._remap import remap_frame


@dataclass
class Blocks:
    """Overlapping square-ish blocks tiling a frame (Y, X)."""

    shape: tuple[int, int]
    size: tuple[int, int]  # (by, bx)
    starts_y: np.ndarray  # (nby,) first row of each block row
    starts_x: np.ndarray  # (nbx,)

    @property
    def grid(self) -> tuple[int, int]:
        return len(self.starts_y), len(self.starts_x)

    @property
    def centres_y(self) -> np.ndarray:
        return self.starts_y + (self.size[0] - 1) / 2

    @property
    def centres_x(self) -> np.ndarray:
        return self.starts_x + (self.size[1] - 1) / 2

    def table(self) -> pd.DataFrame:
        """One row per block: grid index, pixel range (end exclusive) and centre."""
        iy, ix = np.meshgrid(np.arange(self.grid[0]), np.arange(self.grid[1]), indexing="ij")
        y0, x0 = self.starts_y[iy.ravel()], self.starts_x[ix.ravel()]
        return pd.DataFrame(
            {
                "block_y": iy.ravel(),
                "block_x": ix.ravel(),
                "y0": y0,
                "y1": y0 + self.size[0],
                "x0": x0,
                "x1": x0 + self.size[1],
                "centre_y": self.centres_y[iy.ravel()],
                "centre_x": self.centres_x[ix.ravel()],
            }
        )


def make_blocks(shape: tuple[int, int], size_px: int, overlap: float) -> Blocks:
    """Blocks of ``size_px`` (at most the frame), overlapping by the fraction ``overlap``,
    spread evenly from edge to edge."""
    starts, sizes = [], []
    for n in shape:
        size = min(int(size_px), n)
        step = max(1, int(round(size * (1 - overlap))))
        count = int(np.ceil((n - size) / step)) + 1
        starts.append(np.round(np.linspace(0, n - size, count)).astype(int))
        sizes.append(size)
    return Blocks(tuple(shape), tuple(sizes), starts[0], starts[1])


def block_template(reference, blocks: Blocks, *, smooth_sigma_px: float) -> Template:
    """One phase-correlation template per block of ``reference``, stacked: its spectrum is
    (n_blocks, ch, cw), matched to the blocks' spectra by broadcasting."""
    xp = array_namespace(reference)
    by, bx = blocks.size
    parts = [
        make_template(reference[y : y + by, x : x + bx], smooth_sigma_px=smooth_sigma_px)
        for y in blocks.starts_y.tolist()
        for x in blocks.starts_x.tolist()
    ]
    first = parts[0]
    stacked = xp.stack([p.spectrum for p in parts])
    return Template(
        stacked, first.window, first.window_spectrum, first.lowpass, first.shape, first.crop
    )


def extract_blocks(frames, blocks: Blocks):
    """(n, n_blocks, by, bx) copies of the blocks of frames (n, Y, X)."""
    xp = array_namespace(frames)
    by, bx = blocks.size
    return xp.stack(
        [
            frames[:, y : y + by, x : x + bx]
            for y in blocks.starts_y.tolist()
            for x in blocks.starts_x.tolist()
        ],
        axis=1,
    )


def block_shifts(frames, blocks: Blocks, template: Template, *, max_shift_px: float):
    """Shifts (n, nby, nbx, 2) of each block of frames (n, Y, X) against its template.

    A block whose correlation peak is under half the median peak of its frame (too little
    texture, or content that changed) is given the median shift of the frame's blocks:
    its own estimate would be noise.
    """
    xp = array_namespace(frames)
    n = len(frames)
    nby, nbx = blocks.grid
    parts = extract_blocks(frames, blocks)
    shifts, peak = estimate_batch(parts, template, max_shift_px=max_shift_px)
    shifts = shifts.reshape(n, nby * nbx, 2)
    peak = peak.reshape(n, nby * nbx)
    weak = peak < 0.5 * xp.median(peak, axis=1, keepdims=True)
    fallback = xp.median(shifts, axis=1, keepdims=True)
    shifts = xp.where(weak[..., None], fallback, shifts)
    return shifts.reshape(n, nby, nbx, 2)


def interpolation_weights(n_px: int, centres: np.ndarray, xp) -> object:
    """(n_px, n_centres) weights of a natural cubic spline through values at ``centres``,
    held constant beyond the outer centres: ``field = weights @ values``."""
    k = len(centres)
    if k == 1:
        return xp.ones((n_px, 1), xp.float32)
    pos = np.clip(np.arange(n_px, dtype=float), centres[0], centres[-1])
    if k == 2:
        t = (pos - centres[0]) / (centres[1] - centres[0])
        return xp.asarray(np.stack([1 - t, t], axis=1), dtype=xp.float32)
    spline = CubicSpline(centres, np.eye(k), bc_type="natural")
    return xp.asarray(spline(pos), dtype=xp.float32)


def shift_field(shifts, wy, wx):
    """Dense displacement (n, 2, Y, X) from block shifts (n, nby, nbx, 2) and the
    weights of :func:`interpolation_weights` along y (Y, nby) and x (X, nbx)."""
    xp = array_namespace(shifts)
    grid = xp.moveaxis(shifts.astype(xp.float32), -1, 1)  # (n, 2, nby, nbx)
    return wy @ grid @ wx.T


def remap(frames, field):
    """Corrected frames (n, Y, X): ``out(q) = frame(q + d(q))`` for the displacement field
    ``d`` (n, 2, Y, X), by cubic-spline interpolation with mirrored edges.

    One interpolation of the raw frame applies the rigid and the local shift together
    (SciPy's/CuPy's ``map_coordinates(order=3, mode="mirror")``; on the CPU the same sums
    by :func:`astrocalc.motion._remap.remap_frame`, several times faster).
    A cubic spline rather than bilinear interpolation: bilinear weights average
    neighbouring pixels by an amount that changes with the subpixel shift, which makes
    the noise of a pixel flicker from frame to frame.
    """
    xp = array_namespace(frames)
    n, h, w = frames.shape
    yy = xp.arange(h, dtype=xp.float32)[:, None]
    xx = xp.arange(w, dtype=xp.float32)[None, :]
    out = xp.empty((n, h, w), xp.float32)
    for i in range(n):
        frame = xp.asarray(frames[i], dtype=xp.float32)
        cy, cx = yy + field[i, 0], xx + field[i, 1]
        if xp is np:
            out[i] = remap_frame(frame, cy, cx)
        else:
            ndimage = scipy_module(xp, "ndimage")
            out[i] = ndimage.map_coordinates(frame, xp.stack([cy, cx]), order=3, mode="mirror")
    return out
