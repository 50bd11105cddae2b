"""The events stage: from ROI traces to dF/F, the event table and per-ROI summaries."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ..pixelmodel import running_baseline
from ..settings import EventSettings, Sampling
from ._classify import classify, coactive_rois
from ._detect import detect
from ._dff import default_floor, update_relative_change
from ._features import POST_S, PRE_S
from ._kernels import FEATURES, cover, measure

MAX_BASELINE_PASSES = 4
ONSET_LEAD_S = 0.5

EVENT_COLUMNS = [
    "event_id",
    "roi_id",
    "onset_frame",
    "peak_frame",
    "end_frame",
    "onset_s",
    "amplitude_dff",
    "duration_s",
    "rise_s",
    "decay_s",
    "auc_dff_s",
    "n_rois",
    "kind",
]


@dataclass
class EventResult:
    dff: np.ndarray  # (T, N) float32
    events: pd.DataFrame  # EVENT_COLUMNS
    noise: np.ndarray  # (N,) SD of smoothed dF/F
    roi_ids: np.ndarray  # (N,) the ROI of each column
    duration_s: float  # length of the traces

    @cached_property
    def per_roi(self) -> pd.DataFrame:
        """:func:`per_roi_summary` (made when first asked for: the fit's many model
        recordings never ask)."""
        return per_roi_summary(self.events, self.roi_ids, self.duration_s)


def detect_in_traces(
    traces: np.ndarray, *, frame_rate_hz: float, settings: EventSettings | dict | None = None
):
    """dF/F of raw ROI traces (T, N) and the events in it, with the settings of the
    ``events`` config section (:meth:`Section.of`). Returns (dff, events, smoothed dff,
    noise); events as (column, onset, peak, end) frames, see :func:`detect`.

    The events found are kept out of the baseline (:func:`event_mask`) and the detection
    repeated until they no longer change (at most ``MAX_BASELINE_PASSES`` passes), so that
    prolonged events, which can fill most of a baseline window, are not eaten by it and
    keep their amplitude and duration: each pass finds more of a long event's tail.
    """
    c = EventSettings.of(settings)
    window = Sampling(frame_rate_hz, 1.0).frame_span(c.baseline_window_s)
    f = traces.astype(np.float64) - c.offset
    # the baseline of each column and the frames it was computed without (none at first:
    # an all-False mask gives the same baseline)
    f0 = running_baseline(f, window_frames=window, percentile=c.baseline_percentile)
    exclude = np.zeros(f.shape, bool)
    every = np.arange(f.shape[1])
    floor = default_floor(f0)
    dff = np.empty(f.shape, np.float32)
    update_relative_change(dff, f, f0, floor, every)
    redo = np.ones(f.shape[1], bool)
    sm = noise = found = None
    for n_pass in range(1, MAX_BASELINE_PASSES + 1):
        # the detection of a column depends on that column's dF/F alone: a pass redoes
        # only the columns whose dF/F changed (bit for bit), its results those of a pass
        # over all of them
        cols = np.flatnonzero(redo)
        if found is not None and not cols.size:
            break  # the new baselines gave the same dF/F: the same events again
        part, part_sm, part_noise = detect(
            _columns(dff, cols),
            frame_rate_hz=frame_rate_hz,
            smooth_s=c.smooth_s,
            high_sd=c.high_threshold_sd,
            low_sd=c.low_threshold_sd,
            min_duration_s=c.min_duration_s,
        )
        part[:, 0] = cols[part[:, 0]]
        if found is None:
            found, sm, noise = part, part_sm, part_noise
        else:
            if cols.size == sm.shape[1]:
                sm, noise = part_sm, part_noise
            else:
                sm[:, cols], noise[cols] = part_sm, part_noise
            kept = found[~redo[found[:, 0]]]
            merged = np.concatenate([kept, part])
            found = merged[np.argsort(merged[:, 0], kind="stable")]  # by column, then time
        mask = event_mask(found, dff.shape, frame_rate_hz=frame_rate_hz)
        moved = (mask != exclude).any(axis=0)
        if not moved.any() or n_pass == MAX_BASELINE_PASSES:
            break
        cols = np.flatnonzero(moved)
        refitted = running_baseline(
            _columns(f, cols),
            window_frames=window,
            percentile=c.baseline_percentile,
            exclude=_columns(mask, cols),
        )
        if cols.size == f.shape[1]:
            f0 = refitted
        else:
            f0[:, cols] = refitted
        exclude = mask
        # the dF/F changes where the baseline did, unless the floor of F0 moved
        new_floor = default_floor(f0)
        redo = update_relative_change(dff, f, f0, new_floor, cols if new_floor == floor else every)
        floor = new_floor
    return dff, found, sm, noise


def _columns(a: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``a[:, cols]`` for sorted distinct ``cols``: ``a`` itself where they are all of
    its columns, else a C-ordered copy (``np.take``: 4x faster than fancy indexing)."""
    return a if cols.size == a.shape[1] else np.take(a, cols, axis=1)


