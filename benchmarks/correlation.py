"""Correlation matrices at scale: 5,000 ROIs x 20,000 frames, chunked over time.

    python benchmarks/correlation.py [--rois 5000] [--frames 20000] [--chunk 1000]
                                     [--backend numpy|cupy|both] [--stage DIR]

Traces are made on the fly, chunk by chunk (never held whole): slow AR(1) noise (phi 0.95)
per ROI, and groups of 20 ROIs that share a slow common signal (planted r about 0.3 within
a group, 0 across groups). Each backend runs in its own process and prints seconds and
peak RSS (resource.getrusage, taken before the scoring; for CuPy also the device memory
pool), the mean r of planted and of independent pairs, and the share of each flagged at
FDR 5 %. The exact circular-shift null is not run here:
at this size it needs every pair's whole cross-correlation function.

With ``--stage DIR`` the same traces are written as a results folder under DIR (traces.csv
chunk by chunk, a grid of square ROIs, a few Poisson events per ROI) and the whole
correlation stage (``run_correlation``: matrices, pairs.csv, clustering, figures) runs on
it in a separate process, which prints its seconds and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from scipy.signal import lfilter

from astrocalc import layout

GROUP, PHI, SHARED = 20, 0.95, 0.3


def chunks(n_rois: int, n_frames: int, chunk: int, seed: int = 0):
    """(chunk, N) float32 blocks of slow traces with planted groups; the AR filters carry
    their state from chunk to chunk."""
    rng = np.random.default_rng(seed)
    n_groups = n_rois // GROUP
    zi_own = np.zeros((1, n_rois))
    zi_shared = np.zeros((1, n_groups))
    scale = np.sqrt(1 - PHI**2)  # unit-variance AR(1)
    for start in range(0, n_frames, chunk):
        m = min(chunk, n_frames - start)
        own, zi_own = lfilter([scale], [1, -PHI], rng.standard_normal((m, n_rois)), 0, zi_own)
        shared, zi_shared = lfilter(
            [scale], [1, -PHI], rng.standard_normal((m, n_groups)), 0, zi_shared
        )
        x = np.sqrt(1 - SHARED) * own
        x[:, : n_groups * GROUP] += np.sqrt(SHARED) * np.repeat(shared, GROUP, axis=1)
        yield (x + 100.0).astype(np.float32)


def run(backend: str, n_rois: int, n_frames: int, chunk: int) -> dict:
    from astrocalc.backend import to_numpy
    from astrocalc.correlate import benjamini_hochberg
    from astrocalc.correlate._streaming import StreamingCorrelation

    if backend == "cupy":
        import cupy as xp
    else:
        xp = np
    t0 = time.perf_counter()
    acc = StreamingCorrelation(n_rois, max_lag=100, xp=xp)
    for block in chunks(n_rois, n_frames, chunk):
        acc.add(xp.asarray(block))
    r, p = acc.finish()
    if backend == "cupy":
        xp.cuda.Stream.null.synchronize()
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before scoring
    r, p = to_numpy(r), to_numpy(p)
    group = np.arange(n_rois) // GROUP
    ia, ib = np.triu_indices(n_rois, 1)
    same = group[ia] == group[ib]
    q = to_numpy(benjamini_hochberg(p[ia, ib]))
    out = {
        "backend": backend,
        "rois": n_rois,
        "frames": n_frames,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak_mb, 1),
        "mean_r_planted": round(float(r[ia, ib][same].mean()), 4),
        "mean_r_independent": round(float(r[ia, ib][~same].mean()), 4),
        "planted_flagged": round(float((q[same] < 0.05).mean()), 4),
        "independent_flagged": round(float((q[~same] < 0.05).mean()), 5),
    }
    if backend == "cupy":
        out["device_peak_mb"] = round(xp.get_default_memory_pool().total_bytes() / 2**20, 1)
    return out


def write_stage_inputs(out, n_rois: int, n_frames: int, chunk: int, fs: float = 10.0) -> None:
    """A results folder with what the correlation stage reads, written chunk by chunk."""
    import pandas as pd
    import tifffile

    side = int(np.ceil(np.sqrt(n_rois)))
    cell = 6  # 4 x 4 px ROIs on a 6 px grid
    labels = np.zeros((side * cell, side * cell), np.uint16)
    ys, xs = np.divmod(np.arange(n_rois), side)
    for k, (y, x) in enumerate(zip(ys, xs, strict=True)):
        labels[y * cell + 1 : y * cell + 5, x * cell + 1 : x * cell + 5] = k + 1
    for sub in ("motion", "segmentation", "events"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    recording = {"shape": [n_frames, *labels.shape], "frame_rate_hz": fs, "pixel_size_um": 0.5}
    layout.path(out, "motion/stage.json").write_text(json.dumps({"recording": recording}))
    tifffile.imwrite(layout.path(out, "segmentation/rois.tif"), labels)
    summary = np.stack([(labels > 0).astype(np.float32)] * 3)
    tifffile.imwrite(layout.path(out, "segmentation/summary.tif"), summary)
    pd.DataFrame(
        {
            "roi_id": np.arange(1, n_rois + 1),
            "y": ys * cell + 2.5,
            "x": xs * cell + 2.5,
            "area_px": 16,
            "compartment": "microdomain",
        }
    ).to_csv(layout.path(out, "segmentation/rois.csv"), index=False)
    columns = [f"roi_{i}" for i in range(1, n_rois + 1)]
    with open(layout.path(out, "events/traces.csv"), "w") as f:
        for k, block in enumerate(chunks(n_rois, n_frames, chunk)):
            frame = np.arange(k * chunk, k * chunk + len(block))
            table = pd.DataFrame(block - 100.0, columns=columns)
            table.insert(0, "time_s", frame / fs)
            table.insert(0, "frame", frame)
            table.to_csv(f, index=False, header=k == 0, float_format="%.5g")
    rng = np.random.default_rng(1)
    n_events = rng.poisson(n_frames / fs / 60, n_rois)  # one per minute per ROI
    roi = np.repeat(np.arange(1, n_rois + 1), n_events)
    onset = rng.integers(0, n_frames - 20, len(roi))
    pd.DataFrame(
        {
            "event_id": np.arange(1, len(roi) + 1),
            "roi_id": roi,
            "onset_frame": onset,
            "end_frame": onset + 15,
            "onset_s": onset / fs,
            "n_rois": 1,
        }
    ).to_csv(layout.path(out, "events/events.csv"), index=False)


def run_stage(out) -> dict:
    from astrocalc import config
    from astrocalc.pipeline.correlation import run_correlation

    cfg = config.validate({"backend": "numpy"})
    t0 = time.perf_counter()
    run_correlation(out, config=cfg, overwrite=True)
    seconds = time.perf_counter() - t0
    record = json.loads(layout.path(out, "correlation/stage.json").read_text())
    return {
        "stage": "correlation",
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "null": record["null"],
        "traces_in_memory": record["traces_in_memory"],
        "lagged": record["lagged"],
        "mean_pairwise_r": record["mean_pairwise_r"],
        "share_significant_pairs": record["share_significant_pairs"],
        "pairs_csv_mb": round(layout.path(out, "correlation/pairs.csv").stat().st_size / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rois", type=int, default=5000)
    parser.add_argument("--frames", type=int, default=20000)
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--backend", choices=["numpy", "cupy", "both"], default="both")
    parser.add_argument("--stage", type=Path, help="run the whole stage on a folder made here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage and args.worker:
        print(json.dumps(run_stage(args.stage)))
        return
    if args.stage:
        t0 = time.perf_counter()
        write_stage_inputs(args.stage, args.rois, args.frames, args.chunk)
        print(f"inputs written in {time.perf_counter() - t0:.0f} s")
        cmd = [sys.executable, __file__, "--worker", "--stage", str(args.stage)]
        print(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip())
        return
    if args.worker:
        print(json.dumps(run(args.backend, args.rois, args.frames, args.chunk)))
        return
    backends = ["numpy", "cupy"] if args.backend == "both" else [args.backend]
    for backend in backends:
        if backend == "cupy":
            from astrocalc.backend import cupy_usable

            if not cupy_usable():
                print("cupy: no usable CUDA device, skipped")
                continue
        cmd = [sys.executable, __file__, "--worker", "--backend", backend]
        cmd += ["--rois", str(args.rois), "--frames", str(args.frames), "--chunk", str(args.chunk)]
        result = subprocess.run(cmd, capture_output=True, text=True, check=True)
        print(result.stdout.strip())


if __name__ == "__main__":
    main()
