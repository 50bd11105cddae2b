"""The correlation analysis of one recording: Pearson r with its null, false discovery
rate, event tiling and co-occurrence, lagged r, distance decay and clusters, from dF/F
traces and events (what the correlation stage writes, callable on a notebook's arrays)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..backend import name_of, to_numpy
from ..settings import CorrelationSettings, Sampling
from ._cluster import cluster_order
from ._measures import distance_decay, lagged_correlation, near_counts, sttc_matrix
from ._null import benjamini_hochberg, circular_shift_pvalues
from ._pairs import co_event_matrix, event_positions, pair_blocks, pair_distances, upper_triangle
from ._pearson import pearson_matrix
from ._streaming import streaming_correlation

CIRCULAR_NULL_BUDGET = 1e10  # ROI pairs x frames up to which the exact circular null runs
IN_MEMORY_BUDGET = 2.5e7  # ROIs x frames (200 MB of float64) beyond which traces are streamed
LAGGED_BUDGET = 2e12  # ROI pairs x frames x lags of lagged correlation on the CPU
ALPHA = 0.05  # false discovery rate of the significant pairs


@dataclass(frozen=True)
class CorrelationPlan:
    """How the analysis runs on a recording of this size."""

    null: str  # circular | autocorrelation
    in_memory: bool  # every trace held at once (else read in chunks)
    lagged: bool  # lagged r computed (else NaN)


def correlation_plan(
    n_rois: int, n_frames: int, settings: CorrelationSettings, frame_rate_hz: float, xp
) -> CorrelationPlan:
    """Which null, whether traces are held in memory, whether lagged r is computed.

    The exact circular-shift null needs every trace in memory and N^2 T work per shift;
    beyond ``CIRCULAR_NULL_BUDGET`` the autocorrelation-corrected null of
    :class:`~astrocalc.correlate.StreamingCorrelation` is used, and beyond
    ``IN_MEMORY_BUDGET`` traces are read in chunks. Lagged r needs the whole traces and
    2 max_lag + 1 products of the Pearson matrix's size: on the CPU it is left out
    beyond ``LAGGED_BUDGET``.
    """
    null = settings.null_model
    if null == "auto":
        null = "circular" if n_rois**2 * n_frames <= CIRCULAR_NULL_BUDGET else "autocorrelation"
    in_memory = null == "circular" or n_rois * n_frames <= IN_MEMORY_BUDGET
    max_lag = Sampling(frame_rate_hz, 1.0).frames(settings.max_lag_s, at_least=0)
    on_gpu = name_of(xp) == "cupy"
    lagged = in_memory and (on_gpu or n_rois**2 * n_frames * (2 * max_lag + 1) <= LAGGED_BUDGET)
    return CorrelationPlan(null, in_memory, lagged)


@dataclass
class CorrelationAnalysis:
    """Results of :func:`analyse`; (N, N) matrices in the order of ``roi_ids``, pair
    vectors in the order of :func:`~astrocalc.correlate.upper_triangle`."""

    roi_ids: np.ndarray
    centroids_px: np.ndarray  # (N, 2) y, x
    pixel_size_um: float
    plan: CorrelationPlan
    min_shift_frames: int
    r: np.ndarray  # Pearson r
    p: np.ndarray  # p of r against the null
    q: np.ndarray  # pairs: Benjamini-Hochberg adjusted p
    significant: np.ndarray  # pairs: q < ALPHA
    distance_um: np.ndarray  # pairs: centroid distance
    sttc: np.ndarray  # spike time tiling coefficient of event onsets
    co_event: np.ndarray  # co-occurring share of events
    lagged_r: np.ndarray | None  # peak r over lags (None: left out, see plan)
    lag_s: np.ndarray | None  # its lag, > 0 when the column's ROI follows the row's
    order: np.ndarray  # ROI order of the clustered heat map
    clusters: np.ndarray  # cluster of each ROI
    decay: dict  # r against distance: bins and the fitted exponential's length

    @property
    def pair_r(self) -> np.ndarray:
        return upper_triangle(self.r)

    @property
    def mean_pairwise_r(self) -> float | None:
        pair_r = self.pair_r
        return float(pair_r.mean()) if len(pair_r) else None

    @property
    def share_significant_pairs(self) -> float | None:
        return float(self.significant.mean()) if len(self.significant) else None

    def pair_rows(self, rows_per_block: int = 1_000_000):
        """pairs.csv as consecutive blocks (:func:`~astrocalc.correlate.pair_blocks`)."""
        return pair_blocks(
            self.r,
            self.p,
            self.roi_ids,
            self.centroids_px,
            pixel_size_um=self.pixel_size_um,
            co_event=self.co_event,
            alpha=ALPHA,
            q=self.q,
            distance_um=self.distance_um,
            extra={"sttc": self.sttc, "lagged_r": self.lagged_r, "lag_s": self.lag_s},
            rows_per_block=rows_per_block,
        )


def analyse(
    traces: np.ndarray | Callable[[], Iterable[np.ndarray]],
    events: pd.DataFrame,
    roi_ids: np.ndarray,
    centroids_px: np.ndarray,
    *,
    n_frames: int,
    frame_rate_hz: float,
    pixel_size_um: float,
    settings: CorrelationSettings,
    xp=np,
    plan: CorrelationPlan | None = None,
) -> CorrelationAnalysis:
    """The correlation analysis of one recording.

    ``traces`` is the (T, N) dF/F of the ROIs ``roi_ids`` (columns in that order), or, for a
    recording too large for memory, a function giving its (T_chunk, N) chunks in order.
    ``events`` is the events table (``roi_id``, ``onset_s``), ``centroids_px`` the ROIs'
    (y, x). ``plan`` defaults to :func:`correlation_plan` for this size; chunked traces need
    a plan that does not hold them in memory.
    """
    roi_ids = np.asarray(roi_ids)
    n, fs = len(roi_ids), frame_rate_hz
    plan = plan or correlation_plan(n, n_frames, settings, fs, xp)
    sampling = Sampling(fs, pixel_size_um)
    min_shift = min(sampling.frames(settings.min_shift_s, at_least=0), max(1, n_frames // 4))
    max_lag = sampling.frames(settings.max_lag_s, at_least=0)
    chunked = callable(traces)
    if chunked and plan.in_memory:
        raise ValueError("traces given in chunks need a plan that streams them")
    if chunked:
        r, p = streaming_correlation(traces(), n, max_lag=min_shift)
    else:
        dff = xp.asarray(traces, dtype=xp.float64).reshape(n_frames, n)
        r = pearson_matrix(dff)
        if plan.null == "circular":
            p = circular_shift_pvalues(dff, min_shift_frames=min_shift)
        else:
            _, p = streaming_correlation([dff], n, max_lag=min_shift, xp=xp)
    r, p = to_numpy(r), to_numpy(p)
    # the (N, N) matrices are made one after the other, the clustering's temporaries first
    order, clusters = cluster_order(r, threshold=settings.cluster_threshold)
    peak = lag_s = None
    if plan.lagged and not chunked:
        peak, lag = (to_numpy(m) for m in lagged_correlation(dff, max_lag_frames=max_lag))
        lag_s = lag / fs
        del lag
    window = settings.co_event_window_s
    event_roi, event_time = event_positions(events, roi_ids)
    near = near_counts(event_roi, event_time, n, window=window)  # shared by the two measures
    tiling = sttc_matrix(event_roi, event_time, n, window=window, duration=n_frames / fs, near=near)
    co_event = co_event_matrix(events, roi_ids, window_s=window, near=near)
    q = to_numpy(benjamini_hochberg(upper_triangle(p)))
    distance = pair_distances(np.asarray(centroids_px), pixel_size_um)
    return CorrelationAnalysis(
        roi_ids=roi_ids,
        centroids_px=np.asarray(centroids_px),
        pixel_size_um=pixel_size_um,
        plan=plan,
        min_shift_frames=min_shift,
        r=r,
        p=p,
        q=q,
        significant=q < ALPHA,
        distance_um=distance,
        sttc=tiling,
        co_event=co_event,
        lagged_r=peak,
        lag_s=lag_s,
        order=order,
        clusters=clusters,
        decay=distance_decay(distance, upper_triangle(r)),
    )
