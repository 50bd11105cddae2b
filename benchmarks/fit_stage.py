"""Time of the fit stage on finished recordings (the fit must stay within 2 minutes on a
laptop's 2 cores for a demo recording).

    python benchmarks/fit_stage.py results/young_1 results/old_1 [--repeat 1]

Copies each results folder (without its fit and simulation), runs the fit stage with the
default config and prints its seconds, the simulated recording's size, the posterior
predictive p, the mean pairwise r (observed, the model's at the fit and its predictive
median), the fitted wave speed and the global events' onset SD (observed, predictive
median). ``make demo`` makes the folders.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from astrocalc import layout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folders", nargs="+", type=Path)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    from astrocalc import config
    from astrocalc.pipeline import run_fit

    conf = config.defaults()
    header = (
        "recording",
        "seconds",
        "domains",
        "duration s",
        "predictive p",
        "r observed",
        "r at fit",
        "r predictive",
        "wave um/s",
        "onset SD obs",
        "onset SD pred",
    )
    print(f"{header[0]:<14} " + " ".join(f"{h:>12}" for h in header[1:]))
    with tempfile.TemporaryDirectory() as tmp:
        for folder in args.folders:
            out = Path(tmp) / folder.name
            ignore = shutil.ignore_patterns("fit", "simulation", "*.tif")
            shutil.copytree(folder, out, ignore=ignore)
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                run_fit(out, config=conf, overwrite=True)
                seconds = time.perf_counter() - t0
                params = json.loads(layout.path(out, "fit/parameters.json").read_text())
                sim = params["simulated_recording"]
                check = params["predictive_check"]
                r = check["statistics"]["mean_pairwise_r"]
                sd = check["statistics"]["global_onset_sd_s"]
                at_fit = params["fit"]["statistics"]["mean_pairwise_r"]["simulated"]
                numbers = (
                    r["observed"],
                    at_fit,
                    r["predictive_median"],
                    params["wave_speed_um_s"]["value"],
                    sd["observed"],
                    sd["predictive_median"],
                )
                print(
                    f"{folder.name:<14} {seconds:>12.1f} {sim['n_domains']:>12} "
                    f"{sim['duration_s']:>12.0f} {check['p_value']:>12.3f} "
                    + " ".join(f"{_num(x):>12}" for x in numbers)
                )


def _num(x) -> str:
    return "-" if x is None else f"{x:.3f}"


if __name__ == "__main__":
    main()
