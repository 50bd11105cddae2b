"""Stage 3, events: corrected movie + ROIs -> events/ (traces, ROI events, per-ROI table,
pixel-level events and their footprints)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import tifffile

from ..events import detect_pixel_events, find_events
from ..io.outputs import write_csv
from ..io.tiff import open_movie
from ..layout import EVENTS
from ..pixelmodel import state_frames
from ..segment import astrocyte_mask, corrected_traces
from ..settings import (
    EventSettings,
    PixelEventSettings,
    Sampling,
    SegmentationSettings,
    stream_frames,
)
from ._common import (
    StageClock,
    backend,
    motion_coverage,
    recording,
    stage_output,
    write_stage_record,
)

log = logging.getLogger(__name__)


def traces_table(dff: np.ndarray, roi_ids: np.ndarray, frame_rate_hz: float) -> pd.DataFrame:
    """traces.csv: frame, time_s, then roi_<id> columns of dF/F."""
    table = pd.DataFrame(dff, columns=[f"roi_{i}" for i in roi_ids])
    table.insert(0, "time_s", np.arange(len(dff)) / frame_rate_hz)
    table.insert(0, "frame", np.arange(len(dff)))
    return table


def run_events(out: str | Path, *, config: dict, overwrite: bool = False) -> Path:
    out = Path(out)
    rec = recording(out, EVENTS)
    xp = backend(config)
    clock = StageClock("events", config, xp)
    fs = rec["frame_rate_hz"]
    labels = tifffile.imread(EVENTS.input(out, "segmentation/rois.tif"))
    roi_ids = np.arange(1, int(labels.max()) + 1)
    px = rec["pixel_size_um"]
    pixel = None
    with open_movie(EVENTS.corrected_movie(out), frame_rate_hz=fs, pixel_size_um=px) as movie:
        movie.progress_label = "events"
        coverage = motion_coverage(out, movie.shape[1:], EVENTS)
        masks = tifffile.imread(EVENTS.input(out, "segmentation/compartments.tif"))
        raw = corrected_traces(
            movie,
            labels,
            masks > 0,
            xp,
            pixel_size_um=px,
            coefficient=config["events"]["neuropil_coefficient"],
            chunk_frames=stream_frames(config, movie.shape[1:]),
            coverage=coverage,
        )
        if config["pixel_events"]["enabled"]:
            astrocyte = astrocyte_mask(
                masks,
                labels,
                margin_um=config["segmentation"]["structure_margin_um"],
                pixel_size_um=px,
            )
            sampling, segmentation = Sampling(fs, px), SegmentationSettings.from_config(config)
            state = state_frames(movie.shape, segmentation, sampling)
            pixel = detect_pixel_events(
                movie,
                xp,
                sampling=sampling,
                settings=PixelEventSettings.from_config(config),
                segmentation=segmentation,
                events=EventSettings.from_config(config),
                chunk_frames=stream_frames(config, movie.shape[1:], state_frames=state),
                labels=labels,
                coverage=coverage,
                structure=astrocyte if config["pixel_events"]["structure_only"] else None,
                astrocyte=astrocyte,
            )
    result = find_events(raw, roi_ids, frame_rate_hz=fs, settings=EventSettings.from_config(config))
    ev = result.events
    log.info(
        "events: %d events in %d ROIs (%d global)",
        len(ev),
        ev.roi_id.nunique(),
        int((ev.kind == "global").sum()),
    )
    with stage_output(EVENTS, out, config, overwrite=overwrite) as tmp:
        write_csv(tmp / "traces.csv", traces_table(result.dff, roi_ids, fs))
        write_csv(tmp / "events.csv", ev)
        per_roi = result.per_roi.assign(noise_sd_dff=result.noise)
        write_csv(tmp / "events_per_roi.csv", per_roi)
        counts = {"n_events": len(ev), "n_global": int((ev.kind == "global").sum())}
        if pixel is not None:
            from ..plots import plot_pixel_events  # deferred: matplotlib is slow to import

            write_csv(tmp / "pixel_events.csv", pixel.events)
            write_csv(tmp / "pixel_footprints.csv", pixel.footprints)
            summary = tifffile.imread(EVENTS.input(out, "segmentation/summary.tif"))
            plot_pixel_events(
                summary[0],
                pixel.events,
                pixel.footprints,
                tmp / "pixel_events.png",
                pixel_size_um=px,
                duration_s=len(raw) / fs,
            )
            counts["n_pixel_events"] = len(pixel.events)
        write_stage_record(tmp, clock.record(**counts))
    return out / "events"
