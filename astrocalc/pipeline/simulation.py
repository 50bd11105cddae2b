"""Stage 6, simulation: fitted parameters -> simulation/ (compartments, plasticity, figure)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from ..io.outputs import StageOutput, write_csv
from ..models import simulate_plasticity
from ._common import StageClock, backend, require, write_stage_record

log = logging.getLogger(__name__)


def run_simulation(out: str | Path, *, config: dict, overwrite: bool = False) -> Path:
    from ..plots import plot_simulation  # deferred: matplotlib is slow to import

    out = Path(out)
    xp = backend(config)
    clock = StageClock("simulation", config, xp)
    params = json.loads(require(out / "fit" / "parameters.json", "fit").read_text())
    result = simulate_plasticity(
        n_domains=params["n_microdomains"],
        rate_per_min=params["input_rate_per_min"]["value"],
        correlation=params["input_correlation"]["value"],
        seed=config["seed"],
        model={
            **config["model"],
            "ip3_pulse_uM": params["ip3_pulse_uM"]["value"],
            "ip3_coupling_per_s": params["ip3_coupling_per_s"]["value"],
        },
        xp=xp,
    )
    pl = result.plasticity
    log.info(
        "simulation: %d synapses, mean dw %.3g (ungated %.3g)",
        len(pl),
        pl.dw.mean(),
        pl.dw_ungated.mean(),
    )
    with StageOutput(out / "simulation", overwrite=overwrite) as tmp:
        write_csv(tmp / "compartments.csv", result.compartments)
        write_csv(tmp / "plasticity.csv", pl)
        plot_simulation(
            result.compartments,
            pl,
            tmp / "simulation.png",
            gate_threshold_uM=config["model"]["gate_threshold_uM"],
        )
        write_stage_record(
            tmp,
            clock.record(
                n_synapses=len(pl),
                mean_dw=float(pl.dw.mean()),
                mean_dw_ungated=float(pl.dw_ungated.mean()),
                mean_gate_open_fraction=float(pl.gate_open_fraction.mean()),
                co_permitted_share=result.co_permitted_share,
            ),
        )
    return out / "simulation"