def event_mask(found, shape, *, frame_rate_hz: float, pad_s: float = 2.0) -> np.ndarray:
    """Bool (T, N): the frames of each event (column, onset, peak, end), from ``pad_s``
    before its onset to its length plus ``pad_s`` after its end (the slow tail of a long
    event stays above baseline after it drops below the detection threshold)."""
    pad = int(round(pad_s * frame_rate_hz))
    found = np.asarray(found, np.int64).reshape(-1, 4)
    j, onset, end = found[:, 0], found[:, 1], found[:, 3]
    return cover(shape[0], shape[1], j, onset - pad, 2 * end + 1 + pad - onset)


def find_events(
    traces: np.ndarray,
    roi_ids: np.ndarray,
    *,
    frame_rate_hz: float,
    settings: EventSettings | dict | None = None,
) -> EventResult:
    """dF/F, events and per-ROI statistics from raw ROI traces.

    Parameters
    ----------
    traces : array (T, N)
        Mean intensity of each ROI per frame.
    roi_ids : array (N,)
        ROI id of each column.
    frame_rate_hz : float
        Frames per second.
    settings : EventSettings or mapping, optional
        The ``events`` section of the config (:meth:`Section.of`: schema defaults for what
        a mapping leaves out).
    """
    c = EventSettings.of(settings)
    dff, found, sm, noise = detect_in_traces(traces, frame_rate_hz=frame_rate_hz, settings=c)
    return describe_events(dff, found, sm, noise, roi_ids, frame_rate_hz=frame_rate_hz, settings=c)


def find_events_side_by_side(
    traces: np.ndarray,
    roi_ids: np.ndarray,
    *,
    frame_rate_hz: float,
    settings: EventSettings | dict | None = None,
) -> list[EventResult]:
    """:func:`find_events` of several recordings of the same ROIs and length, their traces
    side by side in ``traces`` (T, R * N), one result per recording. The detection goes
    trace by trace, so one call over all of them finds what one call per recording would,
    without a call's overhead per recording (the fit's thousands of model recordings)."""
    c = EventSettings.of(settings)
    n = len(roi_ids)
    dff, found, sm, noise = detect_in_traces(traces, frame_rate_hz=frame_rate_hz, settings=c)
    n_recordings = traces.shape[1] // n
    starts = np.searchsorted(found[:, 0], np.arange(n_recordings + 1) * n)
    out = []
    for r in range(n_recordings):
        cols = slice(r * n, (r + 1) * n)
        own = found[starts[r] : starts[r + 1]].copy()
        own[:, 0] -= r * n
        out.append(
            describe_events(
                dff[:, cols], own, sm[:, cols], noise[cols], roi_ids,
                frame_rate_hz=frame_rate_hz, settings=c,
            )
        )  # fmt: skip
    return out


