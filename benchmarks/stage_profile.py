"""Every stage, its time, the bytes it moves and its bound; on CuPy beside NumPy.

    python benchmarks/stage_profile.py [--size 512] [--frames 1000] [--backends numpy cupy]
        [--stages motion segment ...] [--timeout S] [--workdir DIR] [--json FILE] [--top N]

Writes one synthetic movie (``astrocalc.synth``, as benchmarks/memory.py), then runs the
stages in turn on the first backend, each in a fresh process as the workflow does. A
wrapper counts what each stage reads from and writes to movies (``Movie.read``,
``MovieWriter.write``): the passes over the movie (float32 bytes read / the movie's
float32 size) say how often the stage goes through it. The bound of a stage is the time
those bytes take at the machine's measured rates: one memory copy per byte on the host
(NumPy copy of 1 GiB, bytes read plus written); on CuPy also one host-to-device copy per
byte read (``cupy.asarray`` of pageable memory) and one device-to-host copy per byte
written. Motion's FFT bound is benchmarks/motion.py's.

Every further backend runs each stage on a copy of the first backend's results folder:
the same inputs, so its outputs are compared file by file with the first backend's
(tables: largest absolute difference of numeric columns and the share of equal values;
images: the same, the corrected movie chunk by chunk; JSON: every number). A stage agrees
when its key outputs are within the tolerances of :data:`AGREE`.

``--top N`` runs each stage of the first backend under cProfile and prints its N functions
with the most time of their own; run it on one core (``taskset -c 0``) so that the work
of the batch threads is seen.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import tifffile
from memory import make_movie

from astrocalc import layout

STAGES = {
    "motion": layout.MOTION,
    "segment": layout.SEGMENTATION,
    "events": layout.EVENTS,
    "correlate": layout.CORRELATION,
    "fit": layout.FIT,
    "simulate": layout.SIMULATION,
}

# What "the same result" means per stage: (file, measure, tolerance). 'max_abs' bounds the
# largest absolute difference of the numbers, 'rel_range' the same over the reference's
# range, 'rel_median' the median relative difference; 'equal_share' and 'equal_rows' ask
# at least this share of values (labels) or table rows to be identical. Shifts to a
# hundredth of a pixel; the corrected movie to 1e-4 of its range; dF/F to 1e-3; ROI labels
# on 99.9 % of pixels; the fit (an optimisation whose path float rounding can move) and
# the plasticity outcome to 5 % in the median.
AGREE = {
    "motion": [("shifts.csv", "max_abs", 0.01), ("corrected.tif", "rel_range", 1e-4)],
    "segment": [("rois.tif", "equal_share", 0.999), ("global.csv", "max_abs", 1e-3)],
    "events": [("traces.csv", "max_abs", 1e-3), ("events.csv", "equal_rows", 1.0)],
    "correlate": [("correlation.csv", "max_abs", 1e-3)],
    "fit": [("posterior.csv", "rel_median", 0.05)],
    "simulate": [("plasticity.csv", "rel_median", 0.05)],
}

WRAPPER = """
import json, sys, time
import numpy as np
from astrocalc.io import tiff
moved = {'read': 0, 'written': 0}
read, write_at = tiff.Movie.read, tiff.MovieWriter.write_at
def counted_read(self, start, stop, dtype=np.float32):
    out = read(self, start, stop, dtype)
    moved['read'] += out.size * 4
    return out
def counted_write_at(self, index, block):  # MovieWriter.write goes through write_at
    moved['written'] += np.asarray(block).size * 4
    return write_at(self, index, block)
tiff.Movie.read, tiff.MovieWriter.write_at = counted_read, counted_write_at
from astrocalc.cli import main
t0 = time.perf_counter()
try:
    if sys.argv[2] == '--cprofile':
        import cProfile
        profiler = cProfile.Profile()
        code = profiler.runcall(main, sys.argv[4:])
        profiler.dump_stats(sys.argv[3])
    else:
        code = main(sys.argv[2:])
