"""Stage 6, simulation: fitted parameters -> simulation/ (compartments, plasticity, figure),
the outcome at the fit and over posterior draws (its credible intervals)."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..fit import model_input
from ..io.outputs import write_csv
from ..layout import SIMULATION
from ..models import simulate_plasticity
from ..settings import ModelSettings
from ._common import StageClock, model_backend, stage_output, write_stage_record

log = logging.getLogger(__name__)

OUTCOMES = ("co_permitted_share", "mean_dw", "mean_gate_open_fraction")


def _simulate(values: dict, *, n_domains: int, positions_um, seed: int, config: dict, xp):
    """One plasticity simulation at parameter ``values`` (parameters.json keys), the
    microdomains at ``positions_um`` (None: a shared input reaches them all at once)."""
    model_in = model_input(values["local_rate_per_min"], values["shared_rate_per_min"])
    return simulate_plasticity(
        n_domains=n_domains,
        rate_per_min=float(model_in.rate_per_min[0]),
        correlation=float(model_in.correlation[0]),
        wave_speed_um_s=values.get("wave_speed_um_s", np.inf),
        positions_um=positions_um,
        seed=seed,
        kinetic_speed=values["kinetic_speed"],
        speed_cv=values["speed_cv"],
        pulse_cv=values["ip3_pulse_cv"],
        model=replace(
            ModelSettings.from_config(config),
            ip3_pulse_uM=values["ip3_pulse_uM"],
            ip3_coupling_per_s=values["ip3_coupling_per_s"],
        ),
        xp=xp,
    )


def _outcome(result) -> dict:
    pl = result.plasticity
    return {
        "co_permitted_share": result.co_permitted_share,
        "mean_dw": float(pl.dw.mean()),
        "mean_gate_open_fraction": float(pl.gate_open_fraction.mean()),
    }


def run_simulation(out: str | Path, *, config: dict, overwrite: bool = False) -> Path:
    from ..plots import plot_simulation  # deferred: matplotlib is slow to import

    out = Path(out)
    xp = model_backend(config, "simulation")
    clock = StageClock("simulation", config, xp)
    params = json.loads(SIMULATION.input(out, "fit/parameters.json").read_text())
    draws = pd.read_csv(SIMULATION.input(out, "fit/posterior.csv"))
    fitted = {k: v["value"] for k, v in params.items() if isinstance(v, dict) and "value" in v}
    # the fit's model astrocyte: its microdomains where they lie (fits before the wave
    # speed have no positions)
    positions = params.get("simulated_recording", {}).get("positions_um") or None
    n = len(positions) if positions else params["n_microdomains"]
    layout = {"n_domains": n, "positions_um": positions, "config": config, "xp": xp}
    result = _simulate(fitted, seed=config["seed"], **layout)
    draws = draws.head(config["model"]["posterior_runs"]).to_dict("records")
    runs = pd.DataFrame(
        [
            _outcome(_simulate(row, seed=config["seed"] + 1 + k, **layout))
            for k, row in enumerate(draws)
        ],
        columns=list(OUTCOMES),
    )
    at_fit = _outcome(result)
    intervals = {
        f"{name}_ci95": [float(x) for x in np.nanpercentile(runs[name], [2.5, 97.5])]
        if runs[name].notna().any()
        else None
        for name in OUTCOMES
    }
    pl = result.plasticity
    ci = intervals["co_permitted_share_ci95"]
    log.info(
        "simulation: %d synapses, mean dw %.3g (ungated %.3g), synapses changing together "
        "%.2f (95 %% interval over %d posterior draws %s)",
        len(pl),
        pl.dw.mean(),
        pl.dw_ungated.mean(),
        at_fit["co_permitted_share"],
        len(runs),
        "not defined" if ci is None else f"{ci[0]:.2f}-{ci[1]:.2f}",
    )
    with stage_output(SIMULATION, out, config, overwrite=overwrite) as tmp:
        write_csv(tmp / "compartments.csv", result.compartments)
        write_csv(tmp / "plasticity.csv", pl)
        write_csv(tmp / "posterior.csv", runs)
        plot_simulation(
            result.compartments,
            pl,
            tmp / "simulation.png",
            gate_threshold_uM=result.gate_threshold_uM,
            outcome=at_fit,
            intervals=intervals,
        )
        write_stage_record(
            tmp,
            clock.record(
                n_synapses=len(pl),
                mean_dw_ungated=float(pl.dw_ungated.mean()),
                gate_threshold_uM=result.gate_threshold_uM,
                posterior_runs=len(runs),
                **at_fit,
                **intervals,
            ),
        )
    return out / "simulation"
