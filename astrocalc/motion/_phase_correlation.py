"""Rigid shifts by whitened phase correlation with a subpixel Gaussian peak fit."""

from __future__ import annotations

from dataclasses import dataclass

from ..backend import array_namespace, batch_slices, fft_options, scipy_module


def taper(shape: tuple[int, int], xp, *, fraction: float = 0.125):
    """Separable cosine (Tukey) window: 1 inside, falling to 0 over ``fraction`` of each edge.

    It removes the frame border from the spectrum, where the content that moved in or
    out would otherwise dominate the cross-power.
    """
    out = []
    for n in shape:
        width = max(int(n * fraction), 1)
        w = xp.ones(n, dtype=xp.float32)
        ramp = 0.5 - 0.5 * xp.cos(xp.pi * (xp.arange(width, dtype=xp.float32) + 0.5) / width)
        w[:width] = ramp
        w[n - width :] = ramp[::-1]
        out.append(w)
    return out[0][:, None] * out[1][None, :]


def spectrum(frames, window, window_spectrum):
    """rfft2 of the mean-subtracted, tapered frames (n, Y, X): ``(frame - mean) * window``.

    The mean is removed in the Fourier domain (``mean * rfft2(window)``), which saves a
    pass over the frames.
    """
    xp = array_namespace(frames)
    fft = scipy_module(xp, "fft")
    frames = xp.asarray(frames, dtype=xp.float32)
    mean = frames.mean(axis=(-2, -1), dtype=xp.float64).astype(xp.float32)
    spec = fft.rfft2(frames * window, **fft_options(xp))
    spec -= mean[:, None, None] * window_spectrum
    return spec


def _lowpass(shape, sigma_px, xp):
    fy = xp.fft.fftfreq(shape[0]).astype(xp.float32)[:, None]
    fx = xp.fft.rfftfreq(shape[1]).astype(xp.float32)[None, :]
    return xp.exp(-2 * xp.pi**2 * sigma_px**2 * (fy**2 + fx**2))


@dataclass
class Template:
    """A reference prepared for phase correlation (all arrays on one backend)."""

    spectrum: object  # conj(rfft2(prepared reference)), (Y, X // 2 + 1) complex
    window: object  # taper, (Y, X)
    window_spectrum: object  # rfft2(window), to remove frame means in the Fourier domain
    lowpass: object  # Gaussian low-pass applied after whitening, (Y, X // 2 + 1)


def make_template(reference, *, smooth_sigma_px: float = 1.0) -> Template:
    """Prepare ``reference`` (Y, X) once for :func:`phase_correlation` against many frames."""
    xp = array_namespace(reference)
    fft = scipy_module(xp, "fft")
    window = taper(reference.shape, xp)
    window_spectrum = fft.rfft2(window, **fft_options(xp))
    spec = spectrum(xp.asarray(reference)[None], window, window_spectrum)[0]
    return Template(
        xp.conj(spec), window, window_spectrum, _lowpass(reference.shape, smooth_sigma_px, xp)
    )


def phase_correlation(frames, template: Template, *, max_shift_px: float):
    """Displacement (dy, dx) of each frame's content relative to the reference.

    Parameters
    ----------
    frames : array (n, Y, X)
        Raw frames (any real dtype), on the NumPy or CuPy backend.
    template : Template
        The reference, from :func:`make_template`.
    max_shift_px : float
        Largest displacement searched along each axis (pixels).

    Returns
    -------
    shifts : float array (n, 2)
        Subpixel (dy, dx) in pixels, the convention of CONTRACT.md.

    Notes
    -----
    The cross-power spectrum is whitened (phase only) and multiplied by a Gaussian
    low-pass, so that for a pure translation the correlation surface is a sampled
    Gaussian centred on the shift. A three-point fit of a parabola to its logarithm,
    separately along y and x, then recovers the subpixel position exactly in the
    noise-free case (no upsampling needed); see Foroosh et al. 2002, IEEE TIP 11:188,
    for the phase-correlation peak model.
    """
    xp = array_namespace(frames)
    n, h, w = frames.shape
    out = xp.empty((n, 2), dtype=xp.float32)
    for sl in batch_slices(n, h * w):
        out[sl] = _phase_correlation_batch(frames[sl], template, max_shift_px)
    return out


def _phase_correlation_batch(frames, template: Template, max_shift_px: float):
    xp = array_namespace(frames)
    fft = scipy_module(xp, "fft")
    n, h, w = frames.shape
    cross = spectrum(frames, template.window, template.window_spectrum)
    cross *= template.spectrum[None]
    # whiten and low-pass in one multiplication: cross * lowpass / |cross|
    factor = xp.abs(cross)
    factor += 1e-12 * factor.max()
    xp.divide(template.lowpass[None], factor, out=factor)
    cross *= factor
    cc = fft.irfft2(cross, s=(h, w), **fft_options(xp))
    m = int(min(max_shift_px, h // 2 - 2, w // 2 - 2))
    # keep lags -m..m along each axis: the window wraps around index 0
    rows = xp.concatenate([xp.arange(h - m, h), xp.arange(0, m + 1)])
    cols = xp.concatenate([xp.arange(w - m, w), xp.arange(0, m + 1)])
    win = cc[:, rows][:, :, cols]  # (n, 2m+1, 2m+1), lag (-m..m) at index lag + m
    flat = win.reshape(n, -1).argmax(axis=1)
    iy, ix = flat // (2 * m + 1), flat % (2 * m + 1)
    iy = xp.clip(iy, 1, 2 * m - 1)
    ix = xp.clip(ix, 1, 2 * m - 1)
    idx = xp.arange(n)
    floor = 1e-6 * xp.abs(win).reshape(n, -1).max(axis=1) + 1e-30

    def fit(c_minus, c0, c_plus):
        lm, l0, lp = (xp.log(xp.maximum(c, floor)) for c in (c_minus, c0, c_plus))
        denom = lm - 2 * l0 + lp
        safe = xp.where(denom < 0, denom, -1.0)
        return xp.where(denom < 0, xp.clip(0.5 * (lm - lp) / safe, -0.5, 0.5), 0.0)

    dy = fit(win[idx, iy - 1, ix], win[idx, iy, ix], win[idx, iy + 1, ix])
    dx = fit(win[idx, iy, ix - 1], win[idx, iy, ix], win[idx, iy, ix + 1])
    shift_y = (iy - m).astype(xp.float32) + dy
    shift_x = (ix - m).astype(xp.float32) + dx
    return xp.stack([shift_y, shift_x], axis=1)
