"""Accuracy of the whole pipeline against synthetic ground truth, at several noise levels.

    python benchmarks/accuracy.py [--noise 1 2] [--synchrony 0.6 0.1] [--seed 1]

Writes a synthetic recording per (noise, synchrony), runs every stage (default config),
scores it and prints one row each: rigid shift RMS error, microdomain recall (IoU >= 0.3),
ROI precision (ROIs on a true microdomain or the soma), event F1 (onset within 1.5 s),
median onset and amplitude errors, mean pairwise r, and seconds per stage. No peer tool is
run here: the numbers are against ground truth, which no other tool sees.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import tifffile

from astrocalc import config, layout, synth
from astrocalc.pipeline import run_all
from astrocalc.scoring import in_corrected_frame, roi_scores, score_events


def score(out: Path, truth: synth.SynthTruth) -> dict:
    shifts = pd.read_csv(layout.path(out, "motion/shifts.csv"))[["dy", "dx"]].to_numpy()
    labels = tifffile.imread(layout.path(out, "segmentation/rois.tif"))
    seg = roi_scores(
        in_corrected_frame(truth)[0], labels, pd.read_csv(layout.path(out, "segmentation/rois.csv"))
    )
    pairs = seg.pop("pairs")
    ev = score_events(truth.events, pd.read_csv(layout.path(out, "events/events.csv")), pairs)
    run = json.loads((out / "run.json").read_text())
    return {
        "shift_rms_px": float(np.sqrt(((shifts - truth.shifts) ** 2).sum(axis=1).mean())),
        **seg,
        "event_f1": ev["f1"],
        "event_precision": ev["precision"],
        "event_recall": ev["recall"],
        "median_onset_error_s": ev["median_onset_error_s"],
        "median_amplitude_error": ev["median_amplitude_error"],
        "mean_pairwise_r": float(pd.read_csv(layout.path(out, "correlation/pairs.csv")).r.mean()),
        "seconds": round(sum(run["stage_seconds"].values()), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noise", type=float, nargs="+", default=[1.0, 2.0])
    parser.add_argument("--synchrony", type=float, nargs="+", default=[0.6, 0.1])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for noise in args.noise:
            for sync in args.synchrony:
                movie = Path(tmp) / f"n{noise}_s{sync}.tif"
                truth = synth.write(movie, noise=noise, synchrony=sync, seed=args.seed)
                out = run_all(movie, Path(tmp) / movie.stem, config=config.defaults())
                rows.append({"noise": noise, "synchrony": sync, **score(out, truth)})
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(table.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
