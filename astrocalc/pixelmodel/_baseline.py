"""Robust slow baseline: running rank opening of bin means, interpolated back to frames.

Binning first makes the percentile cheap for long windows and, because bin means carry
little noise, keeps a low percentile from sitting below the true baseline (the bias a
low percentile of raw noisy frames has).
"""

from __future__ import annotations

import numpy as np

from .. import orderstats
from ..backend import array_namespace, scipy_module
from . import _rank


def bin_size(
    window_frames: float,
    *,
    n_frames: int | None = None,
    bins_per_window: int = 15,
    min_bins: int = 20,
) -> int:
    """Frames per bin so that one baseline window spans about ``bins_per_window`` bins and a
    short recording still has at least ``min_bins`` bins."""
    size = int(window_frames // bins_per_window)
    if n_frames is not None:
        size = min(size, n_frames // min_bins)
    return max(1, size)


def bin_means(x, size: int):
    """Means of consecutive blocks of ``size`` frames along axis 0 (the last may be short)."""
    xp = array_namespace(x)
    n = x.shape[0]
    full = (n // size) * size
    parts = []
    if full:
        parts.append(x[:full].reshape(n // size, size, *x.shape[1:]).mean(axis=1))
    if full < n:
        parts.append(x[full:].mean(axis=0, keepdims=True))
    return xp.concatenate(parts).astype(xp.float32)


def _robust_line(x, xp):
    """Theil-Sen slope and median intercept of each series along axis 0 (robust to events,
    which are positive outliers); ``x`` is (n, ...)."""
    n = x.shape[0]
    i, j = [a.ravel() for a in xp.triu_indices(n, k=1)] if n > 1 else (xp.zeros(0, int),) * 2
    if len(i) == 0:
        return xp.zeros(x.shape[1:], x.dtype), x[0]
    dt = (j - i).astype(x.dtype).reshape((-1,) + (1,) * (x.ndim - 1))
    slope = orderstats.median((x[j] - x[i]) / dt, axis=0)
    t = xp.arange(n, dtype=x.dtype).reshape((-1,) + (1,) * (x.ndim - 1))
    intercept = orderstats.median(x - slope * t, axis=0)
    return slope, intercept


def _end_lines(x, n: int, xp):
    """``n`` bins before and after ``x``: a robust straight line fitted to the ``n`` bins
    at that end, so a trend continues past the ends. Reflecting the data instead would
    turn events into dips that a low percentile then picks."""
    k = min(n, x.shape[0])
    slope, icpt = _robust_line(x[:k], xp)
    before = xp.arange(-n, 0, dtype=x.dtype).reshape((-1,) + (1,) * (x.ndim - 1))
    head = icpt + slope * before
    slope, icpt = _robust_line(x[-k:], xp)
    after = xp.arange(k, k + n, dtype=x.dtype).reshape((-1,) + (1,) * (x.ndim - 1))
    tail = icpt + slope * after
    return head.astype(x.dtype), tail.astype(x.dtype)


# bins of the baseline filtered at once (and kept: RunningBaseline.values): about this
# many bytes of float32, at least MIN_BLOCK_BINS bins
BLOCK_BYTES, MIN_BLOCK_BINS = 1 << 25, 16
# RunningBaseline.at interpolates a range of up to this many values (frames x series) in
# one go, with two temporaries as large; larger ones (pixels) bin by bin
GATHER_ELEMENTS = 1 << 21


class RunningBaseline:
    """Running percentile of binned data, evaluated at any frame.

    Parameters
    ----------
    binned : array (n_bins, ...)
        Bin means from :func:`bin_means` (possibly accumulated chunk by chunk).
    bin_frames : int
        Frames per bin.
    n_frames : int
        Frames in the recording (the last bin may be shorter).
    window_frames : float
        Length of the running window (frames).
    percentile : float
        Percentile (0-100).

    The rank filters run on blocks of about ``BLOCK_BYTES`` (plus a window either side),
    not on the whole recording: a per-pixel baseline of a long movie then holds one array
    of bin means, not several (memory stays near the chunk's size). The last two blocks
    computed are kept, so the calls of a pass in time order (every streamed chunk with its
    overlap, the noise sample) filter each bin once, also where a call straddles two
    blocks; filtering each call's own bins plus a window either side, as before, filtered
    most bins again for every chunk (a 512 x 512 movie: 184 of the 201 s of its per-pixel
    model). Rank filters are exact order statistics, so every value equals that of one
    pass over all bins, whatever the blocks.
    """

    def __init__(
        self, binned, *, bin_frames: int, n_frames: int, window_frames: float, percentile: float
    ):
        xp = array_namespace(binned)
        self.xp = xp
        self.binned = binned
        nb = binned.shape[0]
        self.w = w = max(1, int(round(window_frames / bin_frames))) | 1  # odd
        # mirrored ranks (r and w - 1 - r) so that the two passes' lags cancel exactly
        self.rank = int(round(percentile / 100 * (w - 1)))
        if w >= nb:
            # the window spans the recording: one level, the percentile of all bins (a
            # trend cannot be told from slow events that fill a short recording)
            self.level = orderstats.percentile(binned, percentile, axis=0).astype(binned.dtype)
        else:
            self.level = None
            self.head, self.tail = _end_lines(binned, w, xp)
        starts = np.arange(nb) * bin_frames
        ends = np.minimum(starts + bin_frames, n_frames)
        self.centres = (starts + ends - 1) / 2.0  # host array: index arithmetic only
        self.n_frames = n_frames
        series_bytes = 4 * int(np.prod(binned.shape[1:], dtype=np.int64))
        self.block_bins = max(MIN_BLOCK_BINS, BLOCK_BYTES // max(series_bytes, 1))
        self._blocks = {}  # block index -> values, the last two filtered

    def values(self, j0: int, j1: int, pixels=None):
        """Baseline at bins ``j0:j1``, shape (j1 - j0, ...) (or (j1 - j0, len(pixels)))."""
        b = self.block_bins
        if pixels is not None or self.level is not None or j1 - j0 > b:
            # a long range at once (a whole trace) costs least filtered in one piece
            return self._filtered(j0, j1, pixels)
        nb = self.binned.shape[0]
        parts = []
        for k in range(j0 // b, (j1 - 1) // b + 1):
            if k not in self._blocks:
                if len(self._blocks) == 2:
                    del self._blocks[next(iter(self._blocks))]  # the older one
                self._blocks[k] = self._filtered(k * b, min(nb, (k + 1) * b))
            a = max(j0 - k * b, 0)
            parts.append(self._blocks[k][a : j1 - k * b])
        return parts[0] if len(parts) == 1 else self.xp.concatenate(parts)

    def _filtered(self, j0: int, j1: int, pixels=None):
        """Bins ``j0:j1`` of the baseline, filtered from their bins and a window either
        side."""
        xp = self.xp

        def series(a, rows):
            # rows and pixels in one selection: bins kept in a file read only those
            return a[rows] if pixels is None else a.reshape(a.shape[0], -1)[rows, pixels]

        if self.level is not None:
            level = series(self.level[None], 0)
            return xp.broadcast_to(level, (j1 - j0,) + level.shape)
        w, nb = self.w, self.binned.shape[0]
        # rank opening: the low percentile removes events, the complementary high
        # percentile over the same window undoes the lag that the first one has on a
        # monotonic trend (bleaching), so the baseline follows the trend without bias.
        # Bins j0 - w .. j1 + w of the padded series make bins j0 .. j1 exact.
        lo, hi = j0 - w, j1 + w
        parts = []
        if lo < 0:
            parts.append(series(self.head, slice(w + lo, None)))
        parts.append(series(self.binned, slice(max(lo, 0), min(hi, nb))))
        if hi > nb:
            parts.append(series(self.tail, slice(None, hi - nb)))
        window = xp.concatenate(parts) if len(parts) > 1 else parts[0]
        if _rank.compiled(window):
            return _rank.rank_opening(window, w, self.rank)
        ndimage = scipy_module(xp, "ndimage")
        size = (w,) + (1,) * (window.ndim - 1)
        low = ndimage.rank_filter(window, self.rank, size=size, mode="nearest")
        high = ndimage.rank_filter(low, w - 1 - self.rank, size=size, mode="nearest")
        return high[w : w + j1 - j0]

    def mean(self, *, block: int = 64):
        """Mean over the bins of the baseline (the typical resting level of each series):
        summed in float64 bin by bin within groups of ``block`` bins (the order of
        ``values(group).sum(axis=0)``), the groups added up. The bins come a filtering
        block at a time (:meth:`values`), not a group at once: a group of 64 bins filtered
        in one piece took 1 GB beside a segmentation pass of 1,024 x 1,024 frames."""
        xp, nb, b = self.xp, self.binned.shape[0], self.block_bins
        total = xp.zeros(self.binned.shape[1:], xp.float64)
        for j0 in range(0, nb, block):
            j1 = min(j0 + block, nb)
            group = xp.zeros_like(total)
            for k0 in range(j0, j1, b):
                for row in self.values(k0, min(k0 + b, j1)):
                    group += row
            total += group
        return (total / nb).astype(self.binned.dtype)

    def at(self, start: int, stop: int, pixels=None):
        """Baseline for frames ``start:stop``, shape (stop - start, ...): linear between bin
        centres, extrapolated past the first and last centre. Each frame's value depends
        only on the frame, not on ``start``. ``pixels`` (indices into the flattened
        trailing axes) restricts it to those series: shape (stop - start, len(pixels))."""
        xp = self.xp
        n, nb = stop - start, self.binned.shape[0]
        if nb == 1:
            values = self.values(0, 1, pixels)
            return xp.broadcast_to(values[0], (n,) + values.shape[1:]).copy()
        i, frac = self._between(start, stop)
        j0 = int(i.min()) if n else 0
        values = self.values(j0, int(i.max()) + 2 if n else 1, pixels)
        expand = (slice(None),) + (None,) * (values.ndim - 1)
        if n * values[0].size <= GATHER_ELEMENTS:  # a few traces: all frames at once
            k = xp.asarray(i - j0)
            low = values[k]
            return low + (values[k + 1] - low) * xp.asarray(frac.astype(np.float32))[expand]
        out = xp.empty((n,) + values.shape[1:], values.dtype)
        # frames between the same two bin centres share the bins and their difference
        for b in np.unique(i):
            rows = np.flatnonzero(i == b)
            sl = slice(rows[0], rows[-1] + 1)
            low = values[b - j0]
            step = values[b - j0 + 1] - low
            f = xp.asarray(frac[sl].astype(np.float32))[expand]
            out[sl] = low + step * f
        return out

    def _between(self, start: int, stop: int):
        """For frames ``start:stop``: the bin whose centre is at or before each (the
        first bin before the first centre, the last but one past the last) and the
        fraction of the way to the next bin's centre."""
        nb = self.binned.shape[0]
        t = np.arange(start, stop, dtype=np.float64)
        i = np.clip(np.searchsorted(self.centres, t) - 1, 0, nb - 2)
        return i, (t - self.centres[i]) / (self.centres[i + 1] - self.centres[i])

    def frames_of(self, bins) -> np.ndarray:
        """Bool (n_frames,): the frames whose value :meth:`at` takes from any of the bins
        marked in ``bins`` (bool, n_bins)."""
        bins = np.asarray(bins, bool)
        if len(bins) == 1:
            return np.full(self.n_frames, bool(bins[0]))
        i, _ = self._between(0, self.n_frames)
        return bins[i] | bins[i + 1]


def fill_excluded(binned, excluded, *, min_valid_fraction: float = 0.25):
    """Replace excluded bins (``excluded`` True, same shape) by linear interpolation
    between the nearest kept bins of the same series (axis 0); excluded bins at either end
    (no kept bin beyond them) keep their values.

    Used to take events out before the running percentile: a prolonged event can fill
    most of a baseline window, and a percentile of that window then sits on the event.
    Series with fewer than ``min_valid_fraction`` of their bins kept are left unchanged
    (too little baseline to interpolate from).
    """
    xp = array_namespace(binned)
    valid = ~excluded
    n = binned.shape[0]
    # index of the nearest kept bin before and after each bin, by a pass each way
    before = xp.full(binned.shape, -1, xp.int64)
    after = xp.full(binned.shape, n, xp.int64)
    last = xp.full(binned.shape[1:], -1, xp.int64)
    for i in range(n):
        last = xp.where(valid[i], i, last)
        before[i] = last
    last = xp.full(binned.shape[1:], n, xp.int64)
    for i in range(n - 1, -1, -1):
        last = xp.where(valid[i], i, last)
        after[i] = last
    lo, hi = before.clip(0, n - 1), after.clip(0, n - 1)  # used only where both exist
    v_lo = xp.take_along_axis(binned, lo, axis=0)
    v_hi = xp.take_along_axis(binned, hi, axis=0)
    i = xp.arange(n).reshape((-1,) + (1,) * (binned.ndim - 1))
    frac = xp.where(hi > lo, (i - lo) / xp.maximum(hi - lo, 1), 0.0).astype(binned.dtype)
    filled = v_lo + (v_hi - v_lo) * frac
    enough = valid.astype(xp.float32).mean(axis=0) >= min_valid_fraction
    # only gaps with kept bins on both sides are bridged: holding the nearest kept bin
    # flat towards an end would put the baseline below a bleaching trend there
    inside = (before >= 0) & (after < n)
    return xp.where(valid | ~enough | ~inside, binned, filled)


def running_baseline(x, *, window_frames: float, percentile: float, exclude=None):
    """Running-percentile baseline of traces ``x`` (T, ...) evaluated at every frame.

    ``exclude`` (bool, like ``x``) marks frames to leave out, e.g. known events: bins
    holding any of them are bridged by :func:`fill_excluded`.
    """
    size = bin_size(window_frames, n_frames=x.shape[0])
    binned = bin_means(x, size)
    if exclude is not None:
        binned = fill_excluded(binned, bin_means(exclude, size) > 0)
    rb = RunningBaseline(
        binned,
        bin_frames=size,
        n_frames=x.shape[0],
        window_frames=window_frames,
        percentile=percentile,
    )
    return rb.at(0, x.shape[0])
