"""The corrected movie as BigTIFF/TIFF against OME-Zarr (motion.corrected_format).

    python benchmarks/corrected_movie.py [--frames 4000] [--size 256]

Writes one synthetic recording (``astrocalc.synth``, the demo's noise), runs the motion
stage on it once per format and prints, per format, the stage's seconds, the corrected
movie's bytes on disk, and seconds to read it back whole and one frame from its middle
(what a viewer does when it jumps); then the ratios OME-Zarr / TIFF. The two movies are
checked to hold the same frames.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from astrocalc import config, layout, synth
from astrocalc.io import open_movie
from astrocalc.pipeline import run_motion


def disk_bytes(path: Path) -> int:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=4000, help="frames (default 4000)")
    parser.add_argument("--size", type=int, default=256, help="frame side in px (default 256)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="astrocalc-corrected-"))
    try:
        movie = root / "movie.tif"
        synth.write(movie, n_frames=args.frames, shape=(args.size, args.size), seed=1)
        rows, frames = {}, {}
        for fmt, rel in layout.CORRECTED.items():
            cfg = config.defaults()
            cfg["motion"]["corrected_format"] = fmt
            out = root / fmt
            t = time.perf_counter()
            run_motion(movie, out, config=cfg)
            stage_s = time.perf_counter() - t
            path = layout.path(out, rel)
            with open_movie(path) as m:
                t = time.perf_counter()
                frames[fmt] = m.read(0, m.n_frames)
                read_s = time.perf_counter() - t
                t = time.perf_counter()
                m.read(m.n_frames // 2, m.n_frames // 2 + 1)
                one_ms = 1000 * (time.perf_counter() - t)
            rows[fmt] = (stage_s, disk_bytes(path), read_s, one_ms)
        assert np.array_equal(frames["tiff"], frames["ome-zarr"]), "the formats differ"
        print(f"{args.frames} frames of {args.size} x {args.size} px, float32 corrected movie")
        print(f"{'format':10s} {'motion s':>9s} {'MB on disk':>11s} {'read all s':>11s} "
              f"{'one frame ms':>13s}")  # fmt: skip
        for fmt, (stage_s, nbytes, read_s, one_ms) in rows.items():
            print(f"{fmt:10s} {stage_s:9.1f} {nbytes / 1e6:11.1f} {read_s:11.2f} {one_ms:13.1f}")
        (a, b) = rows["tiff"], rows["ome-zarr"]
        print(
            f"OME-Zarr / TIFF: motion {b[0] / a[0]:.2f}x time, {b[1] / a[1]:.2f}x size, "
            f"read {b[2] / a[2]:.2f}x time, one frame {b[3] / a[3]:.2f}x time"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
