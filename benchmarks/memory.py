"""Peak memory against recording length: the motion stage on 2,000 and 20,000 frames.

    python benchmarks/memory.py [--frames 2000 20000] [--size 256] [--workdir DIR]

For each length, writes a synthetic uint16 movie chunk by chunk (astrocalc.synth), then
runs ``astrocalc motion`` on it in a fresh process and reads that process's peak resident
memory (VmHWM, from a wrapper that execs nothing else). Prints peak RSS, frames/s and the
ratio of the longest to the shortest: memory must be set by the chunk size, not by the
number of frames.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WRAPPER = """
import json, sys
from astrocalc.cli import main
try:
    sys.exit(main(sys.argv[2:]))
finally:
    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')]
    open(sys.argv[1], 'w').write(json.dumps({'peak_rss_mb': int(hwm[0].split()[1]) / 1024}))
"""


def make_movie(path: Path, frames: int, size: int) -> None:
    from astrocalc import synth

    if path.is_file():
        return
    print(f"writing {frames} frames of {size}x{size} ...", flush=True)
    synth.write(path, shape=(size, size), n_frames=frames, n_domains=40, seed=3)


def run_motion(movie: Path, out: Path, stats: Path) -> tuple[float, float]:
    cmd = [sys.executable, "-c", WRAPPER, str(stats), "motion", str(movie), "--out", str(out)]
    t0 = time.perf_counter()
    subprocess.run([*cmd, "--overwrite"], check=True)
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
        peaks = {}
        print(f"\n{'frames':>8} {'peak RSS MB':>12} {'frames/s':>9}")
        for n in args.frames:
            movie = work / f"memory_{args.size}_{n}.tif"
            make_movie(movie, n, args.size)
            peak, seconds = run_motion(movie, work / f"out_{n}", work / f"stats_{n}.json")
            peaks[n] = peak
            print(f"{n:>8} {peak:>12.0f} {n / seconds:>9.1f}", flush=True)
            # the corrected movie is float32: free the disk before the next length
            (work / f"out_{n}" / "motion" / "corrected.tif").unlink(missing_ok=True)
        lo, hi = min(peaks), max(peaks)
        print(f"peak RSS {hi} / {lo} frames: {peaks[hi] / peaks[lo]:.2f}x")


if __name__ == "__main__":
    main()
