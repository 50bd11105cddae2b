"""Microdomain ROIs from the footprints of individual events.

A microdomain is the place where events recur with the same footprint. Each event is seen
where it rises: in every window of frames, the rise of each pixel's denoised dF (the
window's maximum less the previous window's mean, in noise SD) has a local maximum at the
centre of each event that starts there, also when a brighter neighbour is still decaying
or fires at the same time (the maximum of dF over the whole recording, by contrast, is
one hill for a dim microdomain beside a bright one). Each such rise is a *hit*: its peak
and its footprint (the active pixels of its watershed cell whose rise reaches a fraction
of its peak). Hits are kept above a false-discovery threshold estimated from decoys
(:meth:`RiseHits.finish`). ROIs are the places where hits recur, each keeping the pixels
covered by at least half of its hits' footprints. This follows the event-based view of
AQuA (Wang et al. 2019 Nat Neurosci 22:1936) and astroCaST (Reitman et al. 2023), where
events, not pixels' summed activity, define where activity lies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage
from skimage.morphology import disk
from skimage.segmentation import relabel_sequential, watershed

from ..backend import to_numpy
from ..pixelmodel import less_global
from ._rois import _drop_small, _largest_piece

# a microdomain's ROI: the pixels covered by at least this share of its events' footprints
VOTE_FRACTION = 0.5
# hits kept where decoys (noise) make at most this share of them
FDR = 0.1


@dataclass
class Hit:
    y: int
    x: int
    rise_sd: float
    pixels: np.ndarray  # flat indices of its footprint


@dataclass
class RiseHits:
    """Collects the hits of a movie streamed in consecutive blocks of frames.

    Parameters
    ----------
    sd, level, median : float arrays (Y, X)
        Each pixel's noise SD (of the denoised dF), resting intensity, and median dF, about
        which the decoys are mirrored (:meth:`finish`).
    window_frames : int
        Frames per window; a rise is measured from the previous window's mean to this
        window's maximum, so it spans up to two windows (an event's rise, not its decay).
    threshold_sd : float
        Smallest rise (noise SD) of a hit's peak; the peak must also be active (above the
        activity threshold for the minimum run) in the window.
    split_px : float
        Rises closer than this (pixels) in one window are one hit.
    footprint_fraction : float
        A hit's footprint: the active pixels of its cell whose rise reaches this fraction
        of its peak's.
    min_px : float
        Hits with smaller footprints are left out (the tail of a rise that the previous
        window held, or noise).

    A change of the whole field's intensity (laser power, detector gain, a step in an
    8-bit export's scaling) raises every pixel at once in proportion to its brightness;
    it is taken out of each window's maximum, minimum and mean
    (:func:`astrocalc.pixelmodel.less_global`), so that it makes no hits. (Taken out frame by
    frame instead, it made more ROIs in synchronous recordings.)
    """

    sd: np.ndarray
    level: np.ndarray
    median: np.ndarray
    window_frames: int
    threshold_sd: float
    split_px: float
    footprint_fraction: float = 0.5
    min_px: float = 1
    hits: list[Hit] = field(default_factory=list)
    decoys: list[float] = field(default_factory=list)

    def __post_init__(self):
        self._max = self._min = self._sum = self._up = self._down = None
        self._n = 0
        self._previous = None
        self._disk = disk(max(1, int(round(self.split_px / 2))))
        self._sd = np.maximum(np.asarray(self.sd, np.float64), 1e-12)
        self._median = np.asarray(self.median, np.float64)
        self._level = np.asarray(self.level, np.float64)

    def feed(self, dff, up, down) -> None:
        """Add consecutive frames: ``dff`` the denoised dF (intensity units), ``up`` where
        each pixel is active and ``down`` where its mirror image about its median dF
        (``median``) is (bool), all (n, Y, X) on any backend. ``down`` gives the decoys
        (see :meth:`finish`)."""
        i = 0
        while i < len(dff):
            take = min(self.window_frames - self._n, len(dff) - i)
            seg = dff[i : i + take]
            act, neg = up[i : i + take].any(axis=0), down[i : i + take].any(axis=0)
            if self._n == 0:
                self._max, self._min, self._sum = seg.max(axis=0), seg.min(axis=0), seg.sum(axis=0)
                self._up, self._down = act, neg
            else:
                self._max = np.maximum(self._max, seg.max(axis=0))
                self._min = np.minimum(self._min, seg.min(axis=0))
                self._sum = self._sum + seg.sum(axis=0)
                self._up, self._down = self._up | act, self._down | neg
            self._n += take
            i += take
            if self._n == self.window_frames:
                self._close()

    def finish(self) -> list[Hit]:
        """The hits, those below the false-discovery threshold left out.

        Noise makes hits too, more the more pixels and windows a recording has. Its rate is
        read from the recording itself: the same search on the dF mirrored about each
        pixel's median finds only noise (events only add light; an event's decay ends at
        the baseline and does not cross it). The smallest rise at which such decoys are at
        most ``FDR`` of the hits found, counting one decoy more than seen (so that a few
        hits without decoys do not pass), is the threshold: target-decoy estimation (Elias
        & Gygi 2007 Nat Methods 4:207) with the knockoff+ count (Barber & Candes 2015 Ann
        Stat 43:2055). On pure noise nothing passes it; a recording needs at least
        1 / FDR hits for any to pass."""
        if self._n:
            self._close()
        if not self.hits:
            return self.hits
        rise = np.sort([h.rise_sd for h in self.hits])[::-1]
        decoys = np.sort(self.decoys)[::-1]
        n_decoys = np.searchsorted(-decoys, -rise, side="right")  # decoys >= each rise
        ok = 1 + n_decoys <= FDR * np.arange(1, len(rise) + 1)
        if not ok.any():
            return []
        level = rise[np.flatnonzero(ok).max()]
        return [h for h in self.hits if h.rise_sd >= level]

    def _close(self) -> None:
        # the three images' frame-wide fits in one call: on every core, each as on its own
        images = [to_numpy(a).astype(np.float64) for a in (self._max, self._min, self._sum)]
        images[2] /= self._n
        top, low, mean = less_global(np.stack(images), self._level)
        before, self._previous = self._previous, mean
        self._n = 0
        if before is None:
            # the first window has nothing to rise from: measured from zero dF, its hits
            # would be the running baseline's bias at the recording's start, to which
            # the decoys, mirrored about each pixel's median, are blind
            return
        settings = {
            "threshold_sd": self.threshold_sd,
            "footprint_fraction": self.footprint_fraction,
            "neighbourhood": self._disk,
            "min_px": self.min_px,
        }
        rise = top - before
        self.hits.extend(
            window_hits(rise / self._sd, top / self._sd, to_numpy(self._up), shape=rise, **settings)
        )
        fall = before - low
        self.decoys.extend(
            h.rise_sd
            for h in window_hits(
                fall / self._sd,
                (2 * self._median - low) / self._sd,
                to_numpy(self._down),
                shape=fall,
                **settings,
            )
        )


def window_hits(
    rise: np.ndarray,
    top: np.ndarray,
    active: np.ndarray,
    *,
    threshold_sd: float,
    footprint_fraction: float,
    neighbourhood: np.ndarray,
    shape: np.ndarray | None = None,
    min_px: float = 1,
) -> list[Hit]:
    """The hits of one window: local maxima of ``rise`` (within ``neighbourhood``) that
    reach ``threshold_sd``, are active, and rose by at least half their level ``top`` (a
    new event, not the noise on a decaying one); each with the pixels of its watershed
    cell on ``shape`` (default ``rise``) that are active and reach ``footprint_fraction``
    of its peak's, if they are at least ``min_px``. The stream detects on the rise in
    noise SD and draws footprints on the rise in intensity: in noise SD, the bright centre
    of a microdomain, whose shot noise is largest, would be flattened and its footprint
    widened."""
    shape = rise if shape is None else shape
    peak = active & (rise >= threshold_sd) & (rise >= 0.5 * top)
    if not peak.any():
        return []
    peak &= rise == ndimage.maximum_filter(rise, footprint=neighbourhood)
    peak &= shape > 0
    ys, xs = np.nonzero(peak)
    if not len(ys):
        return []
    markers = np.zeros(rise.shape, np.int32)
    markers[ys, xs] = np.arange(1, len(ys) + 1)
    height = shape[ys, xs]
    cells = watershed(-shape, markers, mask=shape >= footprint_fraction * height.min())
    level = np.r_[np.inf, footprint_fraction * height]
    inside = (cells > 0) & (shape >= level[cells]) & active
    flat = np.flatnonzero(inside)
    owner = cells.ravel()[flat]
    order = np.argsort(owner, kind="stable")
    bounds = np.searchsorted(owner[order], np.arange(1, len(ys) + 2))
    return [
        Hit(int(y), int(x), float(rise[y, x]), flat[order[bounds[k] : bounds[k + 1]]])
        for k, (y, x) in enumerate(zip(ys, xs, strict=True))
        if bounds[k + 1] - bounds[k] >= min_px
    ]


def rois_from_hits(
    hits: list[Hit],
    shape: tuple[int, int],
    *,
    split_px: float,
    vote_fraction: float = VOTE_FRACTION,
    allowed: np.ndarray | None = None,
) -> np.ndarray:
    """Label the places where hits recur.

    Seeds are the local maxima (at least ``split_px`` apart) of the smoothed density of
    hit peaks inside ``allowed``; each hit belongs to the seed nearest to its peak among
    those its footprint covers (none if it covers none).
    A seed's ROI is the pixels covered by at least ``vote_fraction`` of its hits'
    footprints (a pixel claimed by several seeds goes to the one whose hits cover it most
    often). Returns int labels (Y, X), 0 = none, before any size filter.
    """
    labels = np.zeros(shape, np.int64)
    if not hits:
        return labels
    ys = np.array([h.y for h in hits])
    xs = np.array([h.x for h in hits])
    count = np.zeros(shape, np.float64)
    np.add.at(count, (ys, xs), 1.0)
    density = ndimage.gaussian_filter(count, 1.0)
    seeds = _peaks(
        density,
        radius_px=max(split_px, 1.0),
        threshold=0.5 / (2 * np.pi),  # half of one hit's smoothed peak
        allowed=allowed,
    )
    if not len(seeds):
        return labels
    owner = _owners(hits, seeds, shape)
    best = np.zeros(shape[0] * shape[1], np.float64)
    flat_labels = labels.ravel()
    for k in range(len(seeds)):
        mine = np.flatnonzero(owner == k)
        if not len(mine):
            continue
        pixels, votes = np.unique(
            np.concatenate([hits[i].pixels for i in mine]), return_counts=True
        )
        share = votes / len(mine)
        take = (share >= vote_fraction) & (share > best[pixels])
        best[pixels[take]] = share[take]
        flat_labels[pixels[take]] = k + 1
    if allowed is not None:
        labels[~allowed] = 0
    return labels


def _peaks(image, *, radius_px: float, threshold: float, allowed=None) -> np.ndarray:
    """(n, 2) local maxima of ``image`` over a disk of ``radius_px`` (Euclidean: two peaks
    further apart than that are both kept, where a square window would drop one of them
    along a diagonal), at least ``threshold``, inside ``allowed``; one per plateau."""
    top = image == ndimage.maximum_filter(image, footprint=disk(int(np.ceil(radius_px))))
    top &= image >= threshold
    if allowed is not None:
        top &= allowed
    plateaus, n = ndimage.label(top, structure=np.ones((3, 3)))
    if not n:
        return np.zeros((0, 2), np.int64)
    first = ndimage.minimum_position(
        np.arange(plateaus.size).reshape(plateaus.shape), plateaus, range(1, n + 1)
    )
    return np.array(first, np.int64).reshape(-1, 2)


def _owners(hits: list[Hit], seeds: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Index of each hit's seed (-1: none): the nearest to its peak of those its footprint
    covers."""
    seed_at = np.zeros(shape[0] * shape[1], np.int64)
    seed_at[seeds[:, 0] * shape[1] + seeds[:, 1]] = np.arange(1, len(seeds) + 1)
    owner = np.full(len(hits), -1)
    for i, hit in enumerate(hits):
        covered = seed_at[hit.pixels]
        covered = covered[covered > 0] - 1
        if len(covered):
            d = (seeds[covered, 0] - hit.y) ** 2 + (seeds[covered, 1] - hit.x) ** 2
            owner[i] = covered[np.argmin(d)]
    return owner


def microdomain_regions(
    hits: list[Hit],
    shape: tuple[int, int],
    *,
    split_px: float,
    min_px: float,
    allowed: np.ndarray | None = None,
) -> np.ndarray:
    """Microdomain regions (uint32 labels 1..N) from hits (:func:`rois_from_hits`): the
    largest connected piece of each, at least ``min_px`` pixels."""
    labels = rois_from_hits(hits, shape, split_px=split_px, allowed=allowed)
    labels = _drop_small(_largest_piece(labels), min_px)
    return relabel_sequential(labels)[0].astype(np.uint32)
