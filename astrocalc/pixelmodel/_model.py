"""Per-pixel baseline and noise of a movie, and the denoised dF that pixel-level analyses
threshold. Built in one streaming pass; used by the activity maps of segmentation and by
pixel-level event detection, so both see the same dF.

Every value computed here for a frame depends only on the frames within a fixed window
around it, never on where a chunk starts, so results streamed in chunks with enough
overlap (:attr:`PixelModel.overlap`) equal those of one pass over the whole movie.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..backend import map_batches, scipy_module, to_numpy
from ..orderstats import median, percentile
from ..settings import Sampling, SegmentationSettings
from . import _smoothing
from ._baseline import RunningBaseline, bin_means, bin_size, fill_excluded
from ._store import SpilledArray, bin_array, kept_in_memory

_NOISE_SAMPLE_FRAMES = 256
# where the background's weights, smoothed, fall under this, no background is taken out
NEUROPIL_MIN_WEIGHT = 0.05


def smooth_space(frames, sigma_px: float, xp, *, out=None):
    """Gaussian smoothing of each frame (n, Y, X), sigma in pixels, the edges extended by
    their pixels; batches of frames on one thread per core (:func:`map_batches`), float32
    on NumPy by a compiled loop (:mod:`._smoothing`), else by ``ndimage.gaussian_filter``.
    ``out`` (default: a new array) may be ``frames`` itself."""
    if sigma_px <= 0:
        if out is not None and out is not frames:
            out[...] = frames
            return out
        return frames
    ndimage = scipy_module(xp, "ndimage")
    if out is None:
        out = xp.empty(frames.shape, xp.result_type(frames.dtype, xp.float32))

    def batch(s):
        if _smoothing.compiled(frames, out):
            _smoothing.smooth_frames(frames[s], sigma_px, out[s])
        else:  # through a batch-sized array, so that out may be frames
            out[s] = ndimage.gaussian_filter(
                frames[s], sigma=(0, sigma_px, sigma_px), mode="nearest", output=out.dtype
            )

    map_batches(batch, len(frames), int(np.prod(frames.shape[1:])), xp)
    return out


def smooth_covered(frames, sigma_px: float, xp, rows, cols, *, level, level_smooth):
    """Gaussian smoothing of each frame (n, Y, X) over the pixels it covers only.

    ``rows`` (n, Y) and ``cols`` (n, X) are each frame's covered rows and columns
    (:meth:`astrocalc.motion.Coverage.axes`); ``level`` (Y, X) is the resting image (the
    mean over the frames covering each pixel) and ``level_smooth`` its plain smoothing.

    Motion correction fills the band a shift uncovers with copies of the edge pixels;
    smoothing them in would carry those copies into the covered pixels beside the band,
    which then could not be used in the frames where the band is wide. Here each frame's
    change from the resting image is smoothed over the covered pixels (a normalised
    convolution, Knutsson and Westin 1993, CVPR 515-523, with the noise-keeping
    normalisation below) and added to the smoothed resting image. Smoothing the change,
    not the intensity, matters: a covered pixel's neighbourhood shrinks and grows with the
    band, and on an intensity gradient (a process running off the field) the mean over a
    changing neighbourhood would rise and fall with the motion. A fully covered frame
    gets the plain smoothing; a pixel far (a few sigma) from every covered one gets the
    smoothed resting image: no data, no change (the temporal smoothing of a covered frame
    beside it then takes in no copies of other pixels).

    A mean over fewer pixels is noisier: beside the band, white noise divided by the
    smoothed coverage (the weights' sum) would have up to 1.4 times the SD it has
    elsewhere, and the per-pixel thresholds, set on the pixel's noise over all frames,
    would be crossed by noise in the frames where the band is wide (a movie of pure
    noise: 15 pixel events where there were 2). The weighted sum is divided by the root
    of the sum of the squared weights instead, which keeps the noise's SD that of the
    plain smoothing in every frame; a change over the whole neighbourhood is kept at
    (sum of weights) / root(sum of squared weights) of its height, 0.71 beside a
    half-plane."""
    if sigma_px <= 0:
        return frames
    ndimage = scipy_module(xp, "ndimage")
    frames = xp.asarray(frames, dtype=xp.float32)
    r, c = rows.astype(xp.float32), cols.astype(xp.float32)
    if bool(r.all()) and bool(c.all()):
        return smooth_space(frames, sigma_px, xp)

    # smoothed coverage of a separable mask: the product of smoothed rows and columns
    def spread(a, sigma):
        return ndimage.gaussian_filter1d(a, sigma, axis=1, mode="nearest")

    out = xp.empty(frames.shape, xp.float32)

    def batch(s):  # every frame on its own: batches of frames on one thread per core
        r_s, c_s = r[s], c[s]
        if _smoothing.compiled(frames, out):  # the same steps in one compiled loop
            _smoothing.smooth_covered_frames(
                frames[s], sigma_px, out[s], level=level, level_smooth=level_smooth,
                rows=r_s, cols=c_s,
                spread=(spread(r_s, sigma_px), spread(c_s, sigma_px)),
                spread_sq=(spread(r_s, sigma_px / 2**0.5), spread(c_s, sigma_px / 2**0.5)),
            )  # fmt: skip
            return
        covered = r_s[:, :, None] * c_s[:, None, :]
        change = smooth_space((frames[s] - level) * covered, sigma_px, xp)
        norm = spread(r_s, sigma_px)[:, :, None] * spread(c_s, sigma_px)[:, None, :]
        # the squared Gaussian is a Gaussian of sigma / sqrt(2)
        r2, c2 = spread(r_s, sigma_px / 2**0.5), spread(c_s, sigma_px / 2**0.5)
        noise = xp.sqrt(r2[:, :, None] * c2[:, None, :])
        reached = norm > 0.01
        change /= xp.where(reached, noise, 1)
        change += level_smooth
        out[s] = xp.where(reached, change, level_smooth)

    map_batches(batch, len(frames), int(np.prod(frames.shape[1:])), xp)
    return out


@dataclass
class CoveredField:
    """Which pixels each frame of a motion-corrected movie covers, and its resting image
    over the covered frames: for smoothing frames over covered pixels only
    (:func:`smooth_covered`). Built by :func:`covered_field`."""

    coverage: object  # astrocalc.motion.Coverage
    level: object  # (Y, X) float32 mean of each pixel over the frames covering it
    level_smooth: object  # (Y, X) float32, ``level`` smoothed

    def smooth(self, frames, lo: int, sigma_px: float, xp):
        """Frames ``lo:lo + len(frames)`` smoothed over the pixels each covers."""
        rows, cols = self.coverage.axes(lo, lo + len(frames), xp)
        return smooth_covered(
            frames, sigma_px, xp, rows, cols, level=self.level, level_smooth=self.level_smooth
        )


def covered_field(movie, coverage, xp, *, chunk_frames: int, sigma_px: float):
    """The :class:`CoveredField` of ``movie`` (one pass: each pixel's mean over the frames
    covering it, the plain mean where none does), or None where every frame covers every
    pixel (or no coverage is given)."""
    if coverage is None or coverage.usable(1.0).all():
        return None
    h, w = movie.shape[1:]
    total = xp.zeros((h, w), xp.float64)
    plain = xp.zeros((h, w), xp.float64)
    count = xp.zeros((h, w), xp.float64)
    for start, stop, _, block in movie.chunks(chunk_frames):
        rows, cols = coverage.axes(start, stop, xp)
        frames = xp.asarray(block, dtype=xp.float32)
        weight = (rows[:, :, None] & cols[:, None, :]).astype(xp.float32)
        total += (frames * weight).sum(axis=0, dtype=xp.float64)
        count += weight.sum(axis=0, dtype=xp.float64)
        plain += frames.sum(axis=0, dtype=xp.float64)
    level = xp.where(count > 0, total / xp.maximum(count, 1), plain / movie.shape[0])
    level = level.astype(xp.float32)
    return CoveredField(coverage, level, smooth_space(level[None], sigma_px, xp)[0])


def smooth_time(block, k: int, xp):
    """Box mean over ``k`` frames along axis 0, the ends extended by their edge frames (the
    window of ``scipy.ndimage.uniform_filter1d``). Summed frame by frame in a fixed order
    (not a running sum), so each output frame is computed the same way wherever the block
    starts; shifted slices are also much faster than a filter along the frame axis (on
    NumPy float32 a compiled loop does the same sums, :mod:`._smoothing`)."""
    if k <= 1:
        return block
    n = block.shape[0]
    if _smoothing.compiled(block, block):  # the same sums, without the padded copy
        out = np.empty_like(block)
        map_batches(
            lambda s: _smoothing.box_frames(block, k, s.start, out[s]),
            n,
            int(np.prod(block.shape[1:])),
            xp,
        )
        return out
    head, tail = k // 2, k - 1 - k // 2
    padded = xp.concatenate(
        [xp.repeat(block[:1], head, axis=0), block, xp.repeat(block[-1:], tail, axis=0)]
    )
    out = padded[:n].copy()
    for j in range(1, k):
        out += padded[j : j + n]
    out *= xp.asarray(1.0 / k, dtype=out.dtype)
    return out


def open_runs(active, n, xp):
    """Keep only runs of at least ``n`` consecutive True frames: a 1-D opening in time (an
    erosion marks where a run of ``n`` starts, a dilation restores the run)."""
    t = active.shape[0]
    if n <= 1:
        return active
    if t < n:
        return xp.zeros_like(active)
    starts = active[: t - n + 1].copy()
    for j in range(1, n):
        starts &= active[j : j + t - n + 1]
    out = xp.zeros_like(active)
    for j in range(n):
        out[j : j + t - n + 1] |= starts
    return out


@dataclass
class Neuropil:
    """The background's change under each pixel, estimated from the pixels off the
    astrocyte: a Gaussian-weighted mean (``sigma_px``) of their dF, normalised by the
    weights (normalised convolution), times ``coefficient``. A spatially smooth,
    slowly fluctuating background (neuropil, out-of-focus cells) adds the same change to
    the pixels on the astrocyte, where a per-pixel threshold takes it for events; the ROI
    traces take it out with their rings (:func:`astrocalc.segment.corrected_traces`), this
    does the same for every pixel. Only rises of the background are taken out (its change
    clipped at zero), so the correction lowers a pixel's dF or leaves it, and can remove
    an event but never make one: on a real recording (ASTRA) taking out falls too lifted
    pixels beside darkening background into 50 % more events, most of them off the ROIs.
    Built by :func:`neuropil_field`."""

    weights: object  # (Y, X) float32, 1 off the astrocyte, backend array
    scale: object  # (Y, X) float32, coefficient over the smoothed weights (0 where too few)
    sigma_px: float

    def change(self, dff, xp):
        """The coefficient times the background's rise (dF clipped at zero) under each
        pixel of ``dff`` (n, Y, X)."""
        local = dff * self.weights
        smooth_space(local, self.sigma_px, xp, out=local)
        xp.maximum(local, 0, out=local)
        local *= self.scale
        return local


def neuropil_field(
    astrocyte, xp, *, sigma_px: float, margin_px: float, coefficient: float
) -> Neuropil | None:
    """A :class:`Neuropil` whose weights are the pixels at least ``margin_px`` off the
    ``astrocyte`` (bool, Y x X: its structure and ROIs; light of its own events spreads
    past their edge). None where the coefficient is 0 or no pixel is off the astrocyte."""
    from scipy import ndimage
    from skimage.morphology import disk

    near = np.asarray(astrocyte, bool)
    radius = int(np.ceil(margin_px))
    if radius > 0:
        near = ndimage.binary_dilation(near, disk(radius))
    off = ~near
    if coefficient <= 0 or not off.any():
        return None
    weights = xp.asarray(off.astype(np.float32))
    norm = smooth_space(weights[None], sigma_px, xp)[0]
    norm = xp.where(norm > NEUROPIL_MIN_WEIGHT, norm, xp.asarray(np.inf, dtype=norm.dtype))
    return Neuropil(weights, (coefficient / norm).astype(xp.float32), sigma_px)


@dataclass
class PixelModel:
    """Baseline and noise of every pixel of a movie.

    ``dff(block, lo)`` gives the denoised dF (intensity units) of frames ``lo:lo+n``;
    divided by ``sd`` it is in noise SD.
    """

    baseline: RunningBaseline
    bins: object  # (n_bins, Y, X) bin means the baseline was made from, backend array
    bin_frames: int
    window_frames: float
    percentile: float
    sd: object  # (Y, X) SD of the denoised dF, backend array
    median: object  # (Y, X) median of the denoised dF (noise sample), backend array
    mean_smooth: object  # (Y, X) mean of the spatially smoothed movie, backend array
    mean_raw: object  # (Y, X) mean of the movie, backend array
    sigma_px: float
    smooth_frames: int
    xp: object
    neuropil: Neuropil | None = None
    covered: CoveredField | None = None  # frames smoothed over the pixels they cover
    # flat pixels whose bins :meth:`excluding` bridged (none in a first fit)
    refitted: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def overlap(self) -> int:
        """Frames a chunk needs on each side for its core frames to be exact."""
        return self.smooth_frames // 2 + 1

    def denoised(self, block, lo: int):
        """Spatially and temporally smoothed frames ``lo:lo + len(block)`` (n, Y, X)
        float32; with a coverage, smoothed over the pixels each frame covers. Always a new
        array, which the caller may overwrite (with no smoothing, a copy of ``block``)."""
        xp = self.xp
        frames = xp.asarray(block, dtype=xp.float32)
        out = smooth_time(
            _smooth(frames, lo, self.sigma_px, self.covered, xp), self.smooth_frames, xp
        )
        return out.copy() if out is frames else out

    def dff(self, block, lo: int, *, keep: tuple[StoredDenoised, int, int] | None = None):
        """Denoised dF of frames ``lo:lo + len(block)`` (less the background's rise when
        the model has a :class:`Neuropil`). ``keep`` (store, start, stop), where given,
        stores the denoised frames and the background's change of the core frames
        ``start:stop`` (:meth:`StoredDenoised.put`)."""
        denoised = self.denoised(block, lo)
        if keep is None:
            # nothing keeps the denoised frames: the dF takes their memory (a chunk of
            # frame-sized arrays less at the pass's peak)
            df = denoised
            df -= self.baseline.at(lo, lo + len(block))
        else:
            df = denoised - self.baseline.at(lo, lo + len(block))
        change = None
        if self.neuropil is not None:
            change = self.neuropil.change(df, self.xp)
            df -= change
        if keep is not None:
            store, start, stop = keep
            store.put(start, stop, lo, denoised, change)
        return df

    def excluding(self, pixel, first, last, *, block_elements: int = 2**20) -> PixelModel:
        """The model with its baseline refitted without the frames ``first[i]..last[i]`` of
        pixel ``pixel[i]`` (flat indices; events found with this model): their bins are
        bridged by :func:`fill_excluded`, a block of pixels at a time (about
        ``block_elements`` bins per block, whatever the recording's length). The noise SD
        is kept."""
        xp = self.xp
        nb = self.bins.shape[0]
        block_pixels = max(64, block_elements // nb)
        flat = self.bins.reshape(nb, -1).copy()
        spilled = isinstance(flat, SpilledArray)
        lo = np.clip(np.asarray(first) // self.bin_frames, 0, nb - 1)
        hi = np.clip(np.asarray(last) // self.bin_frames, 0, nb - 1)
        pixel = np.asarray(pixel)
        order = np.argsort(pixel, kind="stable")
        pixel, lo, hi = pixel[order], lo[order], hi[order]
        touched = np.unique(pixel)
        # blocks of neighbouring pixels, so that bins kept in a file are read and written
        # once, a contiguous run of each bin at a time (each pixel is filled on its own)
        for c0 in range(0, flat.shape[1], block_pixels):
            c1 = c0 + block_pixels
            cols = touched[np.searchsorted(touched, c0) : np.searchsorted(touched, c1)]
            if not len(cols):
                continue
            a, b = np.searchsorted(pixel, [cols[0], cols[-1] + 1])
            col = np.searchsorted(cols, pixel[a:b])
            steps = np.zeros((nb + 1, len(cols)), np.int32)
            np.add.at(steps, (lo[a:b], col), 1)
            np.add.at(steps, (hi[a:b] + 1, col), -1)
            mask = xp.asarray(np.cumsum(steps[:nb], axis=0) > 0)
            part = flat[:, c0:c1]
            idx = xp.asarray(cols - c0)
            part[:, idx] = fill_excluded(part[:, idx], mask)
            if spilled:
                flat[:, c0:c1] = part
        baseline = RunningBaseline(
            flat.reshape(self.bins.shape),
            bin_frames=self.bin_frames,
            n_frames=self.baseline.n_frames,
            window_frames=self.window_frames,
            percentile=self.percentile,
        )
        return replace(self, baseline=baseline, refitted=touched)

    def changed_frames(self, other: PixelModel, *, block_elements: int = 2**22) -> np.ndarray:
        """Bool (T,): the frames at which the dF of this model may differ from that of
        ``other``, where both come from one fit (the same noise, smoothing and background,
        baselines refitted from the same bin means by :meth:`excluding`): the frames
        whose baseline takes a bin that differs at some pixel. Only pixels that either
        refit bridged can differ; their baselines are compared bin by bin, a block of
        pixels (about ``block_elements`` bins) at a time. Where the two do not share a fit,
        every frame."""
        n = self.baseline.n_frames
        shared = (self.sd is other.sd) and (self.bins.shape == other.bins.shape)
        if not shared:
            return np.ones(n, bool)
        pixels = np.union1d(self.refitted, other.refitted)
        nb = self.bins.shape[0]
        differs = np.zeros(nb, bool)
        step = max(1, block_elements // nb)
        for a in range(0, len(pixels), step):
            idx = self.xp.asarray(pixels[a : a + step])
            ours = self.baseline.values(0, nb, pixels=idx)
            theirs = other.baseline.values(0, nb, pixels=idx)
            differs |= np.asarray(to_numpy((ours != theirs).any(axis=1)))
        return self.baseline.frames_of(differs)


class StoredDenoised:
    """The denoised frames of a movie at some pixels, and the background's change there
    where the model has a :class:`Neuropil`, kept in a temporary file by a pass that
    computes them (:meth:`PixelModel.dff` with ``keep``), so that the dF at those pixels
    under a refitted baseline (:meth:`PixelModel.excluding`) comes without reading and
    smoothing the movie again (:meth:`dff`), value for value. The background's change
    stays that of the first model while no refit changes the baseline of a pixel it is
    estimated from (:meth:`serves`): pixel events refit only pixels on the astrocyte,
    whose background weight is 0."""

    def __init__(self, n_frames: int, pixels: np.ndarray, *, background: bool):
        self.pixels = np.asarray(pixels, np.int64)  # flat indices, sorted
        self.values = SpilledArray((n_frames, 2 if background else 1, len(self.pixels)))
        self.held = np.zeros(n_frames, bool)
        self.background = background

    def put(self, start: int, stop: int, lo: int, denoised, change) -> None:
        """Keep frames ``start:stop`` (a chunk's core: exact, unlike the overlap's outer
        frames) of ``denoised`` and ``change`` (n, Y, X, frames ``lo:lo + n``)."""
        a, b = start - lo, stop - lo
        parts = [denoised] if change is None else [denoised, change]
        rows = np.stack([p[a:b].reshape(b - a, -1)[:, self.pixels] for p in parts], axis=1)
        self.values[start:stop] = rows
        self.held[start:stop] = True

    def serves(self, model: PixelModel) -> bool:
        """Whether :meth:`dff` gives ``model``'s dF at the stored pixels: the store holds
        every frame and the background's change where the model takes it out, every
        pixel the model refitted is stored, and none that the change is estimated from
        was refitted (the caller knows that no other pixel can be active)."""
        if not self.held.all() or self.background != (model.neuropil is not None):
            return False
        refitted = model.refitted
        if not np.isin(refitted, self.pixels).all():
            return False
        if model.neuropil is None:
            return True
        return not to_numpy(model.neuropil.weights).ravel()[refitted].any()

    def dff(self, model: PixelModel, lo: int, hi: int, pixels: np.ndarray | None = None):
        """``model``'s dF of frames ``lo:hi`` at the stored ``pixels`` (sorted; default
        all), (hi - lo, n_pixels) float32: the same operations as :meth:`PixelModel.dff`,
        on the stored values."""
        pixels = self.pixels if pixels is None else pixels
        parts = self.values[lo:hi, :, np.searchsorted(self.pixels, pixels)]
        df = parts[:, 0] - model.baseline.at(lo, hi, pixels=pixels)
        if self.background:
            df -= parts[:, 1]
        return df


def frame_wide_change(dff, level):
    """The frame-wide change of dF frames (n, Y, X): a change of laser power, detector
    gain or of an 8-bit export's scaling moves every pixel at once in proportion to its
    resting intensity ``level`` (Y, X) over a dark offset, which a running baseline follows
    only with its window's delay. Each frame (rest + dF) is regressed on the resting image
    robustly (:func:`astrocalc.motion.intensity_affine`: pixels in events, even a wave
    over much of the cell, are outliers). Returns (gain, offset), (n,) each:
    ``dF ~ (gain - 1) * level + offset`` (1 and 0 without a change)."""
    from ..motion import intensity_affine  # deferred: motion imports the registration

    return intensity_affine(level + dff, level)


def less_global(dff, level):
    """dF frames (n, Y, X) less their frame-wide change (:func:`frame_wide_change`)."""
    gain, offset = frame_wide_change(dff, level)
    return dff - ((gain - 1)[:, None, None] * level + offset[:, None, None])


def _smooth(frames, lo: int, sigma_px: float, covered: CoveredField | None, xp):
    """Frames ``lo:lo + len(frames)`` smoothed in space, over their covered pixels where
    some frames do not cover every pixel (:func:`smooth_covered`)."""
    if covered is None:
        return smooth_space(frames, sigma_px, xp)
    return covered.smooth(frames, lo, sigma_px, xp)


def _stream_bins(movie, xp, *, chunk_frames, sigma_px, b, covered=None):
    """Bin means of the spatially smoothed movie, and the movie's smoothed and raw mean
    images. Bins are aligned to multiples of ``b`` frames whatever the chunk size, and the
    means are summed bin by bin in order, so every result is the same for any chunking."""
    t, h, w = movie.shape
    bins = bin_array((-(-t // b), h, w), xp)
    filled, carry = 0, None
    total = xp.zeros((h, w), xp.float64)
    total_raw = xp.zeros((h, w), xp.float64)
    for _, stop, _, block in movie.chunks(chunk_frames):
        raw = xp.asarray(block)
        stack = raw if carry is None else xp.concatenate([carry, raw])
        done = len(stack) if stop == t else (len(stack) // b) * b
        if done:
            smoothed = bin_means(_smooth(stack[:done], filled * b, sigma_px, covered, xp), b)
            unsmoothed = bin_means(stack[:done], b)
            sizes = [min(b, done - i) for i in range(0, done, b)]
            for size, s_bin, r_bin in zip(sizes, smoothed, unsmoothed, strict=True):
                total += s_bin.astype(xp.float64) * size
                total_raw += r_bin.astype(xp.float64) * size
            bins[filled : filled + len(smoothed)] = smoothed
            filled += len(smoothed)
        carry = stack[done:] if done < len(stack) else None
    return bins, (total / t).astype(xp.float32), (total_raw / t).astype(xp.float32)


def fit_pixel_model(
    movie,
    xp,
    *,
    chunk_frames: int,
    sigma_px: float,
    smooth_frames: int,
    baseline_window_frames: float,
    baseline_percentile: float,
    neuropil: Neuropil | None = None,
    coverage=None,
) -> PixelModel:
    """Per-pixel running baseline and noise SD of a motion-corrected movie.

    Parameters
    ----------
    movie : astrocalc.io.Movie
        Motion-corrected movie (T, Y, X).
    xp : module
        Array backend.
    chunk_frames : int
        Frames per streamed chunk.
    sigma_px : float
        Gaussian spatial smoothing (pixels).
    smooth_frames : int
        Temporal box smoothing (frames).
    baseline_window_frames, baseline_percentile : float
        Running-percentile baseline (frames, percent).
    neuropil : Neuropil, optional
        Taken out of the dF (:meth:`PixelModel.dff`), and so out of the noise sample.
    coverage : astrocalc.motion.Coverage, optional
        Each frame smoothed over the pixels it covers (:func:`smooth_covered`), so that
        pixels beside the band a shift leaves without data keep their own values.

    Noise: from a sample of short frame windows spread over the movie, the larger of the
    white-noise SD (frame-to-frame differences, scaled by the box smoothing) and the spread
    of the lower half of the denoised dF over the sample (median minus 15.87th percentile:
    events widen only the upper half). The second also holds for noise that is not white
    (flicker, compression artefacts), which the differences miss, and does not depend on
    where the baseline sits.
    """
    t, h, w = movie.shape
    b = bin_size(baseline_window_frames, n_frames=t)
    covered = covered_field(movie, coverage, xp, chunk_frames=chunk_frames, sigma_px=sigma_px)
    bins, mean_smooth, mean_raw = _stream_bins(
        movie, xp, chunk_frames=chunk_frames, sigma_px=sigma_px, b=b, covered=covered
    )
    baseline = RunningBaseline(
        bins,
        bin_frames=b,
        n_frames=t,
        window_frames=baseline_window_frames,
        percentile=baseline_percentile,
    )
    k = max(smooth_frames, 1)
    # about 256 windows, fewer for large frames so that the sample stays near 64 MB
    n_sample = int(np.clip(_NOISE_SAMPLE_FRAMES * 65536 / (h * w), 48, _NOISE_SAMPLE_FRAMES))
    starts = np.unique(np.linspace(0, t - max(k, 2), min(n_sample, t - max(k, 2) + 1)).astype(int))
    windows = xp.stack(
        [
            _smooth(xp.asarray(movie.read(i, i + max(k, 2))), int(i), sigma_px, covered, xp)
            for i in starts
        ]
    )  # (n, max(k, 2), Y, X)
    d = windows[:, 1] - windows[:, 0]
    med = median(d, axis=0)
    white = 1.4826 * median(xp.abs(d - med), axis=0) / 2**0.5 / k**0.5
    df = windows[:, :k].mean(axis=1) - xp.concatenate(
        [baseline.at(int(i) + (k - 1) // 2, int(i) + (k - 1) // 2 + 1) for i in starts]
    )
    if neuropil is not None:
        df -= neuropil.change(df, xp)
    low, mid = percentile(df, xp.asarray([15.87, 50.0]), axis=0)
    sd = xp.maximum(white, mid - low) + 1e-6 * float(xp.abs(mean_smooth).mean() + 1)
    return PixelModel(
        baseline=baseline,
        bins=bins,
        bin_frames=b,
        window_frames=baseline_window_frames,
        percentile=baseline_percentile,
        sd=sd.astype(xp.float32),
        median=mid.astype(xp.float32),
        mean_smooth=mean_smooth,
        mean_raw=mean_raw,
        sigma_px=sigma_px,
        smooth_frames=k,
        xp=xp,
        neuropil=neuropil,
        covered=covered,
    )


def model_settings(segmentation: SegmentationSettings, sampling: Sampling) -> dict:
    """The smoothing and baseline settings of :func:`fit_pixel_model`, in pixels and frames,
    from the ``segmentation`` section of the config (shared by segmentation and pixel-level
    events, so both threshold the same dF)."""
    c = segmentation
    return {
        "sigma_px": sampling.px(c.smooth_um),
        "smooth_frames": sampling.frames(c.smooth_s),
        "baseline_window_frames": sampling.frame_span(c.baseline_window_s),
        "baseline_percentile": c.baseline_percentile,
    }


def state_frames(
    shape: tuple[int, int, int], segmentation: SegmentationSettings, sampling: Sampling
) -> int:
    """Frame-sized float32 arrays of per-pixel state that a stage fitting the pixel model
    of a movie of ``shape`` (T, Y, X) keeps in memory for the whole recording (to be set
    aside from the memory budget: :func:`astrocalc.settings.stream_frames`): the
    baseline's bin means, twice, for pixel events refit the baseline beside the model they
    replace (and segmentation's peak grew by 1.5 such arrays per bin, 1,000 to 10,000
    frames of 512 x 512); none where they are too large and go to a temporary file
    (:mod:`astrocalc.pixelmodel._store`)."""
    t, h, w = shape
    window = model_settings(segmentation, sampling)["baseline_window_frames"]
    n_bins = -(-t // bin_size(window, n_frames=t))
    return 2 * n_bins if kept_in_memory((n_bins, h, w)) else 0
