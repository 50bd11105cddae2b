"""Per-pixel statistics and activity maps, computed in two streaming passes over a movie.

Pass 1 fits the per-pixel baseline and noise (:func:`fit_pixel_model`). Pass 2 calls a
pixel active when its denoised dF exceeds a multiple of its noise for a minimum run of
frames, counts activations, and accumulates the local correlation image. Memory is set by
the chunk and the bins, not by the length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backend import to_numpy
from ..models._li_rinzel_numba import available, jit
from ..pixelmodel import PixelModel, frame_wide_change, open_runs, smooth_time
from . import _local_sums as local_sums
from ._local_sums import NEIGHBOURS


@dataclass
class ActivityMaps:
    """Per-pixel maps (Y, X), NumPy arrays."""

    mean: np.ndarray  # mean intensity
    max_minus_mean: np.ndarray  # max of the denoised movie minus its mean
    local_corr: np.ndarray  # mean correlation of each pixel's dF with its 8 neighbours
    active_frames: np.ndarray  # frames spent active (dF above threshold)
    activations: np.ndarray  # number of separate activations (runs of active frames)
    negative_frames: np.ndarray  # frames active in the dF mirrored about its median: noise
    noise: np.ndarray  # SD of the denoised dF
    n_frames: int
    frame_wide: np.ndarray  # (T, 2) gain, offset of each frame's frame-wide change


def activity_maps(
    movie,
    model: PixelModel,
    *,
    chunk_frames: int,
    threshold_sd: float,
    min_active_frames: int,
    coverage=None,
    hits=None,
) -> ActivityMaps:
    """Compute :class:`ActivityMaps` of a motion-corrected movie.

    Parameters
    ----------
    movie : astrocalc.io.Movie
        Motion-corrected movie (T, Y, X).
    model : PixelModel
        Its per-pixel baseline, noise and smoothing (:func:`fit_pixel_model`); the maps
        are on the model's backend.
    chunk_frames : int
        Frames per chunk.
    threshold_sd : float
        A pixel is active where denoised dF > threshold_sd * its noise SD.
    min_active_frames : int
        Runs of active frames shorter than this are ignored.
    coverage : astrocalc.motion.Coverage, optional
        A pixel is active (or below -threshold) only in the frames that hold recorded data
        at it.
    """
    xp = model.xp
    t, h, w = movie.shape
    smooth_frames = model.smooth_frames
    baseline, sd = model.baseline, model.sd
    peak = xp.full((h, w), -xp.inf, xp.float32)
    active_frames = xp.zeros((h, w), xp.int64)
    activations = xp.zeros((h, w), xp.int64)
    negative = xp.zeros((h, w), xp.int64)
    s1 = xp.zeros((h, w), xp.float64)
    s2 = xp.zeros((h, w), xp.float64)
    cross = xp.zeros((len(NEIGHBOURS), h, w), xp.float64)
    overlap = max(smooth_frames, min_active_frames) + 1
    previous_last = xp.zeros((h, w), bool)
    frame_wide = np.zeros((t, 2), np.float32)
    for start, stop, lo, block in movie.chunks(chunk_frames, overlap=overlap):
        raw = xp.asarray(block)
        dff = model.denoised(raw, lo)  # a new array: the dF takes its memory
        base = baseline.at(lo, lo + len(raw))
        dff -= base
        # above the threshold, and the same of the mirror image of activity about each
        # pixel's median dF (noise alone)
        above, mirrored = _beyond(dff, sd, model.median, threshold_sd, xp)
        up = open_runs(above, min_active_frames, xp)[start - lo : stop - lo]
        down = open_runs(mirrored, min_active_frames, xp)[start - lo : stop - lo]
        if coverage is not None:
            covered = coverage.frames(start, stop, xp)
            up &= covered
            down &= covered
        active_frames += up.sum(axis=0)
        negative += down.sum(axis=0)
        onsets = up[1:] & ~up[:-1]
        activations += onsets.sum(axis=0) + (up[0] & ~previous_last)
        previous_last = up[-1]
        core = dff[start - lo : stop - lo]
        gain, offset = frame_wide_change(core, model.mean_smooth)
        frame_wide[start:stop] = np.c_[to_numpy(gain), to_numpy(offset)]
        peak = xp.maximum(peak, core.max(axis=0))
        if hits is not None:
            # frames filled by motion correction (edge padding) carry no event
            hits.feed(core if coverage is None else xp.where(covered, core, 0), up, down)
        del dff, core  # before the next chunk-sized arrays
        # local correlation on the temporally smoothed, spatially unsmoothed dF
        hp = smooth_time(raw, smooth_frames, xp)[start - lo : stop - lo]
        hp = hp - base[start - lo : stop - lo]
        local_sums.accumulate(hp, s1, s2, cross, xp)
    mu, var = s1 / t, s2 / t - (s1 / t) ** 2
    var = xp.maximum(var, 1e-20)
    total_r = xp.zeros((h, w), xp.float64)
    count = xp.zeros((h, w), xp.float64)
    for c, (dy, dx) in zip(cross, NEIGHBOURS, strict=True):
        cov = c / t - mu * _roll(mu, dy, dx, xp)
        r = cov / xp.sqrt(var * _roll(var, dy, dx, xp))
        valid = local_sums.inside(h, w, dy, dx, xp)
        total_r += xp.where(valid, r, 0)
        count += valid
        # the same pair seen from the neighbour's side
        total_r += _roll(xp.where(valid, r, 0), -dy, -dx, xp)
        count += _roll(valid.astype(xp.float64), -dy, -dx, xp)
    local_corr = total_r / xp.maximum(count, 1)
    return ActivityMaps(
        mean=to_numpy(model.mean_raw).astype(np.float32),
        max_minus_mean=to_numpy(peak + baseline.mean() - model.mean_smooth).astype(np.float32),
        local_corr=to_numpy(local_corr).astype(np.float32),
        active_frames=to_numpy(active_frames),
        activations=to_numpy(activations),
        negative_frames=to_numpy(negative),
        noise=to_numpy(sd).astype(np.float32),
        n_frames=t,
        frame_wide=frame_wide,
    )


def _beyond(dff, sd, median, threshold_sd: float, xp):
    """``dff / sd > threshold_sd`` and ``(2 * median - dff) / sd > threshold_sd``: on NumPy
    float32 one compiled pass without the two float temporaries, the same float32
    arithmetic and comparison (NumPy compares with the threshold rounded to float32)."""
    arrays = (dff, sd, median)
    if xp is not np or any(a.dtype != np.float32 for a in arrays) or not available():
        return dff / sd > threshold_sd, (2 * median - dff) / sd > threshold_sd
    n = len(dff)
    above = np.empty(dff.shape, bool)
    mirrored = np.empty(dff.shape, bool)
    _beyond_frames(
        np.ascontiguousarray(dff).reshape(n, -1), np.ascontiguousarray(sd).ravel(),
        np.ascontiguousarray(median).ravel(), np.float32(threshold_sd),
        above.reshape(n, -1), mirrored.reshape(n, -1),
    )  # fmt: skip
    return above, mirrored


@jit(nogil=True)
def _beyond_frames(dff, sd, median, threshold, above, mirrored):  # pragma: no cover
    two = np.float32(2)
    for f in range(dff.shape[0]):
        d, up, down = dff[f], above[f], mirrored[f]
        for i in range(d.shape[0]):
            up[i] = d[i] / sd[i] > threshold
            down[i] = (two * median[i] - d[i]) / sd[i] > threshold


def _roll(a, dy, dx, xp):
    """``out[y, x] = a[y + dy, x + dx]`` (wrapping: mask with ``local_sums.inside``)."""
    return xp.roll(a, shift=(-dy, -dx), axis=(-2, -1))
