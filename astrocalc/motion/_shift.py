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
        reflect-padded first, so that content does not wrap around the edges.
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
    ph, pw = padded_length(h, pad), padded_length(w, pad)
    padded = reflect_pad(xp.asarray(frames, dtype=xp.float32), pad, (ph, pw))
    fy = xp.fft.fftfreq(ph).astype(xp.float32)
    fx = xp.fft.rfftfreq(pw).astype(xp.float32)
    ramp_y = xp.exp(2j * xp.pi * fy[None, :] * shifts[:, 0:1]).astype(xp.complex64)
    ramp_x = xp.exp(2j * xp.pi * fx[None, :] * shifts[:, 1:2]).astype(xp.complex64)
    spec = fft.rfft2(padded, **fft_options(xp))
    spec *= ramp_y[:, :, None]
    spec *= ramp_x[:, None, :]
    out = fft.irfft2(spec, s=(ph, pw), **fft_options(xp))
    return out[:, pad : pad + h, pad : pad + w]


def padded_length(n: int, pad: int) -> int:
    """FFT-friendly length of an axis of ``n`` pixels with ``pad`` on each side."""
    return next_fast_len(n + 2 * pad, real=True)


def reflect_pad(frames, pad: int, size: tuple[int, int]):
    """Frames (n, Y, X) placed ``pad`` pixels in from the top left of an array of ``size``,
    the border filled by reflection (as ``numpy.pad`` mode "reflect"; the bottom and right
    borders also take the extra length up to ``size``)."""
    xp = array_namespace(frames)
    n, h, w = frames.shape
    ph, pw = size
    far_y, far_x = ph - h - pad, pw - w - pad
    if max(pad, far_y) > h - 2 or max(pad, far_x) > w - 2:  # wider than one reflection
        return xp.pad(frames, ((0, 0), (pad, far_y), (pad, far_x)), mode="reflect")
    out = xp.empty((n, ph, pw), xp.float32)
    out[:, pad : pad + h, pad : pad + w] = frames
    rows = out[:, :, pad : pad + w]
    rows[:, :pad] = frames[:, pad:0:-1]
    rows[:, pad + h :] = frames[:, h - 2 : h - 2 - far_y : -1]
    out[:, :, :pad] = out[:, :, 2 * pad : pad : -1]
    out[:, :, pad + w :] = out[:, :, pad + w - 2 : pad + w - 2 - far_x : -1]
    return out
