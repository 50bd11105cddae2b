"""Stage 5, fit: event tables -> fit/ (observed statistics, fitted parameters, figure)."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ..fit import fit_input_rate, local_identifiability, observed_statistics
from ..io.outputs import StageOutput, write_json
from ._common import StageClock, backend, require, write_stage_record

log = logging.getLogger(__name__)


def run_fit(out: str | Path, *, config: dict, overwrite: bool = False) -> Path:
    from ..plots import plot_fit  # deferred: matplotlib is slow to import

    out = Path(out)
    xp = backend(config)
    clock = StageClock("fit", config, xp)
    stats = observed_statistics(
        pd.read_csv(require(out / "events" / "events_per_roi.csv", "events")),
        pd.read_csv(require(out / "segmentation" / "rois.csv", "segment")),
        pd.read_csv(require(out / "events" / "events.csv", "events")),
        pd.read_csv(require(out / "correlation" / "pairs.csv", "correlate")),
        seed=config["seed"],
    )
    result = fit_input_rate(
        stats, model=config["model"], fit=config["fit"], seed=config["seed"], xp=xp
    )
    model = config["model"]
    n_observed = max(1, stats["n_microdomains"])
    identify = local_identifiability(
        {
            "rate_per_min": result.input_rate_per_min,
            "correlation": min(max(stats["share_global"], 0.02), 0.9),
            "coupling_per_s": max(model["ip3_coupling_per_s"], 1e-3),
            "ip3_pulse_uM": model["ip3_pulse_uM"],
        },
        n_observed_domains=n_observed,
        # half the fit's model astrocytes, at most 12 microdomains each: nine evaluations
        # take about as long as the rate fit
        n_astrocytes=max(2, config["fit"]["n_astrocytes"] // 2),
        n_domains=min(max(n_observed, 2), 12),
        duration_s=config["fit"]["duration_s"],
        seed=config["seed"],
        xp=xp,
    )
    params = {
        "model": "Li-Rinzel microdomains + soma, IP3 coupling (astrocalc.models)",
        "input_rate_per_min": {
            "value": result.input_rate_per_min,
            "ci95": list(result.input_rate_ci95),
            "identifiable": result.identifiable,
            "note": result.note,
            "method": "simulated microdomain event rate vs input rate on a grid (common random "
            "numbers), inverted at the observed mean rate; CI from a bootstrap over "
            "microdomains mapped through the same curve",
        },
        "input_correlation": {
            "value": stats["share_global"],
            "method": "set to the observed share of global microdomain events (not fitted)",
        },
        "n_microdomains": max(1, min(stats["n_microdomains"], 50)),
        "fixed": {k: config["model"][k] for k in ("dt_s", "ip3_coupling_per_s", "ip3_pulse_uM")},
        "seed": config["seed"],
        "identifiability": {
            **identify.report(),
            "method": "sensitivity of the simulated statistics to each log-parameter at the "
            "fitted point (common random numbers), scaled by their standard errors for this "
            "recording's number of microdomains; parameters set aside along the sloppiest "
            "direction until every one left has a 95 % interval within +-20 % "
            "(astrocalc.fit.local_identifiability)",
        },
        "rate_curve": {
            "input_rate_per_min": result.rate_grid_per_min.tolist(),
            "simulated_rate_per_min": result.simulated_rate_per_min.tolist(),
            "simulated_rate_sem": result.simulated_rate_sem.tolist(),
        },
    }
    log.info(
        "fit: observed %.3g events/min per microdomain -> input %.3g/min (CI %.3g-%.3g)",
        stats["rate_per_min"],
        result.input_rate_per_min,
        *result.input_rate_ci95,
    )
    with StageOutput(out / "fit", overwrite=overwrite) as tmp:
        write_json(tmp / "statistics.json", stats)
        write_json(tmp / "parameters.json", params)
        plot_fit(result, stats, tmp / "fit.png")
        write_stage_record(tmp, clock.record())
    return out / "fit"
