"""Frame-wide intensity fits: how each frame's intensities map onto a reference's, as a
gain and an offset, robust to the pixels that change on their own (events)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..backend import array_namespace, map_batches
from ..models._li_rinzel_numba import jit
from ..orderstats import median, percentile

# pixels binned for the global intensity fit, and its least-squares passes on the lower
# 60 % of residuals before the robust reweighting
BIN_PX, TRIM_PASSES = 4, 3
# largest standard error of a fitted gain (relative) before the fit falls back to a scale
MAX_GAIN_SE = 0.02


def intensity_affine(frames, reference, *, border_px: int = 0, iterations: int = 4):
    """Per-frame gain and offset mapping the reference's intensities onto each frame's,
    ``frame ~ gain * reference + offset``: the frame-wide (global) intensity change.

    A robust regression of each frame on the reference over its pixels (least squares,
    refitted ``TRIM_PASSES`` times on the pixels below the 60th percentile of the
    residuals, then ``iterations`` reweightings with Tukey's biweight at 4.685 robust SD of
    the residuals; Holland & Welsch 1977, Commun Stat 6:813), so that pixels taking part in
    events, even a wave over the whole cell, are outliers that do not pull the fit, while
    a change of laser power or detector gain, photobleaching, or frames rescaled one by
    one (8-bit video exports) move every pixel and are followed. ``border_px`` leaves out
    an edge band (where motion correction had no data). The fit is on means of
    ``BIN_PX`` x ``BIN_PX`` pixels (at most 32,768 of them, evenly spaced): the shot noise
    of single pixels is skewed at low counts and would bias the robust weights.
    ``reference`` is one image (Y, X) for all frames or one per frame (n, Y, X).
    """
    fit = robust_affine(frames, reference, border_px=border_px, iterations=iterations)
    xp = array_namespace(frames)
    return xp.where(fit.fitted, fit.gain, 1.0), xp.where(fit.fitted, fit.offset, 0.0)


@dataclass
class AffineFit:
    """Robust per-frame fit ``frame ~ gain * reference + offset`` (:func:`robust_affine`).
    ``fitted`` is False where the fit is not to be trusted: too little contrast in the
    reference to fix a slope (its standard error over ``MAX_GAIN_SE`` of the gain), or a
    gain that is not positive."""

    gain: object  # (n,) float32
    offset: object  # (n,) float32
    fitted: object  # (n,) bool
    # (n,) distance of the fit from no change (gain 1, offset 0) in standard errors: the
    # root of the Wald statistic of both, 0 where the fit was refused
    z: object


def _binned(images, b: int, k: int, hh: int, ww: int, step: int = 1):
    """Means of ``k`` x ``k`` pixels of images (..., Y, X) inside a border of ``b``,
    flattened to (..., P), every ``step``-th of them, float32. On NumPy one compiled pass
    that reads only the pixels of the bins kept (no float32 copy of the frames); it adds
    a bin's pixels in NumPy's order (each row of the bin, then the rows), so the means
    are ``mean(axis=(-3, -1))``'s bit for bit."""
    xp = array_namespace(images)
    lead = images.shape[:-2]
    if xp is np:
        flat = np.ascontiguousarray(images).reshape(-1, *images.shape[-2:])
        ny, nx = hh // k, ww // k
        out = np.empty((flat.shape[0], -(-ny * nx // step)), np.float32)
        _block_means(flat, b, k, nx, step, out)
        return out.reshape(*lead, -1)
    x = images.astype(xp.float32)[..., b : b + hh, b : b + ww]
    binned = x.reshape(*lead, hh // k, k, ww // k, k).mean(axis=(-3, -1))
    return binned.reshape(*lead, -1)[..., ::step]


@jit(nogil=True)
def _block_means(images, b, k, nx, step, out):  # pragma: no cover - compiled
    inv = np.float32(k * k)
    for f in range(images.shape[0]):
        for q in range(out.shape[1]):
            p = q * step
            y0, x0 = b + (p // nx) * k, b + (p % nx) * k
            total = np.float32(0.0)
            for dy in range(k):
                row = np.float32(0.0)
                for dx in range(k):
                    row += np.float32(images[f, y0 + dy, x0 + dx])
                total += row
            out[f, q] = total / inv


def robust_affine(
    frames, reference, *, border_px: int = 0, iterations: int = 4, max_bins: int = 32768
) -> AffineFit:
    """The fit of :func:`intensity_affine` (on at most ``max_bins`` bins), with how far
    each frame's fit is from no change, in standard errors (from the robust residual
    spread): the fitted line's level at the weighted mean reference intensity and its
    slope are independent, so their squared z-scores add to a chi-square with 2 degrees
    of freedom under no change. Every frame is fitted on its own, batches of frames on
    one thread per core (:func:`astrocalc.backend.map_batches`)."""
    xp = array_namespace(frames)
    n, h, w = frames.shape
    per_frame = reference.ndim == 3

    def fit(s):
        ref = reference[s] if per_frame else reference
        return _robust_affine(frames[s], ref, border_px, iterations, max_bins)

    parts = map_batches(fit, n, h * w, xp) if n else [fit(slice(None))]
    if len(parts) == 1:
        return parts[0]
    return AffineFit(
        **{f.name: xp.concatenate([getattr(p, f.name) for p in parts]) for f in fields(AffineFit)}
    )


def _robust_affine(frames, reference, border_px, iterations, max_bins) -> AffineFit:
    xp = array_namespace(frames)
    h, w = reference.shape[-2:]
    b = int(min(max(border_px, 0), (min(h, w) - 2) // 2))
    k = BIN_PX if min(h, w) - 2 * b >= 16 * BIN_PX else 1
    hh, ww = (h - 2 * b) // k * k, (w - 2 * b) // k * k
    step = max(1, (hh // k) * (ww // k) // max_bins)
    f = _binned(frames, b, k, hh, ww, step).astype(xp.float64)
    r = _binned(reference, b, k, hh, ww, step).astype(xp.float64)
    r = r.reshape(-1 if r.ndim > 1 else 1, f.shape[1])
    weight = xp.ones(f.shape)
    for i in range(TRIM_PASSES + iterations + 1):
        total = weight.sum(axis=1, keepdims=True) + 1e-30
        mr = (weight * r).sum(axis=1, keepdims=True) / total
        mf = (weight * f).sum(axis=1, keepdims=True) / total
        dr = r - mr
        var = (weight * dr * dr).sum(axis=1, keepdims=True)
        gain = (weight * dr * (f - mf)).sum(axis=1, keepdims=True) / xp.maximum(var, 1e-30)
        offset = mf - gain * mr
        if i == TRIM_PASSES + iterations:
            break
        res = f - gain * r - offset
        if i < TRIM_PASSES:
            # events only add light: a start from the lower residuals is not pulled by
            # them even when they cover a third of the field
            weight = (res <= percentile(res, 60.0, axis=1, keepdims=True)).astype(xp.float64)
            continue
        scale = 1.4826 * median(xp.abs(res), axis=1, keepdims=True) + 1e-12
        u = res / (4.685 * scale)
        weight = xp.where(xp.abs(u) < 1, (1 - u * u) ** 2, 0.0)
    # a reference without contrast (noise, or a flat field) cannot fix a slope, and a fit
    # there would only add its own error to every frame: such frames are left as they are
    # (intensity_affine) and their change is not counted (z = 0)
    res = f - gain * r - offset
    spread = 1.4826 * median(xp.abs(res), axis=1, keepdims=True)
    slope_se = spread / xp.sqrt(var + 1e-30)
    level = (gain - 1) * mr + offset  # change at the weighted mean intensity
    wald = (level * level * total + (gain - 1) ** 2 * var) / (spread * spread + 1e-30)
    flat = (slope_se > MAX_GAIN_SE * xp.abs(gain))[:, 0]
    fitted = ~flat & (gain[:, 0] > 0)
    return AffineFit(
        gain[:, 0].astype(xp.float32),
        offset[:, 0].astype(xp.float32),
        fitted,
        xp.where(fitted, xp.sqrt(wald[:, 0]), 0.0).astype(xp.float32),
    )


def rescaled_frame_by_frame(frames: np.ndarray) -> bool:
    """Whether frames (n, Y, X; a sample of a recording) were each rescaled to one range:
    every frame has the same lowest and the same highest value (an 8-bit video export
    stretching each frame to 0-255). Recorded frames do not: their extremes are single
    pixels' noise, different in every frame. Fewer than 3 frames, or a constant sample,
    cannot tell and give False."""
    flat = np.asarray(frames).reshape(len(frames), -1)
    if len(flat) < 3:
        return False
    lo, hi = flat.min(axis=1), flat.max(axis=1)
    return bool(np.all(lo == lo[0]) and np.all(hi == hi[0]) and hi[0] > lo[0])
