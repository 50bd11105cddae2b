"""Stage 4, correlation: dF/F traces -> correlation/ (matrices of r, its null p, event
tiling and lagged r; pairs; decay with distance; clusters; figures)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import tifffile

from ..backend import to_numpy
from ..correlate import (
    circular_shift_pvalues,
    cluster_order,
    distance_decay,
    event_positions,
    lagged_correlation,
    pairs_table,
    pearson_matrix,
    streaming_correlation,
    sttc_matrix,
)
from ..io.outputs import StageOutput, write_csv
from ._common import StageClock, backend, recording, require, write_stage_record

log = logging.getLogger(__name__)

CIRCULAR_NULL_BUDGET = 1e10  # ROI pairs x frames up to which the exact circular null runs


def square_table(matrix: np.ndarray, roi_ids: np.ndarray) -> pd.DataFrame:
    """Header "roi_id" then the ids; first column the ids (CONTRACT.md)."""
    table = pd.DataFrame(matrix, columns=[str(i) for i in roi_ids])
    table.insert(0, "roi_id", roi_ids)
    return table


def run_correlation(out: str | Path, *, config: dict, overwrite: bool = False) -> Path:
    from ..plots import plot_correlation, plot_distance, plot_panel  # deferred: slow import

    out = Path(out)
    rec = recording(out)
    xp = backend(config)
    clock = StageClock("correlation", config, xp)
    cc = config["correlation"]
    fs, px = rec["frame_rate_hz"], rec["pixel_size_um"]
    traces = pd.read_csv(require(out / "events" / "traces.csv", "events"))
    events = pd.read_csv(require(out / "events" / "events.csv", "events"))
    rois = pd.read_csv(require(out / "segmentation" / "rois.csv", "segment"))
    labels = tifffile.imread(require(out / "segmentation" / "rois.tif", "segment"))
    summary = tifffile.imread(require(out / "segmentation" / "summary.tif", "segment"))
    roi_ids = rois.roi_id.to_numpy()
    dff = xp.asarray(traces[[f"roi_{i}" for i in roi_ids]].to_numpy(np.float64))
    t = dff.shape[0]
    min_shift = min(int(round(cc["min_shift_s"] * fs)), max(1, t // 4))
    r = to_numpy(pearson_matrix(dff))
    null = cc["null_model"]
    if null == "auto":
        null = "circular" if len(roi_ids) ** 2 * t <= CIRCULAR_NULL_BUDGET else "autocorrelation"
    if null == "circular":
        p = to_numpy(circular_shift_pvalues(dff, min_shift_frames=min_shift))
    else:
        _, p = streaming_correlation([dff], len(roi_ids), max_lag=min_shift, xp=xp)
        p = to_numpy(p)
    tiling = sttc_matrix(
        *event_positions(events, roi_ids),
        len(roi_ids),
        window=cc["co_event_window_s"],
        duration=t / fs,
    )
    peak, lag = (
        to_numpy(m)
        for m in lagged_correlation(dff, max_lag_frames=int(round(cc["max_lag_s"] * fs)))
    )
    pairs = pairs_table(
        r,
        p,
        roi_ids,
        rois[["y", "x"]].to_numpy(),
        pixel_size_um=px,
        events=events,
        co_event_window_s=cc["co_event_window_s"],
        extra={"sttc": tiling, "lagged_r": peak, "lag_s": lag / fs},
    )
    decay = distance_decay(pairs.distance_um.to_numpy(), pairs.r.to_numpy())
    order, clusters = cluster_order(r, threshold=cc["cluster_threshold"])
    log.info(
        "correlation: %d ROIs, mean pairwise r %.3f, %d of %d pairs significant (FDR 5 %%)",
        len(roi_ids),
        pairs.r.mean() if len(pairs) else np.nan,
        int(pairs.significant.sum()),
        len(pairs),
    )
    with StageOutput(out / "correlation", overwrite=overwrite) as tmp:
        write_csv(tmp / "correlation.csv", square_table(r, roi_ids))
        write_csv(tmp / "correlation_null.csv", square_table(p, roi_ids))
        write_csv(tmp / "pairs.csv", pairs)
        write_csv(tmp / "sttc.csv", square_table(tiling, roi_ids))
        write_csv(tmp / "lagged_r.csv", square_table(peak, roi_ids))
        write_csv(tmp / "lag_s.csv", square_table(lag / fs, roi_ids))
        write_csv(tmp / "r_vs_distance.csv", decay["bins"])
        plot_distance(pairs, decay, tmp / "r_vs_distance.png")
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
            to_numpy(dff),
            events,
            tmp / "panel.png",
            frame_rate_hz=fs,
            pixel_size_um=px,
        )
        write_stage_record(
            tmp,
            clock.record(
                n_rois=len(roi_ids),
                null=null,
                min_shift_frames=min_shift,
                n_null_shifts=int(t - 2 * min_shift + 1) if null == "circular" else None,
                mean_pairwise_r=float(pairs.r.mean()) if len(pairs) else None,
                share_significant_pairs=float(pairs.significant.mean()) if len(pairs) else None,
                n_clusters=int(len(np.unique(clusters))),
                decay_length_um=decay["length_um"],
            ),
        )
    return out / "correlation"
