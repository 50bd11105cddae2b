"""Apply rigid subpixel shifts to frames in one Fourier interpolation."""

from __future__ import annotations

import math

from scipy.fft import next_fast_len

from ..backend import array_namespace, fft_options, map_batches, scipy_module


def shift_frames(frames, shifts):
    """Move each frame's content by ``-shifts`` (undo a displacement ``(dy, dx)``), in
    batches of frames (see :func:`astrocalc.backend.map_batches`).

    Parameters
    ----------
    frames : array (n, Y, X)
    shifts : array (n, 2)
        Displacement (dy, dx) in pixels per frame, as estimated by ``phase_correlation``.

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
        out[sl] = _shift_batch(frames[sl], shifts[sl])

    map_batches(run, n, h * w, xp)
    return out


def _shift_batch(frames, shifts):
    xp = array_namespace(frames, shifts)
    fft = scipy_module(xp, "fft")
    shifts = xp.asarray(shifts, dtype=xp.float32)
    n, h, w = frames.shape
    pad = int(math.ceil(float(xp.abs(shifts).max()))) + 2 if n else 2
    pad = min(pad, h - 1, w - 1)
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
    out = fft.irfft2(spec, s=(ph, pw), **fft_options(xp))
    return out[:, pad : pad + h, pad : pad + w]
