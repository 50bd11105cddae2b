"""The figures and measures of docs/realdata.md: segmentation and pixel-level events on the
real test recordings (not part of the repository; docs/realdata.md gives their sources).

    python benchmarks/realdata_figures.py [--real DIR] [--out docs/figures]

Calibration as in tests/test_realdata.py: astrocast_sample1 at 8 Hz and 1 um/pixel, the
ASTRA field of view at an assumed 10 Hz and 1 um/pixel. Prints the ROI and event counts
and, with no ground truth to score against, where the ROIs lie
(:func:`astrocalc.scoring.roi_placement`): the median temporal SD of the corrected movie
inside ROIs over outside, the share of ROI pixels on the darkest quartile of the mean
image, the share of the field in ROIs; and the mean pairwise r of the ROI traces. Then, on
the movie with each frame's gain and offset undone (as tests/test_realdata.py does for the
ASTRA field, whose source rescaled every frame), the same SD ratio, its bound for ROIs of
that area, and each pixel's SD in units of its frame-to-frame noise, inside and outside
the ROIs (1 for white noise alone; see roi_placement).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import tifffile

from astrocalc import config, layout
from astrocalc.io import open_movie
from astrocalc.motion import intensity_affine
from astrocalc.pipeline import run_events, run_motion, run_segmentation
from astrocalc.scoring import roi_placement, step_sd

RECORDINGS = {"astrocast_sample1.tif": 8.0, "astra_fov_notebook.tif": 10.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = Path(__file__).resolve().parents[1]
    parser.add_argument("--real", type=Path, default=root.parent / "shared" / "data" / "real")
    parser.add_argument("--out", type=Path, default=root / "docs" / "figures")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    conf = config.defaults()
    with tempfile.TemporaryDirectory() as tmp:
        for name, rate in RECORDINGS.items():
            out = Path(tmp) / Path(name).stem
            out.mkdir()
            run_motion(args.real / name, out, config=conf, frame_rate_hz=rate, pixel_size_um=1.0)
            run_segmentation(out, config=conf)
            run_events(out, config=conf)
            stem = Path(name).stem
            shutil.copy(layout.path(out, "segmentation/rois.png"), args.out / f"{stem}_rois.png")
            shutil.copy(
                layout.path(out, "events/pixel_events.png"), args.out / f"{stem}_events.png"
            )
            rois = pd.read_csv(layout.path(out, "segmentation/rois.csv"))
            pixel = pd.read_csv(layout.path(out, "events/pixel_events.csv"))
            events = pd.read_csv(layout.path(out, "events/events.csv"))
            print(
                f"{name}: {len(rois)} ROIs {rois.compartment.value_counts().to_dict()}, "
                f"{len(events)} ROI events, {len(pixel)} pixel events "
                f"({int(pixel.speed_um_s.notna().sum())} spreading)"
            )
            labels = tifffile.imread(layout.path(out, "segmentation/rois.tif"))
            with open_movie(layout.path(out, "motion/corrected.tif")) as movie:
                frames = movie.read(0, movie.n_frames).astype(np.float64)
            where = roi_placement(labels, frames.mean(axis=0), frames.std(axis=0))
            traces = pd.read_csv(layout.path(out, "events/traces.csv")).iloc[:, 2:].to_numpy()
            r = np.corrcoef(traces.T)[np.triu_indices(traces.shape[1], 1)]
            print(
                f"  SD inside / outside ROIs {where['sd_ratio']:.2f} "
                f"(bound {where['sd_ratio_bound']:.2f}), ROI pixels on the darkest quartile "
                f"{where['dark_share']:.1%}, field in ROIs {where['field_share']:.1%}, "
                f"mean pairwise r {np.nanmean(r):.2f}"
            )
            gain, offset = intensity_affine(frames, frames.mean(axis=0))
            frames = (frames - offset[:, None, None]) / gain[:, None, None]
            flat = roi_placement(labels, frames.mean(axis=0), frames.std(axis=0), step_sd(frames))
            print(
                f"  frame gain undone: SD inside / outside {flat['sd_ratio']:.2f} (highest-SD "
                f"pixels of the ROIs' area: {flat['sd_ratio_bound']:.2f}); SD in noise units "
                f"inside {flat['sd_over_noise_in']:.2f}, outside {flat['sd_over_noise_out']:.2f}"
            )
    print(f"figures in {args.out}")


if __name__ == "__main__":
    main()