finally:
    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')]
    open(sys.argv[1], 'w').write(json.dumps({
        'peak_rss_mb': int(hwm[0].split()[1]) / 1024, 'wall_s': time.perf_counter() - t0,
        **moved}))
sys.exit(code)
"""


# ------------------------------------------------------------------ machine rates
def host_copy_rate() -> float:
    """Bytes per second one NumPy copy of 1 GiB moves (read plus written), best of 3."""
    a = np.ones(1 << 28, np.float32)
    b = np.empty_like(a)
    best = math.inf
    for _ in range(3):
        t0 = time.perf_counter()
        np.copyto(b, a)
        best = min(best, time.perf_counter() - t0)
    return 2 * a.nbytes / best


def device_rates() -> dict:
    """Host-to-device (pageable NumPy array, as the stages send frames) and device-to-host
    bytes per second, best of 3 on 256 MiB."""
    import cupy as cp

    a = np.ones(1 << 26, np.float32)
    d = cp.asarray(a)
    best_h2d = best_d2h = math.inf
    for _ in range(3):
        cp.cuda.Device().synchronize()
        t0 = time.perf_counter()
        d = cp.asarray(a)
        cp.cuda.Device().synchronize()
        best_h2d = min(best_h2d, time.perf_counter() - t0)
        t0 = time.perf_counter()
        cp.asnumpy(d)
        best_d2h = min(best_d2h, time.perf_counter() - t0)
    return {"h2d": a.nbytes / best_h2d, "d2h": a.nbytes / best_d2h}


def bound_s(moved: dict, rates: dict, backend: str) -> float:
    total = moved["read"] + moved["written"]
    seconds = total / rates["host"]
    if backend == "cupy":
        seconds += moved["read"] / rates["h2d"] + moved["written"] / rates["d2h"]
    return seconds


# ------------------------------------------------------------------ running stages
def run_stage(stage, movie, out, backend, stats, timeout, top=0) -> dict:
    args = [stage, str(movie)] if stage == "motion" else [stage]
    hot = stats.with_suffix(".prof")
    cprofile = ["--cprofile", str(hot)] if top else []
    cmd = [sys.executable, "-c", WRAPPER, str(stats), *cprofile, "--log-level", "WARNING", *args,
           "--out", str(out), "--overwrite", "--backend", backend]  # fmt: skip
    stats.unlink(missing_ok=True)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, timeout=timeout, capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout:.0f} s", "process_s": time.perf_counter() - t0}
    result = {"process_s": time.perf_counter() - t0}
    if proc.returncode != 0:
        result["error"] = proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"]
        print(proc.stderr[-4000:], file=sys.stderr)
        return result
    result.update(json.loads(stats.read_text()))
    record = json.loads((out / STAGES[stage].folder / "stage.json").read_text())
    result["seconds"], result["ran_on"] = record["seconds"], record["backend"]
    if top:
        result["hot"] = hot_functions(hot, top)
    return result


def hot_functions(path: Path, top: int) -> list[tuple[str, float]]:
    """The ``top`` functions by their own time (cProfile's tottime; threads other than
    the main one are not seen, so on NumPy with several cores the stage's batch work
    shows as waiting)."""
    stats = pstats.Stats(str(path)).stats
    own = sorted(((v[2], k) for k, v in stats.items()), reverse=True)[:top]
    return [(f"{Path(k[0]).name}:{k[1]}({k[2]})", t) for t, k in own]


# ------------------------------------------------------------------ comparing outputs
def _numbers(x, prefix=""):
    if isinstance(x, bool) or x is None:
        return
    if isinstance(x, (int, float)):
        yield prefix, float(x)
    elif isinstance(x, dict):
        for k, v in x.items():
            yield from _numbers(v, f"{prefix}.{k}")
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _numbers(v, f"{prefix}[{i}]")


def _diff(a: np.ndarray, b: np.ndarray) -> dict:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return {"shape": f"{a.shape} vs {b.shape}"}
    both_nan = np.isnan(a) & np.isnan(b)
    d = np.where(both_nan, 0.0, np.abs(a - b))
    d = np.where(np.isnan(d), np.inf, d)
    scale = np.maximum(np.abs(a), np.abs(b))
    rel = np.where(d == 0, 0.0, d / np.where(scale > 0, scale, 1))
    finite = np.isfinite(a) & np.isfinite(b)
    span = float(np.ptp(a[finite])) if finite.any() else 0.0
    return {
        "max_abs": float(d.max(initial=0.0)),
        "equal_share": float(np.mean(d == 0)) if d.size else 1.0,
        "rel_median": float(np.median(rel)) if rel.size else 0.0,
        "rel_range": float(d.max(initial=0.0) / span) if span > 0 else float(d.max(initial=0)),
    }


def compare_file(a: Path, b: Path) -> dict:
    if not b.exists():
        return {"missing": True}
    if a.suffix == ".csv":
        ta, tb = pd.read_csv(a), pd.read_csv(b)
        if list(ta.columns) != list(tb.columns) or len(ta) != len(tb):
            return {"shape": f"{ta.shape} vs {tb.shape}", "equal_rows": 0.0}
        num = ta.select_dtypes("number").columns
        va, vb = ta[num].to_numpy(np.float64), tb[num].to_numpy(np.float64)
        out = _diff(va, vb)
        same = np.isclose(va, vb, rtol=1e-6, atol=1e-9, equal_nan=True).all(axis=1)
        other = ta.columns.difference(num)
        text_a, text_b = ta[other].fillna("").astype(str), tb[other].fillna("").astype(str)
        same &= (text_a == text_b).all(axis=1).to_numpy()
        out["equal_rows"] = float(same.mean()) if len(same) else 1.0
        return out
    if a.suffix == ".json":
        na = dict(_numbers(json.loads(a.read_text())))
        nb = dict(_numbers(json.loads(b.read_text())))
        keys = sorted(set(na) & set(nb))
        out = _diff(np.array([na[k] for k in keys]), np.array([nb[k] for k in keys]))
        out["keys_differ"] = len(set(na) ^ set(nb))
        return out
    if a.suffix == ".tif":
        with tifffile.TiffFile(a) as fa, tifffile.TiffFile(b) as fb:
            if len(fa.pages) > 1:  # a movie: frame blocks, never the whole in memory
                return _diff_movie(fa, fb)
            return _diff(fa.asarray(), fb.asarray())
    if a.suffix == ".npy":
        return _diff(np.load(a), np.load(b))
    return {}


def _diff_movie(fa, fb) -> dict:
    n = len(fa.pages)
    if len(fb.pages) != n:
        return {"shape": f"{n} vs {len(fb.pages)} frames"}
    worst, lo, hi = 0.0, math.inf, -math.inf
    for i in range(0, n, 64):
        pa = np.stack([p.asarray() for p in fa.pages[i : i + 64]]).astype(np.float64)
        pb = np.stack([p.asarray() for p in fb.pages[i : i + 64]]).astype(np.float64)
        d = np.abs(pa - pb)
        worst = max(worst, float(np.nanmax(np.where(np.isnan(pa) & np.isnan(pb), 0, d))))
        lo, hi = min(lo, float(np.nanmin(pa))), max(hi, float(np.nanmax(pa)))
    return {"max_abs": worst, "rel_range": worst / (hi - lo) if hi > lo else worst}


def compare_stage(stage: str, ref: Path, other: Path) -> tuple[dict, bool]:
    folder = STAGES[stage].folder
    files = {}
    for a in sorted((ref / folder).iterdir()):
        if a.is_file() and a.suffix in {".csv", ".json", ".tif", ".npy"} and a.name != "stage.json":
            files[a.name] = compare_file(a, other / folder / a.name)
    agree = all(
        name in files and kind in files[name] and (
            files[name][kind] >= tol if kind in ("equal_share", "equal_rows")
            else files[name][kind] <= tol)
        for name, kind, tol in AGREE[stage]
        if (ref / folder / name).exists()
    )  # fmt: skip
    return files, agree


# ------------------------------------------------------------------ main
def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--frames", type=int, default=1000)
    p.add_argument(
        "--backends",
        nargs="+",
        default=["numpy"],
        choices=["numpy", "cupy"],
        help="the first runs every stage; each further one reruns each stage on "
        "the first's inputs and is compared with it",
    )
    p.add_argument("--stages", nargs="+", default=list(STAGES), choices=list(STAGES))
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per stage and backend")
    p.add_argument("--workdir", type=Path, help="keep the movie and results here")
    p.add_argument("--json", type=Path, help="also write every figure to this file")
    p.add_argument("--top", type=int, default=0, help="profile each stage (cProfile) and "
                   "print its N functions with the most time of their own")  # fmt: skip
    args = p.parse_args()
    rates = {"host": host_copy_rate()}
    if "cupy" in args.backends:
        rates.update(device_rates())
    print("rates (GB/s): " + ", ".join(f"{k} {v / 1e9:.1f}" for k, v in rates.items()))
    with tempfile.TemporaryDirectory() as tmpdir:
        work = args.workdir or Path(tmpdir)
        work.mkdir(parents=True, exist_ok=True)
        movie = work / f"profile_{args.size}_{args.frames}.tif"
        make_movie(movie, args.frames, args.size)
        movie_bytes = args.frames * args.size**2 * 4
        first, *others = args.backends
        ref = work / first
        report = {"rates": rates, "size": args.size, "frames": args.frames, "stages": {}}
        stats = work / "stats.json"
        for stage in args.stages:
            row = [(first, run_stage(stage, movie, ref, first, stats, args.timeout, args.top))]
            for backend in others:
                copy = work / f"{backend}_on_{first}_inputs"
                shutil.rmtree(copy, ignore_errors=True)
                # hard links: the stages never change their inputs, and the corrected
                # movie is as large as the recording
                shutil.copytree(ref, copy, copy_function=os.link,
                                ignore=shutil.ignore_patterns(STAGES[stage].folder))  # fmt: skip
                result = run_stage(stage, movie, copy, backend, stats, args.timeout)
                if "error" not in result and "error" not in row[0][1]:
                    result["files"], result["agree"] = compare_stage(stage, ref, copy)
                shutil.rmtree(copy, ignore_errors=True)
                row.append((backend, result))
            report["stages"][stage] = row
            print_row(stage, row, rates, movie_bytes, args.frames)
            if "error" in row[0][1]:
                break
        if args.json:
            args.json.write_text(json.dumps(report, indent=1, default=str))


def print_row(stage, row, rates, movie_bytes, frames) -> None:
    ref = row[0][1]
    for i, (backend, r) in enumerate(row):
        if "error" in r:
            error = r["error"][-1] if isinstance(r["error"], list) else r["error"]
            print(f"{stage:>9} {backend:>6}  FAILED: {error}")
            continue
        bound = bound_s(r, rates, backend)
        print(
            f"{stage:>9} {backend:>6} {r['seconds']:8.1f} s {frames / r['seconds']:8.1f} fr/s "
            f"read {r['read'] / movie_bytes:4.1f}x written {r['written'] / movie_bytes:4.1f}x "
            f"bound {bound:6.2f} s ({bound / r['seconds']:.3f} of it) "
            f"peak {r['peak_rss_mb']:6.0f} MB"
            + (f" (ran on {r['ran_on']})" if r["ran_on"] != backend else "")
        )  # fmt: skip
        for name, seconds in r.get("hot", []):
            print(f"{'':>17}{seconds:7.1f} s  {name}")
        if i and "files" in r:  # the key files here, every file in --json
            keys = {name for name, _, _ in AGREE[stage]}
            print(f"{'':>17}{ref['seconds'] / r['seconds']:.2f}x {row[0][0]}'s speed; "
                  f"{'agrees' if r['agree'] else 'DIFFERS'}: " + "; ".join(
                      f"{name} " + " ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
                                            for k, v in d.items())
                      for name, d in r["files"].items() if name in keys))  # fmt: skip


if __name__ == "__main__":
    main()
