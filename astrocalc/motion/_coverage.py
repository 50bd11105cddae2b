"""Which pixels of a motion-corrected frame hold recorded data.

Undoing a displacement (dy, dx) moves the frame's content by (-dy, -dx): a band along the
edges, as wide as the shift, then holds no recorded data (the correction fills it with
the frame's edge pixels). Later stages use a pixel only in the frames that cover it,
instead of dropping a band as wide as the largest shift from every frame.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class Coverage:
    """Covered pixels of each corrected frame, from the rigid shifts (T, 2) of shifts.csv
    (content displacement dy, dx in pixels; the corrected pixel (y, x) shows the recorded
    pixel (y + dy, x + dx)) and the frame shape (Y, X)."""

    shifts: np.ndarray
    shape: tuple[int, int]
    margin_px: float = 0.0

    def inset(self, margin_px: float) -> Coverage:
        """The same, less ``margin_px`` along the uncovered side: for values that a spatial
        filter of that reach mixes from neighbouring pixels. The field's own edges stay."""
        return replace(self, margin_px=margin_px)

    def _ranges(self, start: int, stop: int):
        h, w = self.shape
        m = self.margin_px
        dy, dx = self.shifts[start:stop, 0], self.shifts[start:stop, 1]
        # a margin only where a band is uncovered
        y0 = np.where(dy < -1e-3, np.ceil(-dy - 1e-3 + m), 0)
        y1 = np.where(dy > 1e-3, np.floor(h - 1 - dy + 1e-3 - m), h - 1)
        x0 = np.where(dx < -1e-3, np.ceil(-dx - 1e-3 + m), 0)
        x1 = np.where(dx > 1e-3, np.floor(w - 1 - dx + 1e-3 - m), w - 1)
        return y0, y1, x0, x1

    def axes(self, start: int, stop: int, xp=np):
        """Bool (stop - start, Y) and (stop - start, X): the covered rows and columns of
        each frame (a frame's covered pixels are their outer product)."""
        h, w = self.shape
        y0, y1, x0, x1 = (xp.asarray(a)[:, None] for a in self._ranges(start, stop))
        y, x = xp.arange(h)[None], xp.arange(w)[None]
        return (y >= y0) & (y <= y1), (x >= x0) & (x <= x1)

    def frames(self, start: int, stop: int, xp=np):
        """Bool (stop - start, Y, X): True where frame ``t`` covers the pixel."""
        rows, cols = self.axes(start, stop, xp)
        return rows[:, :, None] & cols[:, None, :]

    def fraction(self) -> np.ndarray:
        """(Y, X) share of the frames that cover each pixel."""
        h, w = self.shape
        y0, y1, x0, x1 = self._ranges(0, len(self.shifts))
        y, x = np.arange(h), np.arange(w)
        rows = ((y[None] >= y0[:, None]) & (y[None] <= y1[:, None])).astype(np.float64)
        cols = ((x[None] >= x0[:, None]) & (x[None] <= x1[:, None])).astype(np.float64)
        return rows.T @ cols / max(len(self.shifts), 1)

    def usable(self, min_fraction: float = 0.5) -> np.ndarray:
        """(Y, X) bool: pixels covered in at least ``min_fraction`` of the frames, where
        ROIs and pixel events may lie (elsewhere too few frames hold data)."""
        return self.fraction() >= min_fraction
