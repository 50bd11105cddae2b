"""Mean fluorescence of each ROI over time, streamed from the movie."""

from __future__ import annotations

import numpy as np

from ..backend import to_numpy


class RoiAverager:
    """Averages frames over the ROIs of a label image with one gather and one cumsum.

    Parameters
    ----------
    labels : int array (Y, X)
        0 = background, 1..N ROIs (every id present).
    xp : module
        Array backend.
    """

    def __init__(self, labels: np.ndarray, xp):
        flat = np.asarray(labels).ravel()
        order = np.argsort(flat, kind="stable")
        order = order[flat[order] > 0]
        ids = flat[order]
        self.n = int(labels.max())
        counts = np.bincount(ids, minlength=self.n + 1)[1:]
        if (counts == 0).any():
            raise ValueError("labels must be numbered 1..N without gaps")
        self.xp = xp
        self.index = xp.asarray(order)
        self.ends = xp.asarray(np.cumsum(counts) - 1)
        self.counts = xp.asarray(counts.astype(np.float32))

    def __call__(self, frames):
        """ROI means of frames (n, Y, X) -> (n, N)."""
        xp = self.xp
        values = frames.reshape(len(frames), -1)[:, self.index].astype(xp.float64)
        cs = xp.cumsum(values, axis=1)[:, self.ends]
        sums = xp.concatenate([cs[:, :1], xp.diff(cs, axis=1)], axis=1)
        return (sums / self.counts).astype(xp.float32)


def extract_traces(
    movie, labels: np.ndarray, xp, *, chunk_frames: int, coverage=None
) -> np.ndarray:
    """Mean intensity of every ROI in every frame: float32 array (T, N), column i = ROI i + 1.

    With ``coverage`` (:class:`astrocalc.motion.Coverage`), only the ROI's pixels that a
    frame covers enter its value, and where it covers none of them (an ROI at the edge of
    the field during a large shift) the trace is interpolated linearly in time between
    the frames that do, so that no frame filled by motion correction enters a trace.

    A frame that covers part of an ROI gives the ROI's resting level (the mean of its
    pixels' levels, each pixel's mean over the frames covering it) times the covered
    pixels' intensity relative to their own levels (the ratio of the two sums; where
    their levels do not sum above zero, their mean change from them). The plain mean of
    the covered pixels would jump with the motion wherever the ROI's pixels differ in
    brightness, as the pixels of a microdomain do: on a 3-pixel-wide microdomain at the
    field's edge (development seed 75 of the evaluation generator) that wander took the
    trace's noise estimate to five times its neighbours' and 11 of its 12 events under
    the threshold. A change relative to the level, not its difference, keeps an event's
    height when its brightest pixels are the ones uncovered (fluorescence changes in
    proportion to the indicator's brightness). A frame that covers every pixel of an ROI
    gives their plain mean.
    """
    average = RoiAverager(labels, xp)
    out = np.empty((movie.n_frames, average.n), np.float32)
    partial = coverage is not None and not coverage.usable(1.0)[labels > 0].all()
    if not partial:
        for start, stop, _, block in movie.chunks(chunk_frames):
            out[start:stop] = to_numpy(average(xp.asarray(block, dtype=xp.float32)))
        return out
    h, w = labels.shape
    counts = to_numpy(average.counts).astype(np.float64)
    level_sum = xp.zeros((h, w), xp.float64)
    level_n = xp.zeros((h, w), xp.float64)
    sums = np.empty(out.shape, np.float64)  # ratios and differences of large sums below
    n_covered = np.empty(out.shape, np.float64)
    for start, stop, _, block in movie.chunks(chunk_frames):
        covered = coverage.frames(start, stop, xp).astype(xp.float32)
        frames = xp.asarray(block, dtype=xp.float32) * covered
        level_sum += frames.sum(axis=0, dtype=xp.float64)
        level_n += covered.sum(axis=0, dtype=xp.float64)
        sums[start:stop] = to_numpy(average(frames)) * counts
        n_covered[start:stop] = to_numpy(average(covered)) * counts
    level = (level_sum / xp.maximum(level_n, 1)).astype(xp.float32)
    # the covered pixels' resting levels, summed per ROI and frame (no movie read)
    level_covered = np.empty(out.shape, np.float64)
    for start, stop in _blocks(movie.n_frames, chunk_frames):
        covered = coverage.frames(start, stop, xp).astype(xp.float32)
        level_covered[start:stop] = to_numpy(average(covered * level)) * counts
    roi_level = to_numpy(average(level[None]))[0].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = sums / level_covered * roi_level
        shifted = (sums - level_covered) / n_covered + roi_level
        out[:] = np.where(
            n_covered >= counts, sums / counts, np.where(level_covered > 0, relative, shifted)
        )
    out[n_covered == 0] = np.nan
    _fill_gaps(out)
    return out


def _blocks(n: int, size: int):
    for start in range(0, n, max(1, size)):
        yield start, min(n, start + size)


def _fill_gaps(traces: np.ndarray) -> None:
    """Linear interpolation over the NaN frames of each column (T, N), in place."""
    t = np.arange(len(traces))
    for j in np.flatnonzero(np.isnan(traces).any(axis=0)):
        ok = ~np.isnan(traces[:, j])
        traces[:, j] = np.interp(t, t[ok], traces[ok, j]) if ok.any() else 0.0
