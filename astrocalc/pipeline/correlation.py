"""Stage 4, correlation: dF/F traces -> correlation/ (matrices of r, its null p, event
tiling and lagged r; pairs; decay with distance; clusters; figures)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import tifffile

from ..backend import name_of, to_numpy
from ..correlate import (
    benjamini_hochberg,
    circular_shift_pvalues,
    cluster_order,
    co_event_matrix,
    distance_decay,
    event_positions,
    lagged_correlation,
    near_counts,
    pair_blocks,
    pair_distances,
    pearson_matrix,
    streaming_correlation,
    sttc_matrix,
    upper_triangle,
)
from ..io.outputs import write_csv, write_csv_blocks
from ..layout import CORRELATION
from ._common import StageClock, backend, recording, stage_output, write_stage_record

log = logging.getLogger(__name__)

CIRCULAR_NULL_BUDGET = 1e10  # ROI pairs x frames up to which the exact circular null runs
IN_MEMORY_BUDGET = 2.5e7  # ROIs x frames (200 MB of float64) beyond which traces are streamed
LAGGED_BUDGET = 2e12  # ROI pairs x frames x lags of lagged correlation on the CPU
TRACE_ROWS = 2000  # frames per chunk when traces.csv is streamed
PAIR_ROWS = 1_000_000  # rows of pairs.csv per block written
ALPHA = 0.05  # false discovery rate of the significant pairs


def square_blocks(matrix: np.ndarray | None, roi_ids: np.ndarray, block: int = 500):
    """A square matrix as CSV row blocks: header "roi_id" then the ids, first column the ids
    (CONTRACT.md); None gives NaN throughout."""
    columns = [str(i) for i in roi_ids]
    for i in range(0, max(len(roi_ids), 1), block):
        ids = roi_ids[i : i + block]
        rows = (
            np.full((len(ids), len(roi_ids)), np.nan) if matrix is None else matrix[i : i + block]
        )
        table = pd.DataFrame(rows, columns=columns)
        table.insert(0, "roi_id", ids)
        yield table


def trace_chunks(path: Path, columns: list[str], xp):
    """dF/F of ``columns`` from traces.csv, TRACE_ROWS frames at a time."""
    for chunk in pd.read_csv(path, usecols=columns, chunksize=TRACE_ROWS, dtype=np.float64):
        yield xp.asarray(chunk[columns].to_numpy())


def correlation_plan(n_rois: int, n_frames: int, max_lag: int, cc: dict, xp) -> dict:
    """Which null, whether traces are held in memory, whether lagged r is computed.

    The exact circular-shift null needs every trace in memory and N^2 T work per shift;
    beyond ``CIRCULAR_NULL_BUDGET`` the autocorrelation-corrected null of
    :class:`~astrocalc.correlate.StreamingCorrelation` is used, and beyond
    ``IN_MEMORY_BUDGET`` traces are read in chunks. Lagged r needs the whole traces and
    2 max_lag + 1 products of the Pearson matrix's size: on the CPU it is left out
    (NaN, said in the log and stage.json) beyond ``LAGGED_BUDGET``.
    """
    null = cc["null_model"]
    if null == "auto":
        null = "circular" if n_rois**2 * n_frames <= CIRCULAR_NULL_BUDGET else "autocorrelation"
    in_memory = null == "circular" or n_rois * n_frames <= IN_MEMORY_BUDGET
    on_gpu = name_of(xp) == "cupy"
    lagged = in_memory and (on_gpu or n_rois**2 * n_frames * (2 * max_lag + 1) <= LAGGED_BUDGET)
    return {"null": null, "in_memory": in_memory, "lagged": lagged}


def run_correlation(out: str | Path, *, config: dict, overwrite: bool = False) -> Path:
    from ..plots import panel_examples, plot_correlation, plot_distance, plot_panel

    out = Path(out)
    rec = recording(out, CORRELATION)
    xp = backend(config)
    clock = StageClock("correlation", config, xp)
    cc = config["correlation"]
    fs, px = rec["frame_rate_hz"], rec["pixel_size_um"]
    traces_csv = CORRELATION.input(out, "events/traces.csv")
    events = pd.read_csv(CORRELATION.input(out, "events/events.csv"))
    rois = pd.read_csv(CORRELATION.input(out, "segmentation/rois.csv"))
    labels = tifffile.imread(CORRELATION.input(out, "segmentation/rois.tif"))
    summary = tifffile.imread(CORRELATION.input(out, "segmentation/summary.tif"))
    roi_ids = rois.roi_id.to_numpy()
    n = len(roi_ids)
    columns = [f"roi_{i}" for i in roi_ids]
    t = int(rec["shape"][0])
    min_shift = min(int(round(cc["min_shift_s"] * fs)), max(1, t // 4))
    max_lag = int(round(cc["max_lag_s"] * fs))
    plan = correlation_plan(n, t, max_lag, cc, xp)

    dff = None
    if plan["in_memory"]:
        if n:
            dff = pd.read_csv(traces_csv, usecols=columns)[columns].to_numpy(np.float64)
        else:  # no ROI (reading no column would give no frame either)
            dff = np.zeros((t, 0))
        dff = xp.asarray(dff)
        r = pearson_matrix(dff)
        if plan["null"] == "circular":
            p = circular_shift_pvalues(dff, min_shift_frames=min_shift)
        else:
            _, p = streaming_correlation([dff], n, max_lag=min_shift, xp=xp)
    else:
        r, p = streaming_correlation(trace_chunks(traces_csv, columns, xp), n, max_lag=min_shift)
    r, p = to_numpy(r), to_numpy(p)
    # the (N, N) matrices are made one after the other, the clustering's temporaries first
    order, clusters = cluster_order(r, threshold=cc["cluster_threshold"])
    shown = panel_examples(clusters)
    if dff is not None:
        examples = to_numpy(dff[:, shown])
    else:  # streamed: a second pass over traces.csv for the panel's few ROIs
        examples = pd.read_csv(traces_csv, usecols=[columns[j] for j in shown])
        examples = examples[[columns[j] for j in shown]].to_numpy(float)
    peak = lag_s = None
    if plan["lagged"]:
        peak, lag = (to_numpy(m) for m in lagged_correlation(dff, max_lag_frames=max_lag))
        lag_s = lag / fs
        del lag
    else:
        log.info("correlation: lagged r left out (%d ROIs x %d frames on %s)", n, t, name_of(xp))
    del dff
    window = cc["co_event_window_s"]
    event_roi, event_time = event_positions(events, roi_ids)
    near = near_counts(event_roi, event_time, n, window=window)  # shared by the two measures
    tiling = sttc_matrix(event_roi, event_time, n, window=window, duration=t / fs, near=near)
    co_event = co_event_matrix(events, roi_ids, window_s=window, near=near)
    # what the summary, the decay fit and its figure need, as vectors over pairs
    pair_r = upper_triangle(r)
    q = to_numpy(benjamini_hochberg(upper_triangle(p)))
    significant = q < ALPHA
    distance = pair_distances(rois[["y", "x"]].to_numpy(), px)
    decay = distance_decay(distance, pair_r)

    def pair_rows():
        return pair_blocks(
            r,
            p,
            roi_ids,
            rois[["y", "x"]].to_numpy(),
            pixel_size_um=px,
            co_event=co_event,
            alpha=ALPHA,
            q=q,
            distance_um=distance,
            extra={"sttc": tiling, "lagged_r": peak, "lag_s": lag_s},
            rows_per_block=PAIR_ROWS,
        )

    mean_r = float(pair_r.mean()) if len(pair_r) else None
    share = float(significant.mean()) if len(pair_r) else None
    log.info(
        "correlation: %d ROIs, mean pairwise r %.3f, %d of %d pairs significant (FDR 5 %%)",
        n,
        mean_r if mean_r is not None else np.nan,
        int(significant.sum()),
        len(pair_r),
    )
    with stage_output(CORRELATION, out, config, overwrite=overwrite) as tmp:
        for name, matrix in (
            ("correlation", r),
            ("correlation_null", p),
            ("sttc", tiling),
            ("lagged_r", peak),
            ("lag_s", lag_s),
        ):
            write_csv_blocks(tmp / f"{name}.csv", square_blocks(matrix, roi_ids))
        write_csv_blocks(tmp / "pairs.csv", pair_rows())
        write_csv(tmp / "r_vs_distance.csv", decay["bins"])
        plot_distance(distance, pair_r, significant, decay, tmp / "r_vs_distance.png")
        write_csv(
            tmp / "clusters.csv",
            pd.DataFrame({"roi_id": roi_ids, "cluster": clusters, "order": np.argsort(order)}),
        )
        plot_correlation(
            r,
            roi_ids,
            order,
            clusters,
            summary[1],
            labels,
            tmp / "correlation.png",
            pixel_size_um=px,
        )
        plot_panel(
            summary[1],
            labels,
            roi_ids,
            clusters,
            order,
            r,
            shown,
            examples,
            events,
            tmp / "panel.png",
            frame_rate_hz=fs,
            pixel_size_um=px,
        )
        write_stage_record(
            tmp,
            clock.record(
                n_rois=n,
                null=plan["null"],
                traces_in_memory=plan["in_memory"],
                lagged=plan["lagged"],
                min_shift_frames=min_shift,
                n_null_shifts=int(t - 2 * min_shift + 1) if plan["null"] == "circular" else None,
                mean_pairwise_r=mean_r,
                share_significant_pairs=share,
                n_clusters=int(len(np.unique(clusters))),
                decay_length_um=decay["length_um"],
            ),
        )
    return out / "correlation"
