"""Robust slow baseline: running rank opening of bin means, interpolated back to frames.

Binning first makes the percentile cheap for long windows and, because bin means carry
little noise, keeps a low percentile from sitting below the true baseline (the bias a
low percentile of raw noisy frames has).
"""

from __future__ import annotations

from ..backend import array_namespace, scipy_module


def bin_size(window_frames: float, *, n_frames: int | None = None, bins_per_window: int = 15,
             min_bins: int = 20) -> int:
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


def _odd_pad(x, n: int, xp):
    """Pad ``n`` bins at each end by point reflection about a robust end value, so that a
    trend continues past the ends (the opening is then unbiased up to the edges)."""
    k = min(3, x.shape[0])
    first = xp.median(x[:k], axis=0, keepdims=True)
    last = xp.median(x[-k:], axis=0, keepdims=True)
    m = min(n, x.shape[0] - 1)
    if m < 1:
        return xp.concatenate([xp.repeat(x[:1], n, axis=0), x, xp.repeat(x[-1:], n, axis=0)])
    head = 2 * first - x[1:m + 1][::-1]
    tail = 2 * last - x[-m - 1:-1][::-1]
    head = xp.concatenate([xp.repeat(head[:1], n - m, axis=0), head]) if m < n else head
    tail = xp.concatenate([tail, xp.repeat(tail[-1:], n - m, axis=0)]) if m < n else tail
    return xp.concatenate([head, x, tail])


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
    """

    def __init__(self, binned, *, bin_frames: int, n_frames: int, window_frames: float,
                 percentile: float):
        xp = array_namespace(binned)
        ndimage = scipy_module(xp, "ndimage")
        self.xp = xp
        nb = binned.shape[0]
        w = max(1, int(round(window_frames / bin_frames)))
        w = min(w | 1, 2 * nb - 1) | 1  # odd, not longer than needed
        size = (w,) + (1,) * (binned.ndim - 1)
        # rank opening: the low percentile removes events, the complementary high
        # percentile over the same window undoes the lag that the first one has on a
        # monotonic trend (bleaching), so the baseline follows the trend without bias
        padded = _odd_pad(binned, w, xp)
        low = ndimage.percentile_filter(padded, percentile, size=size, mode="nearest")
        high = ndimage.percentile_filter(low, 100 - percentile, size=size, mode="nearest")
        self.values = high[w:w + nb]
        starts = xp.arange(nb) * bin_frames
        ends = xp.minimum(starts + bin_frames, n_frames)
        self.centres = (starts + ends - 1) / 2.0

    def at(self, start: int, stop: int):
        """Baseline for frames ``start:stop``, shape (stop - start, ...)."""
        xp = self.xp
        t = xp.arange(start, stop, dtype=xp.float64)
        nb = self.values.shape[0]
        if nb == 1:
            return xp.broadcast_to(self.values[0], (stop - start,) + self.values.shape[1:]).copy()
        i = xp.clip(xp.searchsorted(self.centres, t) - 1, 0, nb - 2)
        frac = xp.clip((t - self.centres[i]) / (self.centres[i + 1] - self.centres[i]), 0, 1)
        frac = frac.reshape((-1,) + (1,) * (self.values.ndim - 1)).astype(xp.float32)
        return self.values[i] * (1 - frac) + self.values[i + 1] * frac


def running_baseline(x, *, window_frames: float, percentile: float):
    """Running-percentile baseline of traces ``x`` (T, ...) evaluated at every frame."""
    size = bin_size(window_frames, n_frames=x.shape[0])
    rb = RunningBaseline(bin_means(x, size), bin_frames=size, n_frames=x.shape[0],
                         window_frames=window_frames, percentile=percentile)
    return rb.at(0, x.shape[0])


def noise_sd(x, axis: int = 0):
    """White-noise SD from the median absolute first difference (robust to slow events):
    sigma = 1.4826 * MAD(diff) / sqrt(2)."""
    xp = array_namespace(x)
    d = xp.diff(x, axis=axis)
    med = xp.median(d, axis=axis, keepdims=True)
    return 1.4826 * xp.median(xp.abs(d - med), axis=axis) / (2**0.5)
