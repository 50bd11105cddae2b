"""Does the model describe recordings it did not make? Every stage (``astrocalc run``,
default config) on recordings of the independent evaluation generator
(``astrocalc.evalsynth``: not the demo's generator, not the model) and, optionally, on real
recordings; then the fit's posterior predictive p, the mean pairwise r (observed, the
model's at the fit, its predictive median: the goal is within 0.05), the fitted wave speed
and the global events' onset SD (observed, predictive median).

    python benchmarks/model_fit.py --seeds 21:0.85 22:0.15 23:0.5 [--real DIR] [--workdir DIR]

``--seeds`` takes seed:synchrony pairs (the share of events in waves); the recordings are
those of docs/accuracy.md at these seeds (128 x 128, 1,200 frames at 10 Hz). ``--real``
names a folder holding ``astra_fov_notebook.tif`` (10 Hz and 1 um per pixel assumed, as in
docs/realdata.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from astrocalc import evalsynth, layout

REAL = {"astra_fov_notebook.tif": 10.0}


def run(movie: Path, out: Path, frame_rate_hz: float | None = None) -> float:
    """``astrocalc run`` on one movie; its seconds."""
    cmd = [sys.executable, "-m", "astrocalc", "run", str(movie), "--out", str(out)]
    if frame_rate_hz is not None:
        cmd += ["--frame-rate", str(frame_rate_hz), "--pixel-size", "1.0"]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def fit_summary(out: Path) -> dict:
    """What a results folder's fit/parameters.json says of the model's match: predictive
    p, mean r (observed, at the fit, predictive median, how far the last is off), the
    fitted wave speed, the onset SD within global events and the identified parameters."""
    params = json.loads(layout.path(out, "fit/parameters.json").read_text())
    check = params["predictive_check"]
    r = check["statistics"]["mean_pairwise_r"]
    sd = check["statistics"]["global_onset_sd_s"]
    return {
        "predictive p": check["p_value"],
        "r observed": r["observed"],
        "r at fit": params["fit"]["statistics"]["mean_pairwise_r"]["simulated"],
        "r predictive": r["predictive_median"],
        "r off": None if r["observed"] is None else abs(r["predictive_median"] - r["observed"]),
        "wave um/s": params["wave_speed_um_s"]["value"],
        "onset SD obs": sd["observed"],
        "onset SD pred": sd["predictive_median"],
        "identified": " ".join(
            k for k, v in params["identifiability"]["identifiable"].items() if v
        ),
    }


def row(name: str, out: Path, seconds: float) -> dict:
    stage = json.loads(layout.path(out, "fit/stage.json").read_text())
    return {
        "recording": name,
        **fit_summary(out),
        "fit s": stage.get("seconds"),
        "run s": seconds,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", nargs="*", default=["21:0.85", "22:0.15", "23:0.5"])
    ap.add_argument("--real", type=Path, help="folder with the real recordings")
    ap.add_argument("--workdir", type=Path, help="keep the movies and results here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        rows = []
        for item in args.seeds:
            seed, synchrony = item.split(":")
            movie = work / f"eval_{seed}.tif"
            evalsynth.write(movie, seed=int(seed), synchrony=float(synchrony))
            out = work / f"eval_{seed}"
            rows.append(row(f"eval seed {seed} ({synchrony})", out, run(movie, out)))
            print(_line(rows[-1]), flush=True)
        for name, rate in REAL.items() if args.real else ():
            out = work / Path(name).stem
            rows.append(row(Path(name).stem, out, run(args.real / name, out, rate)))
            print(_line(rows[-1]), flush=True)
        print()
        print("| " + " | ".join(rows[0]) + " |")
        print("|" + "---|" * len(rows[0]))
        for r in rows:
            print("| " + " | ".join(cell(v) for v in r.values()) + " |")


def cell(v) -> str:
    if v is None:
        return "-"
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def _line(r: dict) -> str:
    return ", ".join(f"{k} {cell(v)}" for k, v in r.items())


if __name__ == "__main__":
    main()
