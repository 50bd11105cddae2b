"""Apply rigid subpixel shifts to frames in one Fourier interpolation."""

from __future__ import annotations

import math

from ..backend import array_namespace, fft_options, scipy_module


def shift_frames(frames, shifts):
    """Move each frame's content by ``-shifts`` (undo a displacement ``(dy, dx)``).

    Parameters
    ----------
    frames : array (n, Y, X)
    shifts : array (n, 2)
        Displacement (dy, dx) in pixels per frame, as estimated by ``phase_correlation``.

    Returns
    -------
    float32 array (n, Y, X)
        Corrected frames. The Fourier shift is exact for band-limited content; the
        frames are reflect-padded first so that content does not wrap around the edges.
    """
    xp = array_namespace(frames, shifts)
    fft = scipy_module(xp, "fft")
    frames = xp.asarray(frames, dtype=xp.float32)
    shifts = xp.asarray(shifts, dtype=xp.float32)
    n, h, w = frames.shape
    pad = int(math.ceil(float(xp.abs(shifts).max()))) + 2 if n else 2
    pad = min(pad, h - 1, w - 1)
    padded = xp.pad(frames, ((0, 0), (pad, pad), (pad, pad)), mode="reflect")
    ph, pw = padded.shape[1:]
    fy = xp.fft.fftfreq(ph).astype(xp.float32)
    fx = xp.fft.rfftfreq(pw).astype(xp.float32)
    ramp_y = xp.exp(2j * xp.pi * fy[None, :] * shifts[:, 0:1]).astype(xp.complex64)
    ramp_x = xp.exp(2j * xp.pi * fx[None, :] * shifts[:, 1:2]).astype(xp.complex64)
    spec = fft.rfft2(padded, **fft_options(xp)) * ramp_y[:, :, None] * ramp_x[:, None, :]
    out = fft.irfft2(spec, s=(ph, pw), **fft_options(xp))
    return xp.ascontiguousarray(out[:, pad : pad + h, pad : pad + w].astype(xp.float32))
