"""CSV writing of a correlation stage's tables: astrocalc's writer against pandas' to_csv.

    python benchmarks/csv_writing.py [--rois 5000]

Makes one random (N, N) correlation matrix and writes, as the correlation stage does, one
square matrix (``square_blocks``: header and id column, N x N values; the stage writes
four) and pairs.csv (``pair_blocks``: N (N - 1) / 2 rows of ints, floats and a bool),
once with ``write_csv_blocks`` and once with pandas' ``to_csv`` (float_format %.6g, what
the writer did before), checks the files are identical and prints seconds, values per
second and the ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from astrocalc.correlate import pair_blocks
from astrocalc.io.outputs import write_csv_blocks
from astrocalc.pipeline.correlation import square_blocks


def pandas_write(path: Path, blocks) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        for k, block in enumerate(blocks):
            block.to_csv(f, index=False, header=k == 0, float_format="%.6g", lineterminator="\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rois", type=int, default=5000, help="number of ROIs (default 5000)")
    args = parser.parse_args()
    n = args.rois
    rng = np.random.default_rng(0)
    r = rng.uniform(-0.2, 0.9, (n, n)).astype(np.float32)
    r = (r + r.T) / 2
    np.fill_diagonal(r, 1.0)
    p = rng.uniform(0, 1, (n, n))
    ids = np.arange(1, n + 1)
    centroids = rng.uniform(0, 512, (n, 2))

    def tables():
        return {
            "square matrix": lambda: square_blocks(r, ids),
            "pairs.csv": lambda: pair_blocks(
                r, p, ids, centroids, pixel_size_um=0.4, co_event=np.zeros((n, n))
            ),
        }

    print(f"{n} ROIs: {n * n:,} values per square matrix, {n * (n - 1) // 2:,} pairs")
    print(f"{'table':<14} {'astrocalc s':>11} {'pandas s':>9} {'ratio':>6} {'MB':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, blocks in tables().items():
            ours, theirs = Path(tmp) / "ours.csv", Path(tmp) / "pandas.csv"
            t = time.perf_counter()
            write_csv_blocks(ours, blocks())
            t_ours = time.perf_counter() - t
            t = time.perf_counter()
            pandas_write(theirs, blocks())
            t_pandas = time.perf_counter() - t
            same = ours.read_bytes() == theirs.read_bytes()
            size = ours.stat().st_size / 1e6
            print(
                f"{name:<14} {t_ours:11.1f} {t_pandas:9.1f} {t_pandas / t_ours:5.1f}x {size:6.0f}"
                + ("" if same else "  FILES DIFFER")
            )


if __name__ == "__main__":
    main()
