"""Stage 4, correlation: dF/F traces -> correlation/ (matrices of r, its null p, event
tiling and lagged r; pairs; decay with distance; clusters; figures)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import tifffile

from ..backend import name_of
from ..correlate import CorrelationSettings, analyse, correlation_plan
from ..io.outputs import write_csv, write_csv_blocks
from ..layout import CORRELATION
from ._common import StageClock, backend, recording, stage_output, write_stage_record

log = logging.getLogger(__name__)

TRACE_ROWS = 2000  # frames per chunk when traces.csv is streamed
PAIR_ROWS = 1_000_000  # rows of pairs.csv per block written


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


def square_array(matrix: np.ndarray | None, n: int) -> np.ndarray:
    """The binary companion of a square matrix's CSV: float32, rows and columns in the
    order of rois.csv; None gives NaN throughout."""
    if matrix is None:
        return np.full((n, n), np.nan, np.float32)
    return np.asarray(matrix, np.float32)


def trace_chunks(path: Path, columns: list[str], xp):
    """dF/F of ``columns`` from traces.csv, TRACE_ROWS frames at a time."""
    for chunk in pd.read_csv(path, usecols=columns, chunksize=TRACE_ROWS, dtype=np.float64):
        yield xp.asarray(chunk[columns].to_numpy())


def run_correlation(out: str | Path, *, config: dict, overwrite: bool = False) -> Path:
    from ..plots import panel_examples, plot_correlation, plot_distance, plot_panel

    out = Path(out)
    rec = recording(out, CORRELATION)
    xp = backend(config)
    clock = StageClock("correlation", config, xp)
    settings = CorrelationSettings.from_config(config)
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
    plan = correlation_plan(n, t, settings, fs, xp)
    if not plan.in_memory:
        dff, traces = None, lambda: trace_chunks(traces_csv, columns, xp)
    elif n:
        dff = traces = pd.read_csv(traces_csv, usecols=columns)[columns].to_numpy(np.float64)
    else:  # no ROI: reading no column would give no frame either
        dff = traces = np.zeros((t, 0))
    result = analyse(
        traces,
        events,
        roi_ids,
        rois[["y", "x"]].to_numpy(),
        n_frames=t,
        frame_rate_hz=fs,
        pixel_size_um=px,
        settings=settings,
        xp=xp,
        plan=plan,
    )
    if not plan.lagged:
        log.info("correlation: lagged r left out (%d ROIs x %d frames on %s)", n, t, name_of(xp))
    r, clusters, order = result.r, result.clusters, result.order
    shown = panel_examples(clusters)
    if dff is not None:
        examples = dff[:, shown]
    else:  # streamed: a second pass over traces.csv for the panel's few ROIs
        examples = pd.read_csv(traces_csv, usecols=[columns[j] for j in shown])
        examples = examples[[columns[j] for j in shown]].to_numpy(float)
    del dff, traces
    pair_r, significant = result.pair_r, result.significant
    mean_r, share = result.mean_pairwise_r, result.share_significant_pairs
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
            ("correlation_null", result.p),
            ("sttc", result.sttc),
            ("lagged_r", result.lagged_r),
            ("lag_s", result.lag_s),
        ):
            write_csv_blocks(tmp / f"{name}.csv", square_blocks(matrix, roi_ids))
            np.save(tmp / f"{name}.npy", square_array(matrix, len(roi_ids)))
        write_csv_blocks(tmp / "pairs.csv", result.pair_rows(PAIR_ROWS))
        write_csv(tmp / "r_vs_distance.csv", result.decay["bins"])
        plot_distance(
            result.distance_um, pair_r, significant, result.decay, tmp / "r_vs_distance.png"
        )
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
                null=plan.null,
                traces_in_memory=plan.in_memory,
                lagged=plan.lagged,
                min_shift_frames=result.min_shift_frames,
                n_null_shifts=(
                    int(t - 2 * result.min_shift_frames + 1) if plan.null == "circular" else None
                ),
                mean_pairwise_r=mean_r,
                share_significant_pairs=share,
                n_clusters=int(len(np.unique(clusters))),
                decay_length_um=result.decay["length_um"],
            ),
        )
    return out / "correlation"
