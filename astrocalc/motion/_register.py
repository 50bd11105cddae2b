"""Register a whole movie, streaming chunks of frames from disk to disk."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..backend import array_namespace, to_numpy
from ._phase_correlation import make_template, phase_correlation
from ._reference import frame_correlation, make_reference
from ._shift import shift_frames


@dataclass
class MotionResult:
    shifts: pd.DataFrame  # frame, dy, dx, corr, corr_before, flagged
    reference: np.ndarray  # (Y, X) float32
    mean_before: np.ndarray  # (Y, X) mean of the raw movie
    mean_after: np.ndarray  # (Y, X) mean of the corrected movie


def sample_frames(movie, n: int, xp) -> object:
    """``n`` frames evenly spaced over the movie, read one by one (memory: n frames)."""
    idx = np.unique(np.linspace(0, movie.n_frames - 1, min(n, movie.n_frames)).astype(int))
    return xp.asarray(np.stack([movie.read(i, i + 1)[0] for i in idx]))


def crispness(image: np.ndarray) -> float:
    """Mean gradient magnitude over mean intensity: higher for a sharper mean image."""
    gy, gx = np.gradient(image.astype(np.float64))
    return float(np.hypot(gy, gx).mean() / (np.abs(image).mean() + 1e-30))


def flag_outliers(corr: np.ndarray, decorrelation_ratio: float) -> np.ndarray:
    """True for frames whose decorrelation from the reference, ``1 - r``, exceeds
    ``decorrelation_ratio`` times the median decorrelation (z-motion, artefacts).

    A ratio rather than a z-score: calcium events lower ``r`` a little in many frames, and
    flagging those would remove the activity being studied.
    """
    loss = 1.0 - np.asarray(corr, np.float64)
    return loss > decorrelation_ratio * max(float(np.median(loss)), 1e-6)


def intensity_affine(frames, reference, *, low: float = 10, high: float = 90):
    """Per-frame gain and offset mapping the reference's intensities onto each frame's,
    ``frame ~ gain * reference + offset``, from the spread and median of intensities.

    Percentiles over the whole frame are barely moved by events that cover a minority of
    pixels, but follow a frame-wide change of laser power or detector gain, or a movie
    whose frames were rescaled one by one.
    """
    xp = array_namespace(frames)
    f = frames.reshape(len(frames), -1)
    r = reference.reshape(-1)
    q = xp.asarray([low, 50.0, high])
    pf = xp.percentile(f, q, axis=1)  # (3, n)
    pr = xp.percentile(r, q)
    gain = (pf[2] - pf[0]) / max(float(pr[2] - pr[0]), 1e-12)
    gain = xp.where(gain > 0, gain, 1.0)
    offset = pf[1] - gain * pr[1]
    return gain, offset


def register_movie(
    movie,
    writer,
    xp,
    *,
    chunk_frames: int,
    max_shift_px: float,
    reference_frames: int = 200,
    reference_iterations: int = 3,
    smooth_sigma_px: float = 1.0,
    flag_decorrelation: float = 10.0,
    normalize_intensity: bool = False,
    enabled: bool = True,
    progress=None,
) -> MotionResult:
    """Estimate and undo rigid motion, chunk by chunk.

    Parameters
    ----------
    movie : astrocalc.io.Movie
        Input, read in chunks of ``chunk_frames`` frames.
    writer : astrocalc.io.MovieWriter or None
        Receives the corrected frames in order; None skips writing.
    xp : module
        Array backend (numpy or cupy).
    max_shift_px : float
        Largest displacement searched (pixels).
    normalize_intensity : bool
        Undo frame-wide gain/offset changes (see :func:`intensity_affine`); the gain and
        offset of each frame are reported as columns of the shifts table.
    enabled : bool
        False writes the movie unchanged (as float32) with zero shifts.

    Returns
    -------
    MotionResult
        Per-frame shifts and QC, reference and mean images before/after.
    """
    t, h, w = movie.shape
    if enabled:
        sample = sample_frames(movie, reference_frames, xp)
        reference = make_reference(
            sample,
            max_shift_px=max_shift_px,
            iterations=reference_iterations,
            smooth_sigma_px=smooth_sigma_px,
        )
        del sample
        template = make_template(reference, smooth_sigma_px=smooth_sigma_px)
    else:
        reference = None
    shifts = np.zeros((t, 2), np.float32)
    if enabled:
        # pass 1: every frame's shift; the reference is then moved to the median position
        # of the whole recording, so shifts are centred on it whatever frames were sampled
        for start, stop, _, block in movie.chunks(chunk_frames):
            est = phase_correlation(xp.asarray(block), template, max_shift_px=max_shift_px)
            shifts[start:stop] = to_numpy(est)
        centre = np.median(shifts, axis=0).astype(np.float32)
        shifts -= centre
        reference = shift_frames(xp.asarray(reference)[None], -xp.asarray(centre)[None])[0]
    corr_after = np.zeros(t, np.float32)
    corr_before = np.zeros(t, np.float32)
    gains = np.ones(t, np.float32)
    offsets = np.zeros(t, np.float32)
    ref_xp = xp.asarray(reference) if reference is not None else None
    sum_before = xp.zeros((h, w), xp.float64)
    sum_after = xp.zeros((h, w), xp.float64)
    for start, stop, _, block in movie.chunks(chunk_frames):
        frames = xp.asarray(block)
        if enabled:  # pass 2: apply the shifts
            corrected = shift_frames(frames, xp.asarray(shifts[start:stop]))
            corr_before[start:stop] = to_numpy(frame_correlation(frames, reference))
            corr_after[start:stop] = to_numpy(frame_correlation(corrected, reference))
        else:
            corrected = frames
        if normalize_intensity:
            gain, offset = intensity_affine(
                corrected, ref_xp if enabled else corrected.mean(axis=0)
            )
            corrected = (corrected - offset[:, None, None]) / gain[:, None, None]
            gains[start:stop], offsets[start:stop] = to_numpy(gain), to_numpy(offset)
        sum_before += frames.sum(axis=0)
        sum_after += corrected.sum(axis=0)
        if writer is not None:
            writer.write(to_numpy(corrected))
        if progress is not None:
            progress(stop, t)
    mean_before = to_numpy(sum_before / t).astype(np.float32)
    mean_after = to_numpy(sum_after / t).astype(np.float32)
    if not enabled:
        reference = mean_after
        corr_after = corr_before = np.full(t, np.nan, np.float32)
    table = pd.DataFrame(
        {
            "frame": np.arange(t),
            "dy": shifts[:, 0],
            "dx": shifts[:, 1],
            "corr": corr_after,
            "corr_before": corr_before,
            "flagged": flag_outliers(corr_after, flag_decorrelation)
            if enabled
            else np.zeros(t, bool),
        }
    )
    if normalize_intensity:
        table["gain"], table["offset"] = gains, offsets
    return MotionResult(table, to_numpy(reference).astype(np.float32), mean_before, mean_after)
