"""Apply rigid subpixel shifts to frames in one Fourier interpolation."""

from __future__ import annotations

import numpy as np
from scipy.fft import next_fast_len

from ..backend import array_namespace, fft_options, irfft2, map_batches, scipy_module, to_numpy


def shift_frames(frames, shifts, *, pad_px: int | None = None):
    """Move each frame's content by ``-shifts`` (undo a displacement ``(dy, dx)``), in
    batches of frames (see :func:`astrocalc.backend.map_batches`).

    Parameters
    ----------
    frames : array (n, Y, X)
    shifts : array (n, 2)
        Displacement (dy, dx) in pixels per frame, as estimated by ``phase_correlation``.
    pad_px : int or None
        Edge padding on each side for every frame (the registration passes its recording's
        largest shift + 2, so that every batch has one FFT shape); a frame whose shift
        needs more, and every frame when None, is padded by its own ``ceil(|shift|) + 2``.
        A frame's result depends on its padding, never on the frames batched with it.

    Returns
    -------
    float32 array (n, Y, X)
        Corrected frames. The Fourier shift is exact for band-limited content and keeps
        the noise of every frame alike (an interpolating kernel would smooth frames by an
        amount that depends on the subpixel part of their shift); the frames are
        edge-padded first, so that content does not wrap around the edges.
    """
    xp = array_namespace(frames, shifts)
    shifts = xp.asarray(shifts, dtype=xp.float32)
    n, h, w = frames.shape
    out = xp.empty((n, h, w), dtype=xp.float32)

    def run(sl):
        out[sl] = _shift_batch(frames[sl], shifts[sl], pad_px)

    map_batches(run, n, h * w, xp)
    return out


def _shift_batch(frames, shifts, pad_px):
    """Frames with the same padding go through one FFT. The padding changes the Fourier
    interpolation of every pixel a little; one chosen per batch (its largest shift) made
    the corrected movie depend on the batches, which follow the number of cores, the
    chunk size and the backend (up to 0.7 % of the range between 1 and 2 cores)."""
    xp = array_namespace(frames, shifts)
    shifts = xp.asarray(shifts, dtype=xp.float32)
    n, h, w = frames.shape
    if n == 0:
        return xp.empty((0, h, w), dtype=xp.float32)
    pads = np.ceil(to_numpy(xp.abs(shifts).max(axis=1))).astype(int) + 2
    if pad_px is not None:
        pads = np.maximum(pads, pad_px)
    pads = np.minimum(pads, min(h, w) - 1)
    if (pads == pads[0]).all():
        return _shift_padded(frames, shifts, int(pads[0]))
    out = xp.empty((n, h, w), dtype=xp.float32)
    for pad in np.unique(pads):
        idx = xp.asarray(np.flatnonzero(pads == pad))
        out[idx] = _shift_padded(frames[idx], shifts[idx], int(pad))
    return out


def _shift_padded(frames, shifts, pad: int):
    xp = array_namespace(frames, shifts)
    fft = scipy_module(xp, "fft")
    n, h, w = frames.shape
    ph, pw = next_fast_len(h + 2 * pad, real=True), next_fast_len(w + 2 * pad, real=True)
    frames = xp.asarray(frames, dtype=xp.float32)
    # at least `pad` on each side, up to a length the FFT handles fast
    # edge padding: the band a shift uncovers repeats the nearest recorded pixels instead
    # of mirroring structure from further in (see astrocalc.motion.Coverage)
    padded = xp.pad(frames, ((0, 0), (pad, ph - h - pad), (pad, pw - w - pad)), mode="edge")
    fy = xp.fft.fftfreq(ph).astype(xp.float32)
    fx = xp.fft.rfftfreq(pw).astype(xp.float32)
    ramp_y = xp.exp(2j * xp.pi * fy[None, :] * shifts[:, 0:1]).astype(xp.complex64)
    ramp_x = xp.exp(2j * xp.pi * fx[None, :] * shifts[:, 1:2]).astype(xp.complex64)
    spec = fft.rfft2(padded, **fft_options(xp))
    spec *= ramp_y[:, :, None]
    spec *= ramp_x[:, None, :]
    out = irfft2(spec, (ph, pw))
    return out[:, pad : pad + h, pad : pad + w]
