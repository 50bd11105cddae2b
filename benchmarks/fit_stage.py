"""Time of the fit stage on finished recordings (the fit must stay within 2 minutes on a
laptop's 2 cores for a demo recording).

    python benchmarks/fit_stage.py results/young_1 results/old_1 [--repeat 1]

Copies each results folder (without its fit and simulation), runs the fit stage with the
default config and prints its seconds, the simulated recording's size and what
``benchmarks/model_fit.py`` reports of the fit (predictive p, the mean pairwise r observed,
at the fit and predictive, the wave speed, the onset SD within global events, the
identified parameters). ``make demo`` makes the folders.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from model_fit import cell, fit_summary

from astrocalc import layout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folders", nargs="+", type=Path)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    from astrocalc import config
    from astrocalc.pipeline import run_fit

    conf = config.defaults()
    with tempfile.TemporaryDirectory() as tmp:
        for folder in args.folders:
            out = Path(tmp) / folder.name
            ignore = shutil.ignore_patterns("fit", "simulation", "*.tif")
            shutil.copytree(folder, out, ignore=ignore)
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                run_fit(out, config=conf, overwrite=True)
                seconds = time.perf_counter() - t0
                sim = json.loads(layout.path(out, "fit/parameters.json").read_text())[
                    "simulated_recording"
                ]
                numbers = {
                    "seconds": round(seconds, 1),
                    "domains": sim["n_domains"],
                    "duration s": sim["duration_s"],
                    **fit_summary(out),
                }
                print(folder.name + ": " + ", ".join(f"{k} {cell(v)}" for k, v in numbers.items()))


if __name__ == "__main__":
    main()
