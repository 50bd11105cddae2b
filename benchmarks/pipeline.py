"""The whole pipeline as a user meets it: ``astrocalc run`` on one synthetic recording,
by default 512 x 512 pixels, 10,000 frames at 10 Hz (16.7 minutes of recording).

    python benchmarks/pipeline.py [--frames 10000] [--size 512] [--workdir DIR]
        [--log-level INFO]

Writes the movie chunk by chunk (``astrocalc.synth``, in a child process), runs
``astrocalc run`` in a fresh process and prints, from the run's ``run.json``, the seconds
of every stage, the frames per second of each and of the whole run, the process's peak
resident memory (VmHWM, as benchmarks/memory.py reads it) and that peak so far at the
end of each stage (``run.json``'s ``stage_peak_memory_mb``), and the ratio of the
recording's duration to the run's: above 1, the pipeline is faster than real time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from memory import WRAPPER, make_movie

from astrocalc import layout

FRAME_RATE_HZ = 10.0
PIXEL_SIZE_UM = 0.4


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=10000)
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--workdir", type=Path, help="keep the movie here (default: a temp dir)")
    p.add_argument(
        "--log-level", default="WARNING", help="the run's; INFO logs every 10 %% of each pass"
    )
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        work = args.workdir or Path(tmpdir)
        work.mkdir(parents=True, exist_ok=True)
        movie = work / f"pipeline_{args.size}_{args.frames}.tif"
        make_movie(movie, args.frames, args.size)
        out, stats = work / "out", work / "peak.json"
        cmd = [sys.executable, "-c", WRAPPER, str(stats), "--log-level", args.log_level, "run",
               str(movie), "--out", str(out), "--overwrite", "--frame-rate", str(FRAME_RATE_HZ),
               "--pixel-size", str(PIXEL_SIZE_UM)]  # fmt: skip
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        wall = time.perf_counter() - t0
        run = json.loads(layout.path(out, "run.json").read_text())
        peak = json.loads(stats.read_text())["peak_rss_mb"]
    duration = args.frames / FRAME_RATE_HZ
    print(f"\n{args.size} x {args.size} px, {args.frames} frames at {FRAME_RATE_HZ:g} Hz "
          f"({duration / 60:.1f} min of recording), backend {run['backend']}")  # fmt: skip
    # the run's peak so far at the end of each stage: where it rises, that stage set it
    print(f"{'stage':>12} {'seconds':>9} {'frames/s':>9} {'peak MB so far':>15}")
    for stage, seconds in run["stage_seconds"].items():
        so_far = run.get("stage_peak_memory_mb", {}).get(stage)
        so_far = "-" if so_far is None else f"{so_far:.0f}"
        print(f"{stage:>12} {seconds:>9.1f} {args.frames / seconds:>9.1f} {so_far:>15}")
    print(f"{'run':>12} {wall:>9.1f} {args.frames / wall:>9.1f}")
    print(f"peak resident memory {peak:.0f} MB")
    print(f"ratio to real time {duration / wall:.2f} (recording seconds per second of run)")


if __name__ == "__main__":
    main()
