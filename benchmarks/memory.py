"""Peak memory against recording length: every stage of the pipeline on 2,000 and 20,000
frames of a 256 x 256 movie.

    python benchmarks/memory.py [--frames 2000 20000] [--size 256] [--workdir DIR]

For each length, writes a synthetic uint16 movie chunk by chunk (``astrocalc.synth``),
then runs the stages one after the other as the workflow does, each in a fresh process
(``astrocalc motion``, ``segment``, ``events``, ``correlate``, ``fit``, ``simulate``), and
reads each process's peak resident memory: VmHWM of the process itself (``ru_maxrss`` of
``resource.getrusage(RUSAGE_SELF)`` would carry over the launching process's peak across
exec) and ``getrusage(RUSAGE_CHILDREN)`` for any children it waited for. Prints the
peak RSS of every stage, the pipeline's peak (the largest stage), and the ratio of the
longest recording's peak to the shortest's: memory must be set by the chunk size, not by
the number of frames. Target (issue 7): pipeline peak under 1.5 GB at 20,000 frames,
and at most 1.3x the peak at 2,000.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from astrocalc import layout

WRAPPER = """
import json, resource, sys
from astrocalc.cli import main
try:
    code = main(sys.argv[2:])
finally:
    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')]
    peak_kb = max(int(hwm[0].split()[1]), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    open(sys.argv[1], 'w').write(json.dumps({'peak_rss_mb': peak_kb / 1024}))
sys.exit(code)
"""

STAGES = ("motion", "segment", "events", "correlate", "fit", "simulate")


def make_movie(path: Path, frames: int, size: int) -> None:
    """In a child process, so that this one stays small (see the module docstring)."""
    if path.is_file():
        return
    print(f"writing {frames} frames of {size}x{size} ...", flush=True)
    code = (
        "import sys; from astrocalc import synth; "
        "synth.write(sys.argv[1], shape=(int(sys.argv[2]),) * 2, n_frames=int(sys.argv[3]), "
        "n_domains=40, seed=3)"
    )
    subprocess.run([sys.executable, "-c", code, str(path), str(size), str(frames)], check=True)


def run_stage(stage: str, movie: Path, out: Path, stats: Path) -> tuple[float, float]:
    args = [stage, str(movie)] if stage == "motion" else [stage]
    cmd = [sys.executable, "-c", WRAPPER, str(stats), *args, "--out", str(out), "--overwrite"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    seconds = time.perf_counter() - t0
    return json.loads(stats.read_text())["peak_rss_mb"], seconds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, nargs="+", default=[2000, 20000])
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--workdir", type=Path, help="keep the movies here (default: a temp dir)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        work = args.workdir or Path(tmpdir)
        work.mkdir(parents=True, exist_ok=True)
        peaks: dict[int, dict[str, float]] = {}
        for n in args.frames:
            movie = work / f"memory_{args.size}_{n}.tif"
            make_movie(movie, n, args.size)
            out = work / f"out_{n}"
            peaks[n] = {}
            print(f"\n{n} frames\n{'stage':>10} {'peak RSS MB':>12} {'seconds':>8}", flush=True)
            for stage in STAGES:
                peak, seconds = run_stage(stage, movie, out, work / f"stats_{n}.json")
                peaks[n][stage] = peak
                print(f"{stage:>10} {peak:>12.0f} {seconds:>8.0f}", flush=True)
            # the corrected movie is float32: free the disk before the next length
            layout.path(out, "motion/corrected.tif").unlink(missing_ok=True)
        print(f"\n{'frames':>8} " + " ".join(f"{s:>9}" for s in STAGES) + f" {'pipeline':>9}")
        for n, row in peaks.items():
            cells = " ".join(f"{row[s]:>9.0f}" for s in STAGES)
            print(f"{n:>8} {cells} {max(row.values()):>9.0f}")
        lo, hi = min(peaks), max(peaks)
        ratio = max(peaks[hi].values()) / max(peaks[lo].values())
        print(f"pipeline peak RSS (MB) {hi} / {lo} frames: {ratio:.2f}x")
        for s in STAGES:
            print(f"  {s}: {peaks[hi][s] / peaks[lo][s]:.2f}x")


if __name__ == "__main__":
    main()
