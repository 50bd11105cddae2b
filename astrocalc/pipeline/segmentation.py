"""Stage 2, segmentation: corrected movie -> segmentation/ (ROIs, summary, masks, figure)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ..io.imagej_rois import write_roi_zip
from ..io.outputs import write_csv
from ..io.tiff import open_movie, write_image
from ..layout import SEGMENTATION
from ..pixelmodel import state_frames
from ..segment import roi_table, segment_movie
from ..settings import EventSettings, Sampling, SegmentationSettings, stream_frames
from ._common import (
    StageClock,
    backend,
    motion_coverage,
    recording,
    stage_output,
    write_stage_record,
)

log = logging.getLogger(__name__)


def frame_wide_table(frame_wide: np.ndarray, frame_rate_hz: float) -> pd.DataFrame:
    """global.csv: frame, time_s, gain, offset of each frame's frame-wide change against the
    resting image (dF ~ (gain - 1) * rest + offset; 1 and 0 where there is none): the
    global component, reported for inspection; segmentation takes it out of its rises."""
    n = len(frame_wide)
    return pd.DataFrame(
        {
            "frame": np.arange(n),
            "time_s": np.arange(n) / frame_rate_hz,
            "gain": frame_wide[:, 0],
            "offset": frame_wide[:, 1],
        }
    )


def run_segmentation(out: str | Path, *, config: dict, overwrite: bool = False) -> Path:
    from ..plots import plot_rois  # deferred: matplotlib is slow to import

    out = Path(out)
    rec = recording(out, SEGMENTATION)
    xp = backend(config)
    clock = StageClock("segmentation", config, xp)
    fs, px = rec["frame_rate_hz"], rec["pixel_size_um"]
    with open_movie(SEGMENTATION.corrected_movie(out), frame_rate_hz=fs, pixel_size_um=px) as movie:
        movie.progress_label = "segmentation"
        coverage = motion_coverage(out, movie.shape[1:], SEGMENTATION)
        sampling, settings = Sampling(fs, px), SegmentationSettings.from_config(config)
        state = state_frames(movie.shape, settings, sampling)
        seg = segment_movie(
            movie,
            xp,
            sampling=sampling,
            settings=settings,
            events=EventSettings.from_config(config),
            chunk_frames=stream_frames(config, movie.shape[1:], state_frames=state),
            coverage=coverage,
            source=rec["input"],
        )
    table = roi_table(seg.labels, seg.compartments, pixel_size_um=px)
    log.info("segmentation: %d ROIs (%s)", len(table), table.compartment.value_counts().to_dict())
    dtype = np.uint16 if seg.labels.max() < 65535 else np.uint32
    with stage_output(SEGMENTATION, out, config, overwrite=overwrite) as tmp:
        write_image(tmp / "rois.tif", seg.labels.astype(dtype), pixel_size_um=px)
        write_csv(tmp / "rois.csv", table)
        write_image(tmp / "summary.tif", seg.summary, pixel_size_um=px, axes="CYX")
        write_image(tmp / "compartments.tif", seg.masks, pixel_size_um=px)
        write_image(
            tmp / "activity.tif",
            (seg.maps.active_frames / seg.maps.n_frames).astype(np.float32),
            pixel_size_um=px,
        )
        write_csv(tmp / "global.csv", frame_wide_table(seg.maps.frame_wide, fs))
        write_roi_zip(tmp / "rois.zip", seg.labels)
        plot_rois(seg.summary, seg.labels, seg.compartments, tmp / "rois.png", pixel_size_um=px)
        write_stage_record(
            tmp,
            clock.record(
                n_rois=len(table),
                compartments=table.compartment.value_counts().to_dict(),
                uncovered_px=int((~coverage.usable()).sum()),
                frame_wide_gain_range=[
                    float(seg.maps.frame_wide[:, 0].min()),
                    float(seg.maps.frame_wide[:, 0].max()),
                ],
                source=rec["input"],
            ),
        )
    return out / "segmentation"
