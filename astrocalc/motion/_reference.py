"""Reference image: seeded from mutually correlated frames, refined by registration."""

from __future__ import annotations

from ..backend import array_namespace
from ._phase_correlation import make_template, phase_correlation
from ._shift import shift_frames


def frame_correlation(frames, reference):
    """Pearson r of each frame (n, Y, X) with the reference (Y, X)."""
    xp = array_namespace(frames, reference)
    a = frames.reshape(len(frames), -1)
    b = reference.reshape(-1).astype(xp.float32)
    b = b - b.mean()
    n = a.shape[1]
    mean_a = a.mean(axis=1, dtype=xp.float64)
    # with b centred, (a - mean_a) . b = a . b: no centred copy of the frames is needed
    ab = (a @ b).astype(xp.float64)
    ss_a = xp.einsum("ij,ij->i", a, a, dtype=xp.float64) - n * mean_a**2
    denom = xp.sqrt(xp.maximum(ss_a, 0) * float((b * b).sum())) + 1e-30
    return (ab / denom).astype(xp.float32)


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
    the better-correlated half, so frames caught mid-jump do not blur the reference; these
    rounds move frames by whole pixels, and the final average uses subpixel shifts.
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
    for _ in range(iterations):
        template = make_template(reference, smooth_sigma_px=smooth_sigma_px)
        shifts = phase_correlation(frames, template, max_shift_px=max_shift_px)
        # whole-pixel shifts while refining (cheap); subpixel only for the final average
        moved = roll_frames(frames, xp.round(shifts).astype(xp.int64))
        r = frame_correlation(moved, reference)
        keep = r >= xp.median(r)
        reference = moved[keep].mean(axis=0)
    for _ in range(2):  # subpixel rounds: the first sharpens, the second settles
        template = make_template(reference, smooth_sigma_px=smooth_sigma_px)
        shifts = phase_correlation(frames, template, max_shift_px=max_shift_px)
        r = frame_correlation(roll_frames(frames, xp.round(shifts).astype(xp.int64)), reference)
        keep = r >= xp.median(r)
        reference = shift_frames(frames[keep], shifts[keep]).mean(axis=0)
    centre = xp.median(shifts, axis=0)
    return shift_frames(reference[None], -centre[None])[0]


def roll_frames(frames, shifts):
    """Move each frame's content by ``-shifts`` whole pixels (circularly)."""
    xp = array_namespace(frames)
    out = xp.empty_like(frames)
    for i, (dy, dx) in enumerate(shifts.tolist()):
        out[i] = xp.roll(frames[i], (-dy, -dx), axis=(0, 1))
    return out
