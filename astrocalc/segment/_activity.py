"""Per-pixel statistics and activity maps, computed in two streaming passes over a movie.

Pass 1 gathers what the baseline and noise need (bin means, a sample of frame-to-frame
differences, the mean image). Pass 2 calls a pixel active when its denoised dF exceeds a
multiple of its noise for a minimum run of frames, counts activations, and accumulates
the local correlation image. Memory is set by the chunk and the bins, not by the length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backend import scipy_module, to_numpy
from ..events._baseline import RunningBaseline, bin_means, bin_size

_NOISE_SAMPLE_FRAMES = 256


@dataclass
class ActivityMaps:
    """Per-pixel maps (Y, X), NumPy arrays."""

    mean: np.ndarray  # mean intensity
    max_minus_mean: np.ndarray  # max of the denoised movie minus its mean
    local_corr: np.ndarray  # mean correlation of each pixel's dF with its 8 neighbours
    active_frames: np.ndarray  # frames spent active (dF above threshold)
    activations: np.ndarray  # number of separate activations (runs of active frames)
    negative_frames: np.ndarray  # frames below -threshold: the noise-only false-positive level
    noise: np.ndarray  # SD of the denoised dF
    n_frames: int


def _smooth_space(frames, sigma_px, xp):
    if sigma_px <= 0:
        return frames
    ndimage = scipy_module(xp, "ndimage")
    return ndimage.gaussian_filter(frames, sigma=(0, sigma_px, sigma_px), mode="nearest")


def _smooth_time(block, k, xp):
    if k <= 1:
        return block
    ndimage = scipy_module(xp, "ndimage")
    return ndimage.uniform_filter1d(block, size=k, axis=0, mode="nearest")


def _open_runs(active, n, xp):
    """Keep only runs of at least ``n`` consecutive True frames (a 1-D opening in time)."""
    if n <= 1:
        return active
    c = xp.concatenate(
        [xp.zeros((1,) + active.shape[1:], xp.int32), xp.cumsum(active, axis=0, dtype=xp.int32)]
    )
    starts = (c[n:] - c[:-n]) == n  # run of n True frames begins at i
    e = xp.concatenate(
        [xp.zeros((1,) + active.shape[1:], xp.int32), xp.cumsum(starts, axis=0, dtype=xp.int32)]
    )
    t = active.shape[0]
    j = xp.arange(t)
    hi = xp.minimum(j + 1, starts.shape[0])
    lo = xp.clip(j - n + 1, 0, starts.shape[0])
    return (e[hi] - e[lo]) > 0


_NEIGHBOURS = ((0, 1), (1, -1), (1, 0), (1, 1))  # the other four follow by symmetry


def activity_maps(
    movie,
    xp,
    *,
    chunk_frames: int,
    frame_rate_hz: float,
    sigma_px: float,
    smooth_frames: int,
    baseline_window_frames: float,
    baseline_percentile: float,
    threshold_sd: float,
    min_active_frames: int,
) -> ActivityMaps:
    """Compute :class:`ActivityMaps` of a motion-corrected movie.

    Parameters
    ----------
    movie : astrocalc.io.Movie
        Motion-corrected movie (T, Y, X).
    xp : module
        Array backend.
    chunk_frames : int
        Frames per chunk.
    frame_rate_hz : float
        Frames per second (only recorded; all windows here are in frames).
    sigma_px : float
        Gaussian spatial smoothing (pixels).
    smooth_frames : int
        Temporal box smoothing (frames).
    baseline_window_frames, baseline_percentile : float
        Running-percentile baseline (frames, percent).
    threshold_sd : float
        A pixel is active where denoised dF > threshold_sd * its noise SD.
    min_active_frames : int
        Runs of active frames shorter than this are ignored.
    """
    t, h, w = movie.shape
    b = bin_size(baseline_window_frames, n_frames=t)
    bins, carry = [], None
    total = xp.zeros((h, w), xp.float64)
    for _, stop, _, block in movie.chunks(chunk_frames):
        frames = _smooth_space(xp.asarray(block), sigma_px, xp)
        total += frames.sum(axis=0)
        # bins are aligned to multiples of b whatever the chunk size
        stack = frames if carry is None else xp.concatenate([carry, frames])
        done = len(stack) if stop == t else (len(stack) // b) * b
        if done:
            bins.append(bin_means(stack[:done], b))
        carry = stack[done:] if done < len(stack) else None
    bins = xp.concatenate(bins)
    mean_smooth = (total / t).astype(xp.float32)
    baseline = RunningBaseline(
        bins,
        bin_frames=b,
        n_frames=t,
        window_frames=baseline_window_frames,
        percentile=baseline_percentile,
    )

    # Noise of the denoised dF, from a sample of short frame windows spread over the movie:
    # the larger of the white-noise SD (frame-to-frame differences, scaled by the box
    # smoothing) and the spread of the lower half of the denoised dF over the sample
    # (median minus 15.87th percentile: events widen only the upper half). The second also
    # holds for noise that is not white (flicker, compression artefacts), which the
    # differences miss, and does not depend on where the baseline sits.
    k = max(smooth_frames, 1)
    # about 256 windows, fewer for large frames so that the sample stays near 64 MB
    n_sample = int(np.clip(_NOISE_SAMPLE_FRAMES * 65536 / (h * w), 48, _NOISE_SAMPLE_FRAMES))
    starts = np.unique(np.linspace(0, t - max(k, 2), min(n_sample, t - max(k, 2) + 1)).astype(int))
    windows = xp.stack(
        [_smooth_space(xp.asarray(movie.read(i, i + max(k, 2))), sigma_px, xp) for i in starts]
    )  # (n, max(k, 2), Y, X)
    d = windows[:, 1] - windows[:, 0]
    med = xp.median(d, axis=0)
    white = 1.4826 * xp.median(xp.abs(d - med), axis=0) / 2**0.5 / k**0.5
    df = windows[:, :k].mean(axis=1) - xp.concatenate(
        [baseline.at(int(i) + (k - 1) // 2, int(i) + (k - 1) // 2 + 1) for i in starts]
    )
    low, mid = xp.percentile(df, xp.asarray([15.87, 50.0]), axis=0)
    sd = xp.maximum(white, mid - low) + 1e-6 * float(xp.abs(mean_smooth).mean() + 1)
    del windows, d, df

    mean = xp.zeros((h, w), xp.float64)
    peak = xp.full((h, w), -xp.inf, xp.float32)
    active_frames = xp.zeros((h, w), xp.int64)
    activations = xp.zeros((h, w), xp.int64)
    negative = xp.zeros((h, w), xp.int64)
    s1 = xp.zeros((h, w), xp.float64)
    s2 = xp.zeros((h, w), xp.float64)
    cross = [xp.zeros((h, w), xp.float64) for _ in _NEIGHBOURS]
    overlap = max(smooth_frames, min_active_frames) + 1
    previous_last = xp.zeros((h, w), bool)
    for start, stop, lo, block in movie.chunks(chunk_frames, overlap=overlap):
        raw = xp.asarray(block)
        mean += raw[start - lo : stop - lo].sum(axis=0)
        frames = _smooth_time(_smooth_space(raw, sigma_px, xp), smooth_frames, xp)
        dff = frames - baseline.at(lo, lo + len(frames))
        z = dff / sd
        up = _open_runs(z > threshold_sd, min_active_frames, xp)[start - lo : stop - lo]
        down = _open_runs(z < -threshold_sd, min_active_frames, xp)[start - lo : stop - lo]
        active_frames += up.sum(axis=0)
        negative += down.sum(axis=0)
        onsets = up[1:] & ~up[:-1]
        activations += onsets.sum(axis=0) + (up[0] & ~previous_last)
        previous_last = up[-1]
        core = dff[start - lo : stop - lo]
        peak = xp.maximum(peak, core.max(axis=0))
        # local correlation on the temporally smoothed, spatially unsmoothed dF
        hp = _smooth_time(raw, smooth_frames, xp)[start - lo : stop - lo] - baseline.at(start, stop)
        s1 += hp.sum(axis=0)
        s2 += (hp * hp).sum(axis=0)
        for c, (dy, dx) in zip(cross, _NEIGHBOURS, strict=True):
            c += (hp * _roll(hp, dy, dx, xp)).sum(axis=0)
    mean = mean / t
    mu, var = s1 / t, s2 / t - (s1 / t) ** 2
    var = xp.maximum(var, 1e-20)
    total_r = xp.zeros((h, w), xp.float64)
    count = xp.zeros((h, w), xp.float64)
    for c, (dy, dx) in zip(cross, _NEIGHBOURS, strict=True):
        cov = c / t - mu * _roll(mu, dy, dx, xp)
        r = cov / xp.sqrt(var * _roll(var, dy, dx, xp))
        valid = _valid(h, w, dy, dx, xp)
        total_r += xp.where(valid, r, 0)
        count += valid
        # the same pair seen from the neighbour's side
        total_r += _roll(xp.where(valid, r, 0), -dy, -dx, xp)
        count += _roll(valid.astype(xp.float64), -dy, -dx, xp)
    local_corr = total_r / xp.maximum(count, 1)
    return ActivityMaps(
        mean=to_numpy(mean).astype(np.float32),
        max_minus_mean=to_numpy(peak + baseline.values.mean(axis=0) - mean_smooth).astype(
            np.float32
        ),
        local_corr=to_numpy(local_corr).astype(np.float32),
        active_frames=to_numpy(active_frames),
        activations=to_numpy(activations),
        negative_frames=to_numpy(negative),
        noise=to_numpy(sd).astype(np.float32),
        n_frames=t,
    )


def _roll(a, dy, dx, xp):
    """``out[y, x] = a[y + dy, x + dx]`` (wrapping; wrapped pixels are masked by _valid)."""
    return xp.roll(a, shift=(-dy, -dx), axis=(-2, -1))


def _valid(h, w, dy, dx, xp):
    yy = xp.arange(h)[:, None] + dy
    xx = xp.arange(w)[None, :] + dx
    return (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
