"""Pixel-level spatiotemporal events: blobs of active voxels in (t, y, x), split where
their onsets jump, measured from the mean trace over each footprint.

Three streaming passes over the motion-corrected movie, each in chunks of frames, so that
memory follows the chunk and the activity, not the recording's length:

1. the per-pixel baseline and noise (:func:`fit_pixel_model`; one more pass first, for
   the resting image of the covered frames, where motion left some pixels of some frames
   without data: :func:`covered_field`), refitted without the events of pass 2 where
   one is long enough to lift it (:meth:`PixelModel.excluding`, one more pass 2 each
   time, until the long events stop growing; each recomputes only what its refit
   changed, the later ones from denoised frames the first stored:
   :func:`active_components`); the background's rise, read off the astrocyte, is taken
   out of every pixel's dF (:class:`Neuropil`);
2. active voxels (denoised dF above ``threshold_sd`` noise SD for ``min_active_s``) and
   their connected components (:class:`ComponentTracker`); components whose peak reaches
   ``seed_sd`` and whose footprint is large enough are events, split by
   :func:`split_by_onset` where neighbouring onsets differ by more than
   ``split_onset_gap_s`` (independent events that touch) but not along a smooth onset
   gradient (a wave), and trimmed to the pixels that reach ``footprint_fraction`` of the
   nearby peak (the smoothing's spread past the edge);
3. the mean dF/F over each event's footprint, from which amplitude (against the pre-event
   baseline), rise, decay, duration and area under the curve are measured as for ROI
   events (:func:`event_features`); the onset map gives the propagation speed and
   direction (:func:`propagation`).

The detection itself follows the voxel-wise approach of AQuA (Wang et al. 2019 Nat
Neurosci 22:1936): active voxels, connected in space and time, separated by onset; the
thresholds are in units of each pixel's own noise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage
from scipy.sparse import csr_matrix
from skimage.morphology import disk

from ..backend import scipy_module, to_numpy
from ..pixelmodel import (
    PixelModel,
    StoredDenoised,
    fit_pixel_model,
    model_settings,
    neuropil_field,
    open_runs,
)
from ..settings import EventSettings, PixelEventSettings, Sampling, SegmentationSettings
from ._classify import classify
from ._components import ChunkLabels, ComponentTracker, PixelComponents, ZColumns
from ._detect import hysteresis_runs, smooth, white_noise
from ._features import event_features
from ._propagation import propagation, split_by_onset

log = logging.getLogger(__name__)

PIXEL_EVENT_COLUMNS = [
    "event_id",
    "onset_frame",
    "peak_frame",
    "end_frame",
    "onset_s",
    "amplitude_dff",
    "duration_s",
    "rise_s",
    "decay_s",
    "auc_dff_s",
    "area_px",
    "area_um2",
    "y",
    "x",
    "speed_um_s",
    "direction_deg",
    "roi_id",
    "n_rois",
    "kind",
]
FOOTPRINT_COLUMNS = ["event_id", "y", "x", "onset_s", "end_s", "peak_sd"]

PRE_S, POST_S = 2.0, 5.0  # trace kept before onset (baseline) and after the end (decay)
# a pixel's onset is where it rises through half its peak within this window after it
# becomes active (GCaMP rise times are a few hundred ms to ~1 s)
RISE_WINDOW_S, RISE_WINDOW_MAX_FRAMES = 2.0, 32
# when a pixel stays active for this share of the baseline window, the baseline is refitted
# without the events found (at most this many times): prolonged events are not eaten.
# Refits stop once the long events reach no baseline bin that is not left out already
# (all of a long event's bins are out of its baseline, what the refits are for): before,
# a recording with one long event anywhere made all of them, each a pass over the movie
LONG_FRACTION, MAX_BASELINE_REFITS = 0.2, 4
# the background's change under a pixel (events.neuropil_coefficient times it is taken
# out): pixels this far off the astrocyte's structure, weighted by a Gaussian of this
# sigma (um): wider than an ROI's ring (1-3 um), which a pixel does not have
NEUROPIL_MARGIN_UM, NEUROPIL_SIGMA_UM = 1.0, 3.0


@dataclass
class PixelEvents:
    events: pd.DataFrame  # PIXEL_EVENT_COLUMNS
    footprints: pd.DataFrame  # FOOTPRINT_COLUMNS, one row per (event, pixel)
    model: PixelModel


@dataclass
class _Event:
    pixels: np.ndarray  # flat indices, sorted
    onset: np.ndarray  # fractional onset frame per pixel
    last: np.ndarray  # last active frame per pixel
    peak_z: np.ndarray
    onset_frame: int
    end_frame: int


def detect_pixel_events(
    movie,
    xp,
    *,
    sampling: Sampling,
    settings: PixelEventSettings | dict | None = None,
    segmentation: SegmentationSettings | dict | None = None,
    events: EventSettings | dict | None = None,
    chunk_frames: int,
    labels: np.ndarray | None = None,
    coverage=None,
    structure: np.ndarray | None = None,
    astrocyte: np.ndarray | None = None,
) -> PixelEvents:
    """Detect and measure the pixel-level events of a motion-corrected movie.

    Parameters
    ----------
    movie : astrocalc.io.Movie
        Motion-corrected movie (T, Y, X).
    xp : module
        Array backend (NumPy or CuPy; the same code runs on both).
    sampling : Sampling
        Frame rate and pixel size.
    settings : PixelEventSettings or mapping, optional
        The ``pixel_events`` section of the config (:meth:`Section.of`: schema defaults
        for what a mapping leaves out; so for the next two).
    segmentation : SegmentationSettings or mapping, optional
        The ``segmentation`` section: spatial and temporal smoothing, the per-pixel
        baseline and the footprint trimming are shared with the activity maps
        (``smooth_um``, ``smooth_s``, ``baseline_window_s``, ``baseline_percentile``,
        ``footprint_fraction``).
    events : EventSettings or mapping, optional
        The ``events`` section: ``smooth_s`` of the footprint traces and
        ``global_fraction``.
    chunk_frames : int
        Frames per streamed chunk.
    labels : int array (Y, X), optional
        ROI label image: each event is attributed to the ROI it overlaps most.
    coverage : astrocalc.motion.Coverage, optional
        Voxels of frames that hold no recorded data at a pixel are never active, and
        events lie where at least half of the frames do; each frame is smoothed over the
        pixels it covers (:func:`smooth_covered`), so pixels beside the band a shift
        leaves without data are used too.
    structure : bool array (Y, X), optional
        Where events may lie (:func:`astrocalc.segment.structure_mask`); voxels elsewhere
        are never active, as for activity ROIs.
    astrocyte : bool array (Y, X), optional
        The astrocyte's structure and ROIs: the background's change is estimated off it
        (:class:`Neuropil`, ``events.neuropil_coefficient`` times it taken out of every
        pixel's dF, as the ROI traces' rings do). Without it, no correction.
    """
    c = PixelEventSettings.of(settings)
    seg, ev = SegmentationSettings.of(segmentation), EventSettings.of(events)
    fs, px = sampling.frame_rate_hz, sampling.pixel_size_um
    neuropil = None
    if astrocyte is not None:
        neuropil = neuropil_field(
            astrocyte,
            xp,
            sigma_px=sampling.px(NEUROPIL_SIGMA_UM),
            margin_px=sampling.px(NEUROPIL_MARGIN_UM),
            coefficient=ev.neuropil_coefficient,
        )
    model = fit_pixel_model(
        movie,
        xp,
        chunk_frames=chunk_frames,
        neuropil=neuropil,
        coverage=coverage,
        **model_settings(seg, sampling),
    )

    h, w = movie.shape[1:]

    def components_of(model, previous=None, changed=None, candidates=None):
        return active_components(
            movie,
            model,
            chunk_frames=chunk_frames,
            fs=fs,
            threshold_sd=c.threshold_sd,
            min_active_frames=sampling.frames(c.min_active_s),
            coverage=coverage,
            allowed=structure,
            previous=previous,
            changed=changed,
            candidates=candidates,
        )

    # the refits' passes take the denoised frames from a store, where it holds every pixel
    # that can be active: under a refit only the refitted pixels' dF changes, and every
    # refit leaves out pixels of events found before, so no pixel that was never active
    # becomes active. The first pass stores the pixels that may be active (the structure)
    # where they are at most half of the motion-corrected movie; else the first refit's
    # pass stores those that were active
    def small(pixels):
        return len(pixels) * (1 + (neuropil is not None)) <= h * w // 2

    may = np.flatnonzero(to_numpy(_may_be_active((h, w), coverage, structure, xp)))
    latest = components_of(model, candidates=may if small(may) else None)
    components = latest.components
    active_px = np.unique(components.pixel)
    candidates = active_px if small(active_px) else None
    first_fit, excluded, long_bins = model, [], np.zeros(0, np.int64)
    pad = sampling.frames(PRE_S, at_least=0)
    for _ in range(MAX_BASELINE_REFITS):
        # an event lasting a good part of the baseline window lifts the running percentile
        # under it: refit the baseline without everything found so far, and look again,
        # while the long events reach bins that were not left out yet
        length = _component_span(components)
        ranges = (components.pixel, components.first - pad, components.last + pad + length)
        long = length >= LONG_FRACTION * model.window_frames
        bins = _bin_keys(*(r[long] for r in ranges), model.bin_frames, model.bins.shape[0])
        if not len(np.setdiff1d(bins, long_bins)):
            break
        long_bins = np.union1d(long_bins, bins)
        excluded.append(ranges)
        # the last refit's bin means stay until the new ones are compared with them (3
        # arrays of bin means for a moment, before the pass's chunks take their memory)
        refit = first_fit.excluding(*(np.concatenate(a) for a in zip(*excluded, strict=True)))
        changed = refit.changed_frames(model)
        model = refit
        log.info(
            "pixel events: the refitted baseline changes %d of %d frames",
            changed.sum(),
            len(changed),
        )
        latest = components_of(model, previous=latest, changed=changed, candidates=candidates)
        components = latest.components
    latest = None  # each chunk's labels and the stored frames: only a refit takes them
    log.info("pixel events: baseline refitted %d times without long events", len(excluded))
    min_area = sampling.min_area_px(c.min_area_um2, c.min_area_px)
    found = _split_events(
        components,
        movie.shape[2],
        seed_sd=c.seed_sd,
        min_area_px=min_area,
        gap_frames=sampling.frame_span(c.split_onset_gap_s),
        blur_px=2 * model.sigma_px,
        fraction=seg.footprint_fraction,
    )
    traces = footprint_traces(movie, model, found, chunk_frames=chunk_frames, fs=fs)
    table, footprints = _measure(
        found,
        traces,
        frame_shape=movie.shape[1:],
        fs=fs,
        px=px,
        smooth_s=ev.smooth_s,
        split_sd=ev.high_threshold_sd,
        min_delay_s=c.min_delay_s,
        labels=labels,
        global_fraction=ev.global_fraction,
    )
    return PixelEvents(table, footprints, model)


@dataclass
class ComponentPass:
    """The active components of one pass (:func:`active_components`) and each chunk's
    labels, which a later pass under a refitted baseline takes where nothing changed."""

    components: PixelComponents
    chunks: list[ChunkLabels]
    chunk_frames: int
    stored: StoredDenoised | None = None


def active_components(
    movie,
    model: PixelModel,
    *,
    chunk_frames: int,
    fs: float,
    threshold_sd: float,
    min_active_frames: int,
    coverage=None,
    allowed: np.ndarray | None = None,
    previous: ComponentPass | None = None,
    changed: np.ndarray | None = None,
    candidates: np.ndarray | None = None,
) -> ComponentPass:
    """Connected components of active voxels, streamed (pass 2); voxels outside
    ``allowed`` (Y, X), where given, and those ``coverage`` says hold no recorded data (or
    whose pixel is covered in under half the frames) are never active.

    A refit of the baseline (:meth:`PixelModel.excluding`) changes the dF only where
    the baseline changed, so the pass under it takes what it can from the ``previous``
    pass of the same movie:

    - ``candidates`` (flat pixels, sorted) are those that can be active in this pass and
      the later ones. On NumPy, a pass that must compute at least half of its chunks
      stores its denoised frames there (:class:`StoredDenoised`, a temporary file), once;
      a pass after it computes the dF of the candidates from the store instead of reading
      and smoothing the movie, where the store holds them and gives this model's dF
      (:meth:`StoredDenoised.serves`);
    - with the frames whose dF the refit ``changed`` (:meth:`PixelModel.changed_frames`,
      bool (T,)), chunks none of whose frames changed take their labels from the
      previous pass.

    Either way the components are those of a full pass, value for value."""
    xp = model.xp
    t, h, w = movie.shape
    rise = min(RISE_WINDOW_MAX_FRAMES, max(4, int(round(RISE_WINDOW_S * fs))))
    tracker = ComponentTracker((h, w), threshold=threshold_sd, rise_frames=rise, xp=xp)
    inside = _may_be_active((h, w), coverage, allowed, xp)
    # z must be exact (the model's overlap beyond it) where the core's runs of active
    # frames reach past it, before and after, and over the rise window after its last
    # frame (an onset's half-rise looks forward; one frame back): the rise window on
    # both sides, as before, made chunks of 1,024 x 1,024 frames 82 frames for 32
    overlap = (
        model.overlap + min_active_frames,
        model.overlap + min_active_frames + rise,
    )
    bounds = movie.chunk_bounds(chunk_frames, overlap=overlap)
    same_chunks = previous is not None and previous.chunk_frames == chunk_frames
    unchanged = np.zeros(len(bounds), bool)
    if same_chunks and changed is not None:
        unchanged = np.array([not changed[lo:hi].any() for _, _, lo, hi in bounds], bool)
    earlier = previous.stored if previous is not None else None
    px = None  # the pixels whose dF comes from the store
    if earlier is not None and earlier.serves(model):
        px = earlier.pixels if candidates is None else candidates
        px = px if np.isin(px, earlier.pixels).all() else None
    storing = None
    # storing takes every chunk: where most are unchanged, their labels cost less; and a
    # store is made once (one that does not serve this refit serves none after it)
    if earlier is None and candidates is not None and xp is np and unchanged.mean() <= 0.5:
        storing = StoredDenoised(t, candidates, background=model.neuropil is not None)
        unchanged[:] = False
    from_store = px is not None
    if from_store:
        log.info("pixel events: the dF of %d pixels from the stored frames", len(px))
    sd = model.sd.reshape(-1)[px] if from_store else model.sd
    inside_px = inside.reshape(-1)[px] if from_store else None
    blocks = movie.chunks(chunk_frames, overlap=overlap, skip=unchanged | from_store)
    chunks = []
    for i, ((start, stop, lo, block), (_, _, _, hi)) in enumerate(zip(blocks, bounds, strict=True)):
        if unchanged[i]:
            chunk = previous.chunks[i]
            tracker.join(chunk)
            chunks.append(chunk)
            continue
        core = slice(start - lo, stop - lo)
        if from_store:  # the same steps on those pixels' columns only
            z = earlier.dff(model, lo, hi, px) / sd
            columns = open_runs(z > threshold_sd, min_active_frames, xp)[core] & inside_px
            if coverage is not None:
                columns &= coverage.frames(start, stop, xp).reshape(stop - start, -1)[:, px]
            active = xp.zeros((stop - start, h * w), bool)
            active[:, px] = columns
            active, z = active.reshape(stop - start, h, w), ZColumns(z, px)
        else:
            z = model.dff(block, lo, keep=None if storing is None else (storing, start, stop))
            z /= sd
            active = open_runs(z > threshold_sd, min_active_frames, xp)[core] & inside
            if coverage is not None:
                active &= coverage.frames(start, stop, xp)
        chunks.append(tracker.add(active, z, core=core, start=start))
    return ComponentPass(tracker.finish(), chunks, chunk_frames, storing or earlier)


def _may_be_active(frame_shape, coverage, allowed, xp):
    """Bool (Y, X): the pixels whose voxels may be active (:func:`active_components`)."""
    inside = xp.ones(frame_shape, bool)
    if coverage is not None:
        inside &= xp.asarray(coverage.usable())
    if allowed is not None:
        inside &= xp.asarray(allowed)
    return inside


def _component_span(comps: PixelComponents) -> np.ndarray:
    """Frames from the first onset to the last active frame of each row's component."""
    if comps.n == 0:
        return np.zeros(0, np.int64)
    first = np.full(comps.n, np.iinfo(np.int64).max)
    last = np.zeros(comps.n, np.int64)
    np.minimum.at(first, comps.component, comps.first)
    np.maximum.at(last, comps.component, comps.last)
    return (last - first)[comps.component]


