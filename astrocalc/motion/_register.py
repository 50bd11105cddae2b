"""Register a whole movie, streaming chunks of frames from disk to disk."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..backend import BATCH_PIXELS, array_namespace, map_batches, to_numpy
from ._intensity import intensity_affine
from ._phase_correlation import (
    Template,
    estimate_batch,
    make_template,
    phase_correlation,
)
from ._piecewise import (
    Blocks,
    block_shifts,
    block_template,
    interpolation_weights,
    make_blocks,
    remap,
    shift_field,
)
from ._reference import frame_correlation, make_reference
from ._shift import shift_frames
from ._steps import STEP_WINDOW_S, StepFinder


@dataclass
class MotionResult:
    shifts: pd.DataFrame  # frame, dy, dx, corr, corr_before, flagged
    reference: np.ndarray  # (Y, X) float32
    mean_before: np.ndarray  # (Y, X) mean of the raw movie
    mean_after: np.ndarray  # (Y, X) mean of the corrected movie
    block_shifts: np.ndarray | None = None  # (T, nby, nbx, 2) when piecewise
    blocks: pd.DataFrame | None = None  # one row per block (Blocks.table) when piecewise


def sample_frames(movie, n: int, xp) -> object:
    """``n`` frames evenly spaced over the movie, read one by one (memory: n frames)."""
    idx = np.unique(np.linspace(0, movie.n_frames - 1, min(n, movie.n_frames)).astype(int))
    out = np.empty((len(idx),) + tuple(movie.shape[1:]), np.float32)
    for j, i in enumerate(idx):
        out[j] = movie.read(i, i + 1)[0]
    return xp.asarray(out)


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


@dataclass
class Piecewise:
    """What piecewise-rigid correction needs beyond the rigid template."""

    blocks: Blocks
    template: Template  # stacked, one per block of the reference
    weights_y: object  # (Y, nby) spline weights from block centres to rows
    weights_x: object  # (X, nbx)
    max_shift_px: float  # largest block shift away from the rigid shift

    @classmethod
    def build(cls, reference, *, size_px, overlap, max_shift_px, smooth_sigma_px):
        xp = array_namespace(reference)
        blocks = make_blocks(reference.shape, size_px, overlap)
        template = block_template(reference, blocks, smooth_sigma_px=smooth_sigma_px)
        wy = interpolation_weights(reference.shape[0], blocks.centres_y, xp)
        wx = interpolation_weights(reference.shape[1], blocks.centres_x, xp)
        return cls(blocks, template, wy, wx, max_shift_px)


def correct_batch(
    frames,
    template: Template,
    reference,
    *,
    max_shift_px,
    piecewise=None,
    guide=None,
    shifts=None,
    pad_px=None,
    rigid=False,
):
    """Register a batch of frames (n, Y, X): the rigid shift of each frame, undone by a
    Fourier shift; with ``piecewise``, block shifts are measured on that rigidly
    corrected frame and the raw frame is remapped once by rigid + block shifts.

    ``guide`` (n, Y, X), the same frames in a structural channel, is what the shifts are
    measured on (and what the QC correlations use) when given; they are applied to
    ``frames``. ``shifts`` (n, 2), when given, are the rigid shifts (measured earlier)
    and are not measured again. ``pad_px``: see :func:`shift_frames`.

    Returns a dict: shifts (n, 2), block_shifts (n, nby, nbx, 2) or None, corrected
    (n, Y, X) float32, corr_before and corr_after (n,) with the reference, and with
    ``rigid`` the frames (not the guide) corrected by the rigid shifts alone (the
    corrected frames themselves unless ``piecewise``).
    """
    measured = frames if guide is None else guide
    if shifts is None:
        est, _ = estimate_batch(measured, template, max_shift_px=max_shift_px)
    else:
        est = shifts
    moved = shift_frames(measured, est, pad_px=pad_px)
    total = None
    if piecewise is not None:
        local = block_shifts(
            moved, piecewise.blocks, piecewise.template, max_shift_px=piecewise.max_shift_px
        )
        total = local + est[:, None, None, :]
        field = shift_field(total, piecewise.weights_y, piecewise.weights_x)
        corrected = remap(frames, field)
        if guide is not None:
            moved = remap(guide, field)
    else:
        corrected = moved if guide is None else shift_frames(frames, est, pad_px=pad_px)
    aligned = None
    if rigid and piecewise is None:
        aligned = corrected
    elif rigid:
        aligned = moved if guide is None else shift_frames(frames, est, pad_px=pad_px)
    return {
        "shifts": est,
        "block_shifts": total,
        "corrected": corrected,
        "rigid": aligned,
        "corr_before": frame_correlation(measured, reference),
        "corr_after": frame_correlation(corrected if guide is None else moved, reference),
    }


def _piecewise_reference(sample, template, reference, piece, max_shift_px):
    """Mean of the better-matching half of the sample after piecewise correction."""
    xp = array_namespace(sample)
    h, w = reference.shape
    parts = map_batches(
        lambda sl: correct_batch(
            sample[sl], template, reference, max_shift_px=max_shift_px, piecewise=piece
        ),
        len(sample),
        h * w,
        xp,
    )
    r = xp.concatenate([p["corr_after"] for p in parts])
    keep = r >= xp.median(r)
    corrected = xp.concatenate([p["corrected"] for p in parts])
    return corrected[keep].mean(axis=0)


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
    remove_steps: bool = False,
    enabled: bool = True,
    piecewise: dict | None = None,
    guide=None,
    progress=None,
) -> MotionResult:
    """Estimate and undo motion, streaming blocks of frames from ``movie`` to ``writer``.

    Parameters
    ----------
    movie : astrocalc.io.Movie
        Input, read in blocks of at most ``chunk_frames`` frames.
    writer : astrocalc.io.MovieWriter or None
        Receives the corrected frames in order; None skips writing.
    xp : module
        Array backend (numpy or cupy).
    max_shift_px : float
        Largest displacement searched (pixels).
    normalize_intensity : bool
        Undo frame-wide gain/offset changes (see :func:`intensity_affine`); the gain and
        offset of each frame are reported as columns of the shifts table.
    remove_steps : bool
        Undo sudden frame-wide changes only (:mod:`astrocalc.motion._steps`; ignored with
        ``normalize_intensity``, which undoes them too); the gain and offset of each frame
        and whether a step happens there are reported as columns of the shifts table.
    enabled : bool
        False writes the movie unchanged (as float32) with zero shifts.
    piecewise : dict or None
        Piecewise-rigid correction: ``size_px``, ``overlap`` and ``max_shift_px`` of the
        blocks (see :class:`Piecewise`). None corrects rigidly.
    guide : astrocalc.io.Movie or None
        A structural channel of the same recording (same shape): the reference is built
        from it and the shifts are measured on it, then applied to ``movie``; the QC
        correlations are those of the guide.

    Returns
    -------
    MotionResult
        Per-frame shifts and QC, reference and mean images before/after, and with
        ``piecewise`` the block shifts (T, nby, nbx, 2) and the block table.
    """
    t, h, w = movie.shape
    if guide is not None and tuple(guide.shape) != tuple(movie.shape):
        raise ValueError(f"guide shape {guide.shape} differs from the movie's {movie.shape}")
    template = piece = reference = None
    if enabled:
        sample = sample_frames(movie if guide is None else guide, reference_frames, xp)
        reference = make_reference(
            sample,
            max_shift_px=max_shift_px,
            iterations=reference_iterations,
            smooth_sigma_px=smooth_sigma_px,
        )
        template = make_template(reference, smooth_sigma_px=smooth_sigma_px)
        if piecewise is not None:
            piece = Piecewise.build(reference, smooth_sigma_px=smooth_sigma_px, **piecewise)
            # a rigid reference of warping tissue is blurred where the warp is large: one
            # round of piecewise correction of the sample sharpens it
            reference = _piecewise_reference(sample, template, reference, piece, max_shift_px)
            template = make_template(reference, smooth_sigma_px=smooth_sigma_px)
        del sample
    # blocks of about BATCH_PIXELS rather than whole chunks: arrays that size are reused
    # from the heap, where larger ones are mapped afresh (page faults) at every allocation
    block_frames = max(1, min(chunk_frames, BATCH_PIXELS // (h * w)))
    shifts = np.zeros((t, 2), np.float32)
    remove_steps = remove_steps and not normalize_intensity
    if remove_steps and movie.frame_rate_hz is None:
        raise ValueError("remove_steps needs the movie's frame rate")
    if enabled:
        # pass 1: every frame's rigid shift; the reference is then moved to the median
        # position of the whole recording (the sample's median can be off by 0.1 px)
        for start, stop, _, block in (movie if guide is None else guide).chunks(block_frames):
            shifts[start:stop] = to_numpy(
                phase_correlation(xp.asarray(block), template, max_shift_px=max_shift_px)
            )
        centre = np.median(shifts, axis=0).astype(np.float32)
        shifts -= centre
        pad = int(np.ceil(np.abs(shifts).max())) + 2  # one FFT shape for every batch
        reference = shift_frames(reference[None], -xp.asarray(centre)[None])[0]
        template = make_template(reference, smooth_sigma_px=smooth_sigma_px)
        if piecewise is not None:
            piece = Piecewise.build(reference, smooth_sigma_px=smooth_sigma_px, **piecewise)
    finder = None
    if remove_steps:
        # steps are sought on frames aligned to a fraction of a pixel (the rigid shifts),
        # away from the band the actual shifts leave without data: frames aligned to
        # whole pixels keep the edges of bright structures moving by up to half a pixel,
        # and the band of the largest shift allowed (max_shift_px) left a small field few
        # pixels; either made the frame-wide fits noisy enough that an event's onset
        # passed for a step and a step under a wave was missed (development seeds of the
        # evaluation generator). They are sought as the frames are corrected, and undone
        # after, in the frames written (pass 3).
        finder = StepFinder(
            t,
            window_frames=int(round(STEP_WINDOW_S * movie.frame_rate_hz)),
            border_px=int(np.ceil(np.abs(shifts).max())) + 1,
        )
    block_table = piece.blocks.table() if piece is not None else None
    all_block_shifts = (
        np.zeros((t, *piece.blocks.grid, 2), np.float32) if piece is not None else None
    )
    corr_after = np.full(t, np.nan, np.float32)
    corr_before = np.full(t, np.nan, np.float32)
    gains = np.ones(t, np.float32)
    offsets = np.zeros(t, np.float32)
    sum_before = xp.zeros((h, w), xp.float64)
    sum_after = xp.zeros((h, w), xp.float64)

    def correct(frames, structural, start, stop):
        known = xp.asarray(shifts[start:stop])
        return map_batches(
            lambda sl: correct_batch(
                frames[sl],
                template,
                reference,
                max_shift_px=max_shift_px,
                piecewise=piece,
                guide=None if structural is None else structural[sl],
                shifts=known[sl],
                pad_px=pad,
                rigid=finder is not None,
            ),
            len(frames),
            h * w,
            xp,
        )

    guides = guide.chunks(block_frames) if guide is not None else None
    level = None
    for start, stop, _, block in movie.chunks(block_frames):
        frames = xp.asarray(block)
        structural = xp.asarray(next(guides)[3]) if guides is not None else None
        if enabled:  # pass 2: apply the shifts (and measure the blocks)
            parts = correct(frames, structural, start, stop)
            corrected = xp.concatenate([p["corrected"] for p in parts])
            corr_before[start:stop] = to_numpy(xp.concatenate([p["corr_before"] for p in parts]))
            corr_after[start:stop] = to_numpy(xp.concatenate([p["corr_after"] for p in parts]))
            if piece is not None:
                all_block_shifts[start:stop] = to_numpy(
                    xp.concatenate([p["block_shifts"] for p in parts])
                )
            if finder is not None:
                finder.add(
                    corrected if piece is None else xp.concatenate([p["rigid"] for p in parts])
                )
        else:
            corrected = frames
            if finder is not None:
                finder.add(frames)
        if normalize_intensity:
            if level is None:
                # the intensities to match: the reference, or the calcium channel's own
                # mean where a structural channel made the reference
                level = (
                    reference
                    if enabled and guide is None
                    else xp.asarray(sample_frames(movie, reference_frames, xp)).mean(axis=0)
                )
            gain, offset = intensity_affine(
                corrected, level, border_px=int(np.ceil(np.abs(shifts).max())) + 1
            )
            corrected = (corrected - offset[:, None, None]) / gain[:, None, None]
            gains[start:stop], offsets[start:stop] = to_numpy(gain), to_numpy(offset)
        sum_before += frames.sum(axis=0)
        sum_after += corrected.sum(axis=0)
        if writer is not None:
            writer.write(to_numpy(corrected))
        if progress is not None:
            progress(stop, t)
    steps = finder.result() if finder is not None else None
    if steps is not None and steps.changes_frames:
        # pass 3: undo the steps in the frames written (with no writer, corrected anew)
        sum_after[:] = 0
        for start, stop, _, _ in movie.chunk_bounds(block_frames):
            if writer is not None:
                corrected = xp.asarray(writer.read(start, stop))
            elif enabled:
                structural = None if guide is None else xp.asarray(guide.read(start, stop))
                parts = correct(xp.asarray(movie.read(start, stop)), structural, start, stop)
                corrected = xp.concatenate([p["corrected"] for p in parts])
            else:
                corrected = xp.asarray(movie.read(start, stop))
            undone = steps.undo(corrected, start)
            if writer is not None and undone is not corrected:
                writer.write_at(start, to_numpy(undone))
            sum_after += undone.sum(axis=0)
    mean_before = to_numpy(sum_before / t).astype(np.float32)
    mean_after = to_numpy(sum_after / t).astype(np.float32)
    if not enabled:
        reference = mean_after
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
    elif steps is not None:
        table["gain"], table["offset"] = steps.gain, steps.offset
        table["step"] = np.isin(table.frame, steps.frames)
    return MotionResult(
        table,
        to_numpy(reference).astype(np.float32),
        mean_before,
        mean_after,
        all_block_shifts,
        block_table,
    )
