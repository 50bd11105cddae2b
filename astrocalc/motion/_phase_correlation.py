"""Rigid shifts by whitened phase correlation with a subpixel Gaussian peak fit."""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.fft import next_fast_len

from ..backend import array_namespace, fft_options, irfft2, map_batches, scipy_module


def taper(shape: tuple[int, int], xp, *, fraction: float = 0.125):
    """Separable cosine (Tukey) window: 1 inside, falling to 0 over ``fraction`` of each edge.

    It removes the frame border from the spectrum, where the edges of the image and
    content that moved in or out would otherwise dominate the cross-power. Frame and
    reference are both tapered: tapering only one biases the peak towards shifts that
    bring bright content under the other's window.
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


LOWPASS_FLOOR = 1e-3  # the low-pass is cut where it falls below this


def crop_size(n: int, sigma_px: float) -> int:
    """Length of the cropped spectrum along an axis of ``n`` pixels: the frequencies where
    the Gaussian low-pass ``exp(-2 pi^2 sigma^2 f^2)`` exceeds :data:`LOWPASS_FLOOR`,
    rounded up to an even FFT-friendly length (``n`` itself when nothing is cut)."""
    f_cut = math.sqrt(-math.log(LOWPASS_FLOOR) / (2 * math.pi**2)) / max(sigma_px, 1e-6)
    if f_cut >= 0.5:
        return n
    size = next_fast_len(int(math.ceil(2 * f_cut * n)), real=True)
    while size % 2:  # even, so that the cropped grid keeps the zero frequency centred
        size = next_fast_len(size + 1, real=True)
    return n if size >= n else size


def _crop(spec, ch: int, cw: int):
    """The low-frequency part of rfft2 spectra (..., Y, X//2+1) as (..., ch, cw//2+1)."""
    h = spec.shape[-2]
    if ch == h and cw // 2 + 1 == spec.shape[-1]:
        return spec
    xp = array_namespace(spec)
    cols = slice(0, cw // 2 + 1)
    return xp.concatenate([spec[..., : ch // 2, cols], spec[..., h - ch // 2 :, cols]], axis=-2)


def _lowpass(grid, crop, sigma_px, xp):
    """Gaussian low-pass on the cropped frequency grid (frequencies of the full grid)."""
    (ph, pw), (ch, cw) = grid, crop
    fy = (xp.fft.fftfreq(ch) * ch / ph).astype(xp.float32)[:, None]
    fx = (xp.fft.rfftfreq(cw) * cw / pw).astype(xp.float32)[None, :]
    return xp.exp(-2 * xp.pi**2 * sigma_px**2 * (fy**2 + fx**2))


@dataclass
class Template:
    """A reference prepared for phase correlation (all arrays on one backend)."""

    spectrum: object  # conj(rfft2(tapered reference)), cropped: (ch, cw // 2 + 1) or stacked
    window: object  # taper applied to reference and frames, (Y, X)
    window_spectrum: object  # rfft2(window), cropped: removes frame means after the FFT
    lowpass: object  # Gaussian low-pass applied after whitening, cropped
    shape: tuple[int, int]  # (Y, X) of the frames
    crop: tuple[int, int]  # (ch, cw): size of the correlation surface


def make_template(reference, *, smooth_sigma_px: float = 1.0) -> Template:
    """Prepare ``reference`` (Y, X) once for :func:`phase_correlation` against many frames.

    Only the frequencies the low-pass keeps are stored: the correlation surface is then
    computed on a coarser grid (``crop``), whose Gaussian peak is still fitted exactly.
    """
    xp = array_namespace(reference)
    fft = scipy_module(xp, "fft")
    h, w = reference.shape
    crop = (crop_size(h, smooth_sigma_px), crop_size(w, smooth_sigma_px))
    window = taper((h, w), xp)
    window_spectrum = _crop(fft.rfft2(window, **fft_options(xp)), *crop)
    ref = xp.asarray(reference, dtype=xp.float32)[None]
    spec = estimation_spectrum(ref, window, window_spectrum, crop)[0]
    return Template(
        xp.conj(spec),
        window,
        window_spectrum,
        _lowpass((h, w), crop, smooth_sigma_px, xp),
        (h, w),
        crop,
    )


def estimation_spectrum(frames, window, window_spectrum, crop):
    """Low frequencies (``crop``) of the rfft2 of the tapered, mean-subtracted frames
    (n, Y, X): ``rfft2((frame - mean) * window)``, the mean removed after the FFT as
    ``mean * rfft2(window)``, which saves a pass over the frames."""
    xp = array_namespace(frames)
    fft = scipy_module(xp, "fft")
    frames = xp.asarray(frames, dtype=xp.float32)
    # float32 sums are pairwise, precise enough for a mean to subtract
    mean = frames.mean(axis=(-2, -1))
    spec = _crop(fft.rfft2(frames * window, **fft_options(xp)), *crop)
    spec -= mean[..., None, None] * window_spectrum
    return spec


def phase_correlation(frames, template: Template, *, max_shift_px: float, return_peak=False):
    """Displacement (dy, dx) of each frame's content relative to the reference.

    Parameters
    ----------
    frames : array (n, Y, X)
        Raw frames (any real dtype), on the NumPy or CuPy backend.
    template : Template
        The reference, from :func:`make_template`.
    max_shift_px : float
        Largest displacement searched along each axis (pixels).
    return_peak : bool
        Also return the height of each correlation peak (see
        :func:`shifts_from_spectrum`).

    Returns
    -------
    shifts : float array (n, 2)
        Subpixel (dy, dx) in pixels, the convention of CONTRACT.md.
    """
    xp = array_namespace(frames)
    n, h, w = frames.shape
    shifts = xp.empty((n, 2), xp.float32)
    peak = xp.empty(n, xp.float32)

    def batch(sl):
        shifts[sl], peak[sl] = estimate_batch(frames[sl], template, max_shift_px=max_shift_px)

    map_batches(batch, n, h * w, xp)
    return (shifts, peak) if return_peak else shifts


def frame_spectra(frames, template: Template):
    """:func:`estimation_spectrum` of every frame (n, ch, cw // 2 + 1), in batches on
    every core. It does not depend on the reference (only the window and the crop, which
    follow the frame shape), so frames registered against a changing reference need it
    once (:func:`shifts_of_spectra`)."""
    xp = array_namespace(frames)
    n, h, w = frames.shape
    ch, cw = template.crop
    out = xp.empty((n, ch, cw // 2 + 1), xp.complex64)

    def batch(sl):
        out[sl] = estimation_spectrum(
            frames[sl], template.window, template.window_spectrum, template.crop
        )

    map_batches(batch, n, h * w, xp)
    return out


def shifts_of_spectra(spec, template: Template, *, max_shift_px: float):
    """Shifts (n, 2) and peak heights (n,) of frames from their :func:`frame_spectra`, in
    the batches of :func:`phase_correlation` (the same results as it gives on the
    frames)."""
    xp = array_namespace(spec)
    n = len(spec)
    h, w = template.shape
    shifts = xp.empty((n, 2), xp.float32)
    peak = xp.empty(n, xp.float32)

    def batch(sl):
        shifts[sl], peak[sl] = shifts_from_spectrum(spec[sl], template, max_shift_px=max_shift_px)

    map_batches(batch, n, h * w, xp)
    return shifts, peak


def estimate_batch(frames, template: Template, *, max_shift_px: float):
    """Shifts (n, 2) and peak heights (n,) of a batch of frames, in the calling thread."""
    spec = estimation_spectrum(frames, template.window, template.window_spectrum, template.crop)
    return shifts_from_spectrum(spec, template, max_shift_px=max_shift_px)


def shifts_from_spectrum(spec, template: Template, *, max_shift_px: float):
    """Shifts (n, 2) of frames from their :func:`estimation_spectrum` (n, ch, cw // 2 + 1),
    and the height of each correlation peak (n,): it grows with the share of the
    (low-passed) spectrum whose phase agrees with the reference at that shift, a match
    quality that frame intensity does not affect.

    With a stacked template (spectrum (k, ch, cw), one per block), ``spec`` is
    (n, k, ch, cw // 2 + 1) and the results are for the n * k blocks, frame-major.

    Notes
    -----
    The cross-power spectrum is whitened (phase only) and multiplied by a Gaussian
    low-pass, so that for a pure translation the correlation surface is a sampled
    Gaussian centred on the shift. A three-point fit of a parabola to its logarithm,
    separately along y and x, then recovers the subpixel position exactly in the
    noise-free case (no upsampling needed); see Foroosh et al. 2002, IEEE TIP 11:188,
    for the phase-correlation peak model. Frequencies where the low-pass is below
    :data:`LOWPASS_FLOOR` are dropped before the inverse FFT, which makes it smaller; the
    surface is then sampled every ``Y / ch`` pixels, and a Gaussian sampled on any grid
    is still fitted exactly.
    """
    xp = array_namespace(spec)
    (h, w), (ch, cw) = template.shape, template.crop
    cross = (spec * template.spectrum).reshape(-1, ch, cw // 2 + 1)
    n = cross.shape[0]
    # whiten and low-pass in one multiplication: cross * lowpass / |cross|
    factor = xp.abs(cross)
    factor += 1e-12 * factor.max()
    xp.divide(template.lowpass[None], factor, out=factor)
    cross *= factor
    step_y, step_x = h / ch, w / cw
    my = int(min(math.ceil(max_shift_px / step_y), ch // 2 - 2))
    mx = int(min(math.ceil(max_shift_px / step_x), cw // 2 - 2))
    # keep lags -m..m along each axis: the window wraps around index 0
    rows = xp.concatenate([xp.arange(ch - my, ch), xp.arange(0, my + 1)])
    cols = xp.concatenate([xp.arange(cw - mx, cw), xp.arange(0, mx + 1)])
    # (n, 2my+1, 2mx+1), lag (-m..m) at index lag + m
    win = irfft2(cross, (ch, cw), rows=rows)[:, :, cols]
    flat = win.reshape(n, -1).argmax(axis=1)
    iy, ix = flat // (2 * mx + 1), flat % (2 * mx + 1)
    iy = xp.clip(iy, 1, 2 * my - 1)
    ix = xp.clip(ix, 1, 2 * mx - 1)
    idx = xp.arange(n)
    floor = 1e-6 * xp.abs(win).reshape(n, -1).max(axis=1) + 1e-30

    def fit(c_minus, c0, c_plus):
        lm, l0, lp = (xp.log(xp.maximum(c, floor)) for c in (c_minus, c0, c_plus))
        denom = lm - 2 * l0 + lp
        safe = xp.where(denom < 0, denom, -1.0)
        return xp.where(denom < 0, xp.clip(0.5 * (lm - lp) / safe, -0.5, 0.5), 0.0)

    dy = fit(win[idx, iy - 1, ix], win[idx, iy, ix], win[idx, iy + 1, ix])
    dx = fit(win[idx, iy, ix - 1], win[idx, iy, ix], win[idx, iy, ix + 1])
    shift_y = ((iy - my).astype(xp.float32) + dy) * step_y
    shift_x = ((ix - mx).astype(xp.float32) + dx) * step_x
    peak = win[idx, iy, ix] / float(template.lowpass.sum() * 2)
    return xp.stack([shift_y, shift_x], axis=1).astype(xp.float32), peak.astype(xp.float32)
