"""Parameter recovery through the whole pipeline: model -> movie -> pipeline -> fit.

    python benchmarks/recovery.py [--seeds 1 2 3 4 5] [--frames 3000] [--frame-rate 5]
                                  [--domains 30] [--out DIR] [--jobs 2]

For each seed: one model astrocyte with known parameters (``TRUE``) is simulated
(astrocalc.models.simulate_astrocytes), its microdomain and soma calcium turned into
GCaMP6f dF/F and rendered on a synthetic astrocyte's footprints with motion, bleaching
and shot noise (astrocalc.fit.write_model_movie); the movie goes through every stage
(motion, segmentation, events, correlation, fit, simulation; pixel-level events are
switched off, the fit does not use them) with the default config and a seed of its own.
Prints, per seed and parameter, the true and fitted values, the 95 % credible interval,
whether the fit's report calls the parameter identified (95 % interval within +-20 %),
whether it is within 20 % of the truth and whether the interval covers it; the posterior
predictive p per seed; then, per parameter, in how many seeds each holds, and the seeds
pooled as one condition (compare's condition level). ``--pair``
instead fits two model astrocytes, a synchronous one (most input shared) and an
asynchronous one (most input local), and prints their fitted rates and how many synapses
the fitted model lets change together (co_permitted_share of the simulation stage).
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from astrocalc import layout
from astrocalc.compare import condition_estimates, posterior_rows
from astrocalc.fit import JSON_KEYS

TRUE = {
    "local_rate_per_min": 1.4,
    "shared_rate_per_min": 0.6,
    "ip3_pulse_uM": 0.6,
    "coupling_per_s": 0.05,
    "kinetic_speed": 1.0,
    "pulse_cv": 0.3,
    "speed_cv": 0.3,
    "gain_cv": 0.2,
    "wave_speed_um_s": 10.0,
}


PAIR = {
    "synchronous": dict(TRUE, local_rate_per_min=0.6, shared_rate_per_min=1.5),
    "asynchronous": dict(TRUE, local_rate_per_min=2.0, shared_rate_per_min=0.1),
}


def one_seed(seed: int, args, theta: dict = TRUE, name: str = "") -> dict:
    from astrocalc import config
    from astrocalc.pipeline import recover

    cfg = config.defaults()
    cfg["pixel_events"]["enabled"] = False
    cfg["seed"] = 1000 + seed  # the fit's random numbers are not the movie's
    t0 = time.perf_counter()
    folder = Path(args.out) / (name or f"seed_{seed}")
    params = recover(
        folder,
        theta,
        seed=seed,
        config=cfg,
        n_frames=args.frames,
        frame_rate_hz=args.frame_rate,
        n_domains=args.domains,
        shape=(args.size, args.size),
    )
    params["seconds"] = time.perf_counter() - t0
    simulation = json.loads(layout.path(folder / "out", "simulation/stage.json").read_text())
    params["co_permitted_share"] = simulation["co_permitted_share"]
    return params


def pair(args) -> None:
    names = list(PAIR)
    with ProcessPoolExecutor(args.jobs) as pool:
        fits = list(pool.map(one_seed, [1, 1], [args] * 2, PAIR.values(), names))
    for name, params in zip(names, fits, strict=True):
        fitted = {k: params[k]["value"] for k in ("local_rate_per_min", "shared_rate_per_min")}
        print(
            f"{name:<13} true local {PAIR[name]['local_rate_per_min']:.2g} shared "
            f"{PAIR[name]['shared_rate_per_min']:.2g}; fitted local "
            f"{fitted['local_rate_per_min']:.3g} shared {fitted['shared_rate_per_min']:.3g}; "
            f"mean pairwise r {params['fit']['statistics']['mean_pairwise_r']['observed']:.3f}; "
            f"co_permitted_share of the fitted model {params['co_permitted_share']:.3f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--frames", type=int, default=3000)
    ap.add_argument("--frame-rate", type=float, default=5.0)
    ap.add_argument("--domains", type=int, default=30)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--out", default="benchmarks/results/recovery")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--pair", action="store_true", help="fit a synchronous and an "
                    "asynchronous model astrocyte and compare them")  # fmt: skip
    args = ap.parse_args()
    if args.pair:
        return pair(args)
    print(
        f"{len(args.seeds)} seeds, {args.domains} microdomains, {args.frames} frames at "
        f"{args.frame_rate} Hz ({args.frames / args.frame_rate / 60:.0f} min), "
        f"{args.size} x {args.size} px; true {TRUE}"
    )
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(one_seed, args.seeds, [args] * len(args.seeds)))
    print(f"{'seed':>4} {'parameter':<20} {'true':>7} {'fitted':>7} {'95 % CI':>17} "
          f"{'identified':>10} {'within 20 %':>11} {'covered':>7}")  # fmt: skip
    identified = {name: 0 for name in TRUE}
    within = {name: 0 for name in TRUE}
    covered = {name: 0 for name in TRUE}
    for seed, params in zip(args.seeds, results, strict=True):
        for name, key in JSON_KEYS.items():
            entry = params[key]
            close = abs(entry["value"] / TRUE[name] - 1) <= 0.2
            lo, hi = entry["ci95"]
            cover = lo <= TRUE[name] <= hi
            within[name] += close
            identified[name] += entry["identified"]
            covered[name] += cover
            print(
                f"{seed:>4} {name:<20} {TRUE[name]:>7.3g} {entry['value']:>7.3g} "
                f"{f'{lo:.3g}-{hi:.3g}':>17} {str(entry['identified']):>10} {str(close):>11} "
                f"{str(cover):>7}"
            )
        check = params["predictive_check"]
        print(
            f"     {params['fit']['iterations']} iterations"
            f"{'' if params['fit']['converged'] else ' (not converged)'}, "
            f"{params['n_microdomains']} microdomain ROIs, {params['seconds']:.0f} s; "
            f"predictive p {check['p_value']:.3f}; "
            + ", ".join(
                f"{k} {v['observed']:.3g}/{v['predictive_median']:.3g}"
                for k, v in check["statistics"].items()
                if v["observed"] is not None and v["predictive_median"] is not None
            )
        )
    n = len(args.seeds)
    for name in TRUE:
        print(
            f"{name:<20} within 20 % in {within[name]} of {n} seeds, identified in "
            f"{identified[name]}, 95 % interval covers the truth in {covered[name]}"
        )
    print_condition_level(args.seeds, results)


def print_condition_level(seeds, results) -> None:
    """The seeds pooled as the recordings of one condition (compare's random-effects
    condition level): each pooled parameter's value, 95 % interval, whether that interval
    is within +-20 % and whether it covers the truth."""
    rows = [
        {"sample": f"seed_{seed}", "condition": "model", **row}
        for seed, params in zip(seeds, results, strict=True)
        for row in posterior_rows(params)
    ]
    est = condition_estimates(pd.DataFrame(rows), "condition")
    for r in est[est.level == "condition"].itertuples():
        truth = TRUE[r.parameter]
        print(
            f"condition level {r.parameter:<20} {r.value:.3g} ({r.ci95_low:.3g}-"
            f"{r.ci95_high:.3g}), true {truth:.3g}: off by {r.value / truth - 1:+.0%}, "
            f"interval within +-20 % {np.log(r.ci95_high / r.ci95_low) / 2 < np.log(1.2)}, "
            f"covers the truth {r.ci95_low <= truth <= r.ci95_high}"
        )


if __name__ == "__main__":
    main()
