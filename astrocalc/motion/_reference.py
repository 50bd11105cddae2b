"""Reference image: seeded from mutually correlated frames, refined by registration."""

from __future__ import annotations

from ..backend import array_namespace, batch_slices, map_batches
from ._phase_correlation import (
    frame_spectra,
    make_template,
    phase_correlation,
    shifts_of_spectra,
)
from ._shift import shift_frames

# the sample's spectra are kept for every round of the reference while the sample takes
# at most this (about one more copy of it: 200 frames of 512 x 512, +210 MB, 15 % faster
# motion correction there); larger frames recompute them each round, so that the
# reference's memory stays one copy of the sample (1024 x 1024: +770 MB otherwise)
SPECTRA_CACHE_BYTES = 256 * 2**20


def frame_correlation(frames, reference):
    """Pearson r of each frame (n, Y, X) with the reference (Y, X)."""
    xp = array_namespace(frames, reference)
    b = reference.reshape(-1).astype(xp.float32)
    b = b - b.mean()
    bb = float((b * b).sum())

    def batch(sl):
        a = frames[sl].reshape(sl.stop - sl.start, -1).astype(xp.float32, copy=False)
        # centred before the sums of squares: float32 sums then keep their precision
        a = a - a.mean(axis=1)[:, None]
        ab = (a @ b).astype(xp.float64)
        ss_a = xp.einsum("ij,ij->i", a, a).astype(xp.float64)
        return (ab / (xp.sqrt(ss_a * bb) + 1e-30)).astype(xp.float32)

    parts = map_batches(batch, len(frames), b.size, xp)
    return xp.concatenate(parts) if parts else xp.empty(0, xp.float32)


def make_reference(
    frames,
    *,
    max_shift_px: float,
    iterations: int = 3,
    smooth_sigma_px: float = 1.0,
    n_seed: int = 20,
):
    """Build a registration reference from a sample of frames.

    Parameters
    ----------
    frames : array (n, Y, X)
        Frames sampled evenly across the recording (a few hundred are plenty).
    max_shift_px : float
        Largest displacement searched (pixels).
    iterations : int
        Register-and-average rounds.
    smooth_sigma_px : float
        Low-pass of the phase correlation (pixels).
    n_seed : int
        Number of mutually most correlated frames averaged for the first reference.

    Returns
    -------
    reference : float32 array (Y, X)
        Centred so that the median displacement of the sampled frames is zero: the
        reference frame of coordinates is the median position of the recording.

    Notes
    -----
    The seed is the mean of the frames most correlated with the frame that has the highest
    summed correlation with the others (the approach of suite2p's reference, Pachitariu et
    al. 2017 bioRxiv 061507). Each round then registers all sampled frames and averages
    the better-matching half (by the height of the phase-correlation peak), so frames
    caught mid-jump do not blur the reference; these rounds move frames by whole pixels,
    and the final two averages use subpixel shifts.
    """
    xp = array_namespace(frames)
    frames = xp.asarray(frames, dtype=xp.float32)
    n = len(frames)
    # the seed only needs which frames resemble each other: 4 x 4 bins are plenty
    hb, wb = frames.shape[1] // 4 * 4, frames.shape[2] // 4 * 4
    small = frames[:, :hb, :wb].reshape(n, hb // 4, 4, wb // 4, 4).mean(axis=(2, 4))
    z = small.reshape(n, -1)
    z = z - z.mean(axis=1, keepdims=True)
    z /= xp.linalg.norm(z, axis=1, keepdims=True) + 1e-30
    cc = z @ z.T
    k = min(n_seed, n)
    top = xp.sort(cc, axis=1)[:, -k:].sum(axis=1)
    seed = int(xp.argmax(top))
    best = xp.argsort(cc[seed])[-k:]
    reference = frames[best].mean(axis=0)
    template = make_template(reference, smooth_sigma_px=smooth_sigma_px)
    # the frames' spectra do not change with the reference: where they fit, one FFT of
    # each frame serves every round (the results are the same either way)
    spectra = frame_spectra(frames, template) if frames.nbytes <= SPECTRA_CACHE_BYTES else None
    for i in range(iterations + 2):
        if i:
            template = make_template(reference, smooth_sigma_px=smooth_sigma_px)
        if spectra is None:
            shifts, peak = phase_correlation(
                frames, template, max_shift_px=max_shift_px, return_peak=True
            )
        else:
            shifts, peak = shifts_of_spectra(spectra, template, max_shift_px=max_shift_px)
        keep = xp.flatnonzero(peak >= xp.median(peak))
        if i < iterations:  # whole-pixel shifts while refining (cheap)
            reference = _mean_rolled(frames, xp.round(shifts).astype(xp.int64), keep)
        else:  # subpixel rounds: the first sharpens, the second settles
            reference = _mean_shifted(frames, shifts, keep)
    centre = xp.median(shifts, axis=0)
    return shift_frames(reference[None], -centre[None])[0]


def _roll(frame, shift):
    """Move a frame's content by ``-shift`` whole pixels (circularly)."""
    xp = array_namespace(frame)
    return xp.roll(frame, (-int(shift[0]), -int(shift[1])), axis=(0, 1))


def _mean_rolled(frames, whole_shifts, keep):
    xp = array_namespace(frames)
    total = xp.zeros(frames.shape[1:], xp.float64)
    for i in keep.tolist():
        total += _roll(frames[i], whole_shifts[i].tolist())
    return (total / len(keep)).astype(xp.float32)


def _mean_shifted(frames, shifts, keep):
    """Mean of the frames ``keep`` moved back by their subpixel ``shifts``, in batches."""
    xp = array_namespace(frames)
    total = xp.zeros(frames.shape[1:], xp.float64)
    for sl in batch_slices(len(keep), frames.shape[1] * frames.shape[2]):
        total += shift_frames(frames[keep[sl]], shifts[keep[sl]]).sum(axis=0)
    return (total / len(keep)).astype(xp.float32)
