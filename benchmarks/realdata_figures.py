"""The figures of docs/realdata.md: segmentation and pixel-level events on the real recordings
in ../shared/data/real (not part of the repository; see its README for provenance).

    python benchmarks/realdata_figures.py [--real ../shared/data/real] [--out docs/figures]

Calibration as in tests/test_realdata.py: astrocast_sample1 at 8 Hz and 1 um/pixel (its
README), the ASTRA field of view at an assumed 10 Hz and 1 um/pixel. Prints the ROI and
event counts shown in docs/realdata.md.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from astrocalc import config
from astrocalc.pipeline import run_events, run_motion, run_segmentation

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
            shutil.copy(out / "segmentation" / "rois.png", args.out / f"{stem}_rois.png")
            shutil.copy(out / "events" / "pixel_events.png", args.out / f"{stem}_events.png")
            rois = pd.read_csv(out / "segmentation" / "rois.csv")
            pixel = pd.read_csv(out / "events" / "pixel_events.csv")
            events = pd.read_csv(out / "events" / "events.csv")
            print(
                f"{name}: {len(rois)} ROIs {rois.compartment.value_counts().to_dict()}, "
                f"{len(events)} ROI events, {len(pixel)} pixel events "
                f"({int(pixel.speed_um_s.notna().sum())} spreading)"
            )
    print(f"figures in {args.out}")


if __name__ == "__main__":
    main()
