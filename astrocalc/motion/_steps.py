"""Sudden frame-wide intensity changes ("steps"): a change of laser power, detector gain
or focus moves all pixels of one frame at once, in proportion to their intensity over the
dark level. A running baseline follows such a change only over its window, so around a
step every pixel looks active (before it, for a centred window) or silent (after it), and
a shared step would enter every correlation.

A step is told from calcium events, even a wave over the whole cell, by four things:

1. it is a change of the whole frame: each frame's change from the one before, fitted
   robustly on the mean of the two (:func:`astrocalc.motion.robust_affine`; pixels that
   change on their own are outliers), is beyond ``STEP_SE`` standard errors of the fit;
2. it is abrupt: the change of the frame's fitted level (on the reference) is
   ``ABRUPT_RATIO`` times that of the frames around it, where an event rises over
   0.1-1 s and changes the level over several frames;
3. it stays and stands out: its size, measured from the frames on either side (at least
   a fifth of ``STEP_WINDOW_S``, up to all of it; robustly, less the trend of
   photobleaching), is at least ``PERSIST`` of the change across it, the trends on
   either side do not part by more than that share (an event decays after its rise),
   and it is ``STANDOUT`` times the scatter of the levels about those trends;
4. it is a change of gain about a dark level below the recorded intensities: dim and
   bright pixels move the same way, bright ones more.

Frames are mapped onto the recording's typical (median) state by :meth:`Steps.undo`.
Slow changes (photobleaching) are left to the running baselines, and frames rescaled
one by one (8-bit exports normalised frame by frame) are not steps: ``normalize_intensity``
undoes those.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..backend import array_namespace, to_numpy
from ._intensity import robust_affine

# a frame-to-frame change beyond this many standard errors of its fit is a step: noise
# alone gets there about once in 10^14 frames (chi-square, 2 degrees of freedom), and an
# event's front crossing a part of the field is an outlier of the fit, not a change of it
STEP_SE = 8.0
# a step's change of level is this many times the changes of the frames around it
ABRUPT_RATIO = 4.0
# a step is this many times the scatter of the frames' levels about their trend on either
# side (frames rescaled one by one scatter as much as any step between two of them)
STANDOUT = 4.0
# a step keeps at least this share of its change over the step window
PERSIST = 0.5
# a step's size is measured over this long on each side (s): long enough for the median to
# pass over a wave, short enough that photobleaching does not enter it
STEP_WINDOW_S = 5.0
# bins of 4 x 4 pixels the fits use at most: a step moves all of them, so a few thousand
# find it far beyond noise, and the fits stay a small part of the motion stage's time
STEP_BINS = 4096


@dataclass
class Steps:
    """Each frame's frame-wide gain and offset against the recording's typical state,
    ``frame ~ gain * corrected + offset``, changing only at steps."""

    gain: np.ndarray  # (T,) float32
    offset: np.ndarray  # (T,) float32

    @property
    def frames(self) -> np.ndarray:
        """Frames at which a step happens (the first frame after it)."""
        change = (np.diff(self.gain) != 0) | (np.diff(self.offset) != 0)
        return np.flatnonzero(change) + 1

    @property
    def changes_frames(self) -> bool:
        """Whether :meth:`undo` changes any frame."""
        return bool(np.any(self.gain != 1) or np.any(self.offset != 0))

    def undo(self, frames, start: int):
        """Frames ``start:start + len(frames)`` mapped back onto the typical state."""
        stop = start + len(frames)
        gain, offset = self.gain[start:stop], self.offset[start:stop]
        if np.all(gain == 1) and np.all(offset == 0):
            return frames
        xp = array_namespace(frames)
        g = xp.asarray(gain)[:, None, None]
        o = xp.asarray(offset)[:, None, None]
        return ((frames - o) / g).astype(frames.dtype)


class StepFinder:
    """Finds steps in a movie fed in order, a block of frames at a time.

    Parameters
    ----------
    n_frames : int
        Frames the movie has.
    window_frames : int
        Frames on each side of a step whose median fitted level gives its size.
    border_px : int
        Edge band left out of the fits (where aligned frames hold no data).

    Frames must be aligned (a motion shift would read as an intensity change); each is
    fitted on the mean of the first block fed, which stands for the resting intensities.
    """

    def __init__(self, n_frames: int, *, window_frames: int, border_px: int = 0):
        self.n_frames = n_frames
        self.window_frames = max(int(window_frames), 1)
        self.reference = None
        self.border_px = border_px
        self.z = np.zeros(n_frames)  # frame-to-frame change, in standard errors (>= 0)
        self.level = np.zeros((n_frames, 2))  # fitted frame at the two intensities
        self._filled = 0
        self._last = None
        self._at = None  # the two resting intensities a frame's levels are read at

    def add(self, frames) -> None:
        """The next frames (n, Y, X) of the movie."""
        xp = array_namespace(frames)
        frames = frames.astype(xp.float32)
        n, at = len(frames), self._filled
        if self.reference is None:
            self.reference = frames.mean(axis=0)
            h, w = self.reference.shape
            b = min(self.border_px, (min(h, w) - 2) // 2)
            inner = self.reference[b : h - b, b : w - b]
            # a frame's state is its fitted line, read at two resting intensities
            self._at = to_numpy(xp.percentile(inner, xp.asarray([25.0, 75.0]))).astype(np.float64)
        fit = robust_affine(frames, self.reference, border_px=self.border_px, max_bins=STEP_BINS)
        gain, offset = to_numpy(fit.gain).astype(np.float64), to_numpy(fit.offset)
        level = gain[:, None] * self._at + offset[:, None]
        # a fit with a poorly fixed slope still places the frame's levels; only a
        # non-positive gain (a blank or broken frame) says nothing
        self.level[at : at + n] = np.where(gain[:, None] > 0, level, np.nan)
        stack = frames if self._last is None else xp.concatenate([self._last[None], frames])
        if len(stack) > 1:
            # each frame's change from the one before, fitted on the mean of the two
            # rather than on the earlier frame: with noise alike in both frames, the
            # change's noise is uncorrelated with the mean's and does not dilute the slope
            pair = (stack[1:] + stack[:-1]) / 2
            fit = robust_affine(
                pair + stack[1:] - stack[:-1], pair, border_px=self.border_px, max_bins=STEP_BINS
            )
            self.z[at + n - len(stack) + 1 : at + n] = to_numpy(fit.z)
        self._last = frames[-1]
        self._filled += n

    def _abrupt(self) -> np.ndarray:
        """Frames whose change of fitted level is ``ABRUPT_RATIO`` times the median change
        of the frames around them (within a fifth of the step window, 1 s): a step happens
        between two frames, while an event, even one lighting up most of a small field,
        changes it over several (its rise, then its decay)."""
        d = np.abs(np.diff(self.level, axis=0, prepend=self.level[:1]))
        with warnings.catch_warnings():
            # frames whose fit said nothing are NaN; an all-NaN column counts as no change
            warnings.simplefilter("ignore", RuntimeWarning)
            d = np.nan_to_num(d / (np.nanmedian(d, axis=0) + 1e-12)).max(axis=1)
        k = max(2, self.window_frames // 5)
        footprint = np.ones(2 * k + 1, bool)
        footprint[k] = False
        around = ndimage.median_filter(d, footprint=footprint, mode="nearest")
        return d > ABRUPT_RATIO * around

    def result(self, threshold_se: float = STEP_SE) -> Steps:
        """The steps: frame-to-frame changes beyond ``threshold_se`` standard errors that
        stay."""
        if self._filled != self.n_frames:
            raise ValueError(f"StepFinder was fed {self._filled} of {self.n_frames} frames")
        state = self._steps(threshold_se)
        if not state.any():
            return Steps(np.ones(self.n_frames, np.float32), np.zeros(self.n_frames, np.float32))
        # the typical state's levels, and each frame's: the typical one moved by the steps
        typical = np.nanmedian(self.level, axis=0)
        state += typical - np.median(state, axis=0)
        # frame ~ g * typical-state frame + o, from the two intensities' levels
        (lo, hi), (t_lo, t_hi) = state.T, typical
        gain = (hi - lo) / (t_hi - t_lo)
        offset = lo - gain * t_lo
        return Steps(gain.astype(np.float32), offset.astype(np.float32))

    def _steps(self, threshold_se: float) -> np.ndarray:
        """Each frame's levels moved by the steps before it (T, 2)."""
        state = np.zeros_like(self.level)
        if not (self.z > threshold_se).any():
            return state
        candidates = np.flatnonzero((self.z > threshold_se) & self._abrupt())
        if not len(candidates):
            return state
        # candidates a frame or two apart are one change (a step between two frames that
        # straddle it); each is kept if the level stays changed: its size from the frames
        # on either side (up to the neighbouring candidates), on either side a robust line
        # through them, is at least half the change across it. An event that lights up
        # most of a small field at once rises as abruptly, but does not stay
        groups = np.split(candidates, np.flatnonzero(np.diff(candidates) > 2) + 1)
        firsts = [g[0] for g in groups] + [self.n_frames]
        lasts = [-1] + [g[-1] for g in groups]
        w = self.window_frames
        shortest = max(2, w // 5)  # frames on each side to measure a step on
        d = np.diff(self.level, axis=0)
        noise = 1.4826 * np.nanmedian(np.abs(d - np.nanmedian(d, axis=0)), axis=0) / 2**0.5
        for i, g in enumerate(groups):
            a, b = g[0], g[-1]
            before = np.arange(max(lasts[i] + 1, a - w), a)
            after = np.arange(b, min(firsts[i + 1], b + w))
            if min(len(before), len(after)) < shortest:
                continue
            jump, parting, scatter = _jump(
                before - a, self.level[before], after - a, self.level[after]
            )
            across = self.level[b] - self.level[a - 1]
            if (
                np.isfinite(jump).all()
                and (np.abs(jump) > STANDOUT * scatter).any()
                and jump @ across >= PERSIST * (across @ across)
                and abs(parting @ jump) <= PERSIST * (jump @ jump)
                and _about_dark(jump, noise)
            ):
                state[a:] += jump
        return state


def _about_dark(jump, noise) -> bool:
    """Whether a change of the levels at the lower and the higher resting intensity (2,)
    is a change of gain about a dark level below both, as a change of laser power or
    detector gain is: both move the same way, the higher one more (within 3 noise SD of
    a frame's level, ``noise`` (2,)). A wave over the bright structure, whose rise pulls
    the frame's fit up at bright pixels only, moves them apart."""
    low, high = jump * np.sign(jump[1])
    return bool(low >= -3 * noise[0] and low <= high + 3 * noise[0])


def _jump(t_before, before, t_after, after):
    """Size of a jump between two runs of levels (n, 2) at times ``t_before`` (< 0) and
    ``t_after`` (>= 0) frames from it: each run's median less a common slope (the median of
    the slopes between pairs of frames of one run: Theil-Sen over both, so a wave in some
    frames does not bend it), compared at the jump. The slope is photobleaching, which a
    plain difference of the runs' medians would count as part of the jump. Also returns
    how far the two runs' own slopes part over the later run (2,): little for a step,
    which keeps the trend it interrupts, much for an event decaying after its rise; and
    the robust SD of the levels about those lines (2,), the scatter a step must stand
    out from."""
    own = []
    for t, v in ((t_before, before), (t_after, after)):
        i, j = np.triu_indices(len(t), 1)
        own.append((v[j] - v[i]) / (t[j] - t[i])[:, None])
    pooled = np.concatenate(own)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # runs of NaN fits give NaN
        slope = np.nan_to_num(np.nanmedian(pooled, axis=0)) if len(pooled) else 0.0
        a = after - slope * t_after[:, None]
        b = before - slope * t_before[:, None]
        jump = np.nanmedian(a, axis=0) - np.nanmedian(b, axis=0)
        res = np.concatenate([a - np.nanmedian(a, axis=0), b - np.nanmedian(b, axis=0)])
        scatter = 1.4826 * np.nanmedian(np.abs(res), axis=0)
        parting = np.zeros(2)
        if all(len(o) for o in own):
            parting = (np.nanmedian(own[1], axis=0) - np.nanmedian(own[0], axis=0)) * len(after)
    return jump, np.nan_to_num(parting), scatter