def describe_events(
    dff: np.ndarray,
    found: np.ndarray,
    sm: np.ndarray,
    noise: np.ndarray,
    roi_ids: np.ndarray,
    *,
    frame_rate_hz: float,
    settings: EventSettings | dict | None = None,
) -> EventResult:
    """The :class:`EventResult` of what :func:`detect_in_traces` found in one recording's
    traces: each event measured, its onset placed, the events co-active across ROIs
    counted and classified. (Apart from :func:`find_events` so that many recordings'
    traces can go through the detection together: :func:`find_events_side_by_side`.)"""
    fs, c = frame_rate_hz, EventSettings.of(settings)
    feats = pd.DataFrame(
        measure(
            np.ascontiguousarray(sm, np.float64),
            np.ascontiguousarray(dff),
            found,
            float(fs),
            int(PRE_S * fs),
            int(POST_S * fs),
        ),
        columns=list(FEATURES),
    )
    start, peak = found[:, 1], found[:, 2]
    onset = rise_onset(feats.pop("rise_start_frame").to_numpy(), start, fs)
    # risen by the first frame: in progress when the recording began (or the running
    # baseline's bias at its edge), with no onset to measure; not reported, as at the pixel
    # level, though kept out of the baseline. A run from the first frame whose rise comes
    # later (an event on that bias) is kept.
    keep = ~((start == 0) & (onset < 1))
    events = pd.DataFrame(
        {
            "roi_id": np.asarray(roi_ids, int)[found[:, 0]],
            "onset_frame": np.minimum(np.ceil(onset - 1e-9).astype(int), peak),
            "peak_frame": peak,
            "end_frame": found[:, 3],
            "onset_s": onset / fs,
        }
    )
    events = pd.concat([events, feats], axis=1)[keep].reset_index(drop=True)
    events = events.sort_values(["onset_frame", "roi_id"], kind="stable").reset_index(drop=True)
    events.insert(0, "event_id", np.arange(1, len(events) + 1))
    events["n_rois"] = (
        coactive_rois(
            events.roi_id.to_numpy(),
            events.onset_s.to_numpy(),
            window_s=c.coactive_window_s,
        )
        if len(events)
        else []
    )
    events["kind"] = (
        classify(events.n_rois.to_numpy(), len(roi_ids), global_fraction=c.global_fraction)
        if len(events)
        else []
    )
    events = events[EVENT_COLUMNS]
    return EventResult(dff, events, noise, np.asarray(roi_ids), dff.shape[0] / fs)


def rise_onset(rise_start, run_start, frame_rate_hz: float):
    """Onset (fractional frame) of an event: where its rise passes 10 % of its amplitude,
    a point that does not move with the amplitude, as the threshold crossing that found the
    event does (a large event crosses a threshold in noise SD early, a small one late). Held
    to at most ``ONSET_LEAD_S`` before that crossing, so that an event following another
    closely does not take the first one's rise."""
    return np.maximum(rise_start, run_start - ONSET_LEAD_S * frame_rate_hz)


def per_roi_summary(events: pd.DataFrame, roi_ids: np.ndarray, duration_s: float) -> pd.DataFrame:
    """events_per_roi.csv: one row per ROI, including ROIs without events."""
    g = events.groupby("roi_id")
    out = pd.DataFrame({"roi_id": np.asarray(roi_ids, int)}).set_index("roi_id")
    out["n_events"] = g.size()
    out["n_events"] = out["n_events"].fillna(0).astype(int)
    out["rate_per_min"] = out["n_events"] / (duration_s / 60.0)
    for col, name in (
        ("amplitude_dff", "mean_amplitude_dff"),
        ("duration_s", "mean_duration_s"),
        ("rise_s", "mean_rise_s"),
        ("decay_s", "mean_decay_s"),
        ("auc_dff_s", "mean_auc_dff_s"),
    ):
        out[name] = g[col].mean()
    out["share_global"] = (events["kind"] == "global").groupby(events["roi_id"]).mean()
    return out.reset_index()
