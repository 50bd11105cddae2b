"""Reference image: seeded from mutually correlated frames, refined by registration."""

from __future__ import annotations

from ..backend import array_namespace
from ._phase_correlation import make_template, phase_correlation
from ._shift import shift_frames


def frame_correlation(frames, reference):
    """Pearson r of each frame (n, Y, X) with the reference (Y, X)."""
    xp = array_namespace(frames, reference)
    a = frames.reshape(len(frames), -1).astype(xp.float32)
    a = a - a.mean(axis=1, keepdims=True)
    b = reference.reshape(-1).astype(xp.float32)
    b = b - b.mean()
    denom = xp.sqrt((a * a).sum(axis=1) * (b * b).sum()) + 1e-30
    return (a @ b) / denom


def make_reference(
    frames,
    *,
    max_shift_px: float,
    iterations: int = 4,
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
    the better-correlated half, so frames caught mid-jump do not blur the reference.
    """
    xp = array_namespace(frames)
    frames = xp.asarray(frames, dtype=xp.float32)
    n = len(frames)
    z = frames.reshape(n, -1)
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
        moved = shift_frames(frames, shifts)
        r = frame_correlation(moved, reference)
        keep = r >= xp.median(r)
        reference = moved[keep].mean(axis=0)
    template = make_template(reference, smooth_sigma_px=smooth_sigma_px)
    shifts = phase_correlation(frames, template, max_shift_px=max_shift_px)
    centre = xp.median(shifts, axis=0)
    return shift_frames(reference[None], -centre[None])[0]