def _bin_keys(pixel, first, last, bin_frames: int, n_bins: int) -> np.ndarray:
    """Sorted unique keys ``pixel * n_bins + bin`` of the baseline bins that frames
    ``first[i]..last[i]`` of pixel ``pixel[i]`` fall in."""
    lo = np.clip(first // bin_frames, 0, n_bins - 1)
    n = np.clip(last // bin_frames, 0, n_bins - 1) - lo + 1
    n = np.maximum(n, 0)
    run = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)  # 0, 1, .. within each row
    return np.unique(np.repeat(pixel * n_bins + lo, n) + run)


def _core(ys, xs, peak, *, radius_px: float, fraction: float) -> np.ndarray:
    """Pixels whose peak reaches ``fraction`` of the highest peak within ``radius_px``: the
    spatial smoothing spreads activity past an event's edge, and this trims the spread
    while keeping dim parts of an event that are far from its bright parts."""
    if fraction <= 0:
        return np.ones(len(ys), bool)
    r = max(int(np.ceil(radius_px)), 1)
    y, x = ys - ys.min() + r, xs - xs.min() + r
    image = np.zeros((y.max() + r + 1, x.max() + r + 1), np.float32)
    image[y, x] = peak
    near = ndimage.maximum_filter(image, footprint=disk(r))
    return peak >= fraction * near[y, x]


def _split_events(
    comps: PixelComponents,
    width: int,
    *,
    seed_sd: float,
    min_area_px: int,
    gap_frames: float,
    blur_px: float,
    fraction: float,
) -> list[_Event]:
    """Events from components: those reaching ``seed_sd`` with ``min_area_px`` pixels, split
    at onset steps, trimmed to their core (:func:`_core`), not active in the first frame;
    in order of onset."""
    if comps.n == 0:
        return []
    bounds = np.searchsorted(comps.component, np.arange(comps.n + 1))
    area = np.diff(bounds)
    top = np.full(comps.n, -np.inf, np.float32)
    np.maximum.at(top, comps.component, comps.peak_z)
    out = []
    for c in np.flatnonzero((area >= min_area_px) & (top >= seed_sd)):
        sl = slice(bounds[c], bounds[c + 1])
        pixel, onset, first = comps.pixel[sl], comps.onset[sl], comps.first[sl]
        last, peak = comps.last[sl], comps.peak_z[sl]
        ys, xs = np.divmod(pixel, width)
        piece = split_by_onset(ys, xs, onset, gap=gap_frames, min_area_px=min_area_px)
        for k in range(piece.max() + 1):
            sel = piece == k
            sel[sel] = _core(ys[sel], xs[sel], peak[sel], radius_px=blur_px, fraction=fraction)
            if sel.sum() < min_area_px or peak[sel].max() < seed_sd:
                continue
            if first[sel].min() == 0:
                # active from the first frame: in progress when the recording began (or
                # the running baseline's bias at its edge), with no onset to measure
                continue
            out.append(
                _Event(
                    pixels=pixel[sel],
                    onset=onset[sel],
                    last=last[sel],
                    peak_z=peak[sel],
                    onset_frame=int(first[sel].min()),
                    end_frame=int(last[sel].max()),
                )
            )
    out.sort(key=lambda e: (e.onset_frame, int(e.pixels[0])))
    return out


def footprint_traces(movie, model: PixelModel, events: list[_Event], *, chunk_frames, fs):
    """dF/F of the mean over each event's footprint, from ``PRE_S`` before its onset to
    ``POST_S`` after its end (pass 3). Returns a list of (first frame, trace).

    F is the raw footprint mean. F0 is the per-pixel baseline averaged over the footprint,
    scaled by the ratio of the raw to the smoothed mean image there: the baseline comes from
    spatially smoothed frames, which dim a small bright structure against its surround.
    """
    xp = model.xp
    if not events:
        return []
    pre, post = int(round(PRE_S * fs)), int(round(POST_S * fs))
    first = np.array([max(e.onset_frame - pre, 0) for e in events])
    stop = np.array([min(e.end_frame + post + 1, movie.n_frames) for e in events])
    rows = np.concatenate([np.full(len(e.pixels), i) for i, e in enumerate(events)])
    cols = np.concatenate([e.pixels for e in events])
    weights = np.concatenate([np.full(len(e.pixels), 1.0 / len(e.pixels)) for e in events])
    npx = movie.shape[1] * movie.shape[2]
    mean_of = csr_matrix((weights, (rows, cols)), shape=(len(events), npx))
    raw_mean = mean_of @ to_numpy(model.mean_raw).ravel().astype(np.float64)
    smooth_mean = mean_of @ to_numpy(model.mean_smooth).ravel().astype(np.float64)
    scale = raw_mean / np.maximum(smooth_mean, 1e-12)
    on_device = scipy_module(xp, "sparse").csr_matrix if xp is not np else None
    traces = [np.empty(b - a) for a, b in zip(first, stop, strict=True)]
    f0s = [np.empty(b - a) for a, b in zip(first, stop, strict=True)]
    for start, end, _, block in movie.chunks(chunk_frames):
        sel = np.flatnonzero((first < end) & (stop > start))
        if not len(sel):
            continue
        # only the pixels of the events in this chunk are gathered
        sub = mean_of[sel]
        used = np.unique(sub.indices)
        sub = sub[:, used]
        if on_device is not None:
            sub = on_device(sub)
        idx = xp.asarray(used)
        frames = xp.asarray(block).reshape(end - start, -1)[:, idx].astype(xp.float64)
        f = to_numpy(sub @ frames.T)
        base = model.baseline.at(start, end, pixels=idx)
        f0 = to_numpy(sub @ base.astype(xp.float64).T)
        for row, i in enumerate(sel):
            a, b = max(first[i], start), min(stop[i], end)
            traces[i][a - first[i] : b - first[i]] = f[row, a - start : b - start]
            f0s[i][a - first[i] : b - first[i]] = f0[row, a - start : b - start]
    out = []
    for i in range(len(events)):
        f0 = np.maximum(f0s[i] * scale[i], 1e-12)
        out.append((int(first[i]), (traces[i] - f0) / f0))
    return out


def successive(
    sm, dff, onset: int, end: int, *, settled: int, sigma_frames: float, split_sd: float
):
    """The events in quick succession within one pixel event's span ``onset..end`` of its
    smoothed footprint trace ``sm``: (onset, peak, end) frames, split at the troughs by
    the rule of ROI events (:func:`hysteresis_runs`: each peak rising ``split_sd`` noise
    SD and a share of its height above the trough). A later event in the same pixels
    while an earlier one has not yet decayed keeps the voxels active throughout, so the
    voxels alone make one event of both. Only troughs after ``settled`` (the last pixel's
    onset) count: before it, bumps of the mean trace are a wave reaching further pixels.
    Each later event's onset is where it rises through 10 % of its height above the
    trough."""
    # white noise only: the trace is mostly event, so the spread of its lower half
    # (robust_noise's other estimate) would be the event's own
    noise = float(white_noise(dff, sigma_frames))
    seg = sm[onset : end + 1]
    runs = hysteresis_runs(
        seg, high=-np.inf, low=-np.inf, min_frames=1, split_prominence=split_sd * noise
    )
    runs = [r for k, r in enumerate(runs) if k == 0 or onset + r[0] > settled]
    if len(runs) <= 1:
        return [(onset, onset + int(np.argmax(seg)), end)]
    # a run dropped above belongs to the kept one before it
    ends = [r[0] - 1 for r in runs[1:]] + [runs[-1][2]]
    runs = [
        (a, a + int(np.argmax(seg[a : b + 1])), b) for (a, _, _), b in zip(runs, ends, strict=True)
    ]
    out = []
    for k, (a, p, b) in enumerate(runs):
        if k:
            level = seg[a] + 0.1 * (seg[p] - seg[a])
            a += int(np.argmax(seg[a : p + 1] >= level))
        out.append((onset + a, onset + p, onset + b))
    return out


def _measure(
    events,
    traces,
    *,
    frame_shape,
    fs,
    px,
    smooth_s,
    split_sd,
    min_delay_s,
    labels,
    global_fraction,
):
    """The event and footprint tables; pixel events holding events in quick succession
    are split in time (:func:`successive`), each part with the same footprint."""
    h, w = frame_shape
    n_rois = int(labels.max()) if labels is not None else 0
    roi_area = np.bincount(labels.ravel(), minlength=n_rois + 1) if n_rois else None
    rows, prints = [], []
    parts = []
    for ev, (first, dff) in zip(events, traces, strict=True):
        sm = smooth(dff[:, None], smooth_s * fs)[:, 0]
        spans = successive(
            sm,
            dff,
            ev.onset_frame - first,
            ev.end_frame - first,
            settled=int(np.ceil(ev.onset.max())) - first,
            sigma_frames=smooth_s * fs,
            split_sd=split_sd,
        )
        parts += [(ev, first, dff, sm, span, i) for i, span in enumerate(spans)]
    for k, (ev, first, dff, sm, (onset, peak, end), part) in enumerate(parts, start=1):
        feats = event_features(sm, dff, onset, peak, end, frame_rate_hz=fs)
        feats.pop("rise_start_frame")  # the onset here is the first active frame
        ys, xs = np.divmod(ev.pixels, w)
        # a later part's pixels have no onsets of their own: it rose everywhere at once
        pixel_onset = ev.onset / fs if part == 0 else np.full(len(ys), (first + onset) / fs)
        speed, direction = propagation(
            ys, xs, pixel_onset, pixel_size_um=px, min_delay_s=min_delay_s
        )
        roi, n_hit = 0, 0
        if n_rois:
            hits = np.bincount(labels.ravel()[ev.pixels], minlength=n_rois + 1)
            hits[0] = 0
            if hits.any():
                roi = int(np.argmax(hits))
                n_hit = int(max(1, ((hits[1:] / roi_area[1:]) >= 0.25).sum()))
        kind = classify(np.array([n_hit]), n_rois, global_fraction=global_fraction)[0]
        rows.append(
            {
                "event_id": k,
                "onset_frame": first + onset,
                "peak_frame": first + peak,
                "end_frame": first + end,
                "onset_s": (first + onset) / fs,
                **feats,
                "area_px": len(ev.pixels),
                "area_um2": len(ev.pixels) * px**2,
                "y": float(ys.mean()),
                "x": float(xs.mean()),
                "speed_um_s": speed,
                "direction_deg": direction,
                "roi_id": roi,
                "n_rois": n_hit,
                "kind": str(kind),
            }
        )
        prints.append(
            pd.DataFrame(
                {
                    "event_id": k,
                    "y": ys,
                    "x": xs,
                    "onset_s": pixel_onset,
                    "end_s": np.minimum(ev.last, first + end) / fs,
                    "peak_sd": ev.peak_z,
                }
            )
        )
    events_table = pd.DataFrame(rows, columns=PIXEL_EVENT_COLUMNS)
    footprints = (
        pd.concat(prints, ignore_index=True) if prints else pd.DataFrame(columns=FOOTPRINT_COLUMNS)
    )
    return events_table, footprints
