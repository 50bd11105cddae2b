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

    With ``coverage`` (:class:`astrocalc.motion.Coverage`), each frame's mean is over the
    ROI's pixels that the frame covers; where it covers none of them (an ROI at the edge of
    the field during a large shift), the trace is interpolated linearly in time between
    the frames that do, so that no frame filled by motion correction enters a trace.
    """
    average = RoiAverager(labels, xp)
    out = np.empty((movie.n_frames, average.n), np.float32)
    partial = coverage is not None and not coverage.usable(1.0)[labels > 0].all()
    for start, stop, _, block in movie.chunks(chunk_frames):
        frames = xp.asarray(block, dtype=xp.float32)
        if not partial:
            out[start:stop] = to_numpy(average(frames))
            continue
        covered = coverage.frames(start, stop, xp).astype(xp.float32)
        n_covered = average(covered) * average.counts
        sums = average(frames * covered) * average.counts
        mean = sums / xp.maximum(n_covered, 1)
        out[start:stop] = to_numpy(xp.where(n_covered > 0, mean, xp.nan))
    if partial:
        _fill_gaps(out)
    return out


def _fill_gaps(traces: np.ndarray) -> None:
    """Linear interpolation over the NaN frames of each column (T, N), in place."""
    t = np.arange(len(traces))
    for j in np.flatnonzero(np.isnan(traces).any(axis=0)):
        ok = ~np.isnan(traces[:, j])
        traces[:, j] = np.interp(t, t[ok], traces[ok, j]) if ok.any() else 0.0
