"""Stage 5, fit: event tables -> fit/ (observed statistics, fitted parameters, figure)."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ..fit import fit_recording, noise_rois
from ..io.outputs import write_csv, write_json
from ..layout import FIT
from ..settings import EventSettings, FitSettings, ModelSettings
from ._common import StageClock, model_backend, recording, stage_output, write_stage_record

log = logging.getLogger(__name__)


def run_fit(out: str | Path, *, config: dict, overwrite: bool = False) -> Path:
    from ..plots import plot_fit  # deferred: matplotlib is slow to import

    out = Path(out)
    xp = model_backend(config, "fit")
    clock = StageClock("fit", config, xp)
    rec = recording(out, FIT)
    rois = pd.read_csv(FIT.input(out, "segmentation/rois.csv"))
    md = noise_rois(rois, config["seed"])
    fitted = fit_recording(
        pd.read_csv(FIT.input(out, "events/events_per_roi.csv")),
        rois,
        pd.read_csv(FIT.input(out, "events/events.csv")),
        pd.read_csv(FIT.input(out, "correlation/pairs.csv"), usecols=["roi_a", "roi_b", "r"]),
        pd.read_csv(FIT.input(out, "events/traces.csv"), usecols=[f"roi_{r}" for r in md]),
        duration_s=rec["shape"][0] / rec["frame_rate_hz"],
        frame_rate_hz=rec["frame_rate_hz"],
        fit=FitSettings.from_config(config),
        model=ModelSettings.from_config(config),
        event_settings=EventSettings.from_config(config),
        seed=config["seed"],
        xp=xp,
    )
    result, check = fitted.result, fitted.check
    log.info(
        "fit: %s; %s",
        ", ".join(f"{p} {result.values[p]:.3g}" for p in result.fitted) or "nothing identifiable",
        check.sentence(),
    )
    with stage_output(FIT, out, config, overwrite=overwrite) as tmp:
        write_json(tmp / "statistics.json", fitted.statistics)
        write_json(tmp / "parameters.json", fitted.parameters)
        write_csv(tmp / "posterior.csv", fitted.posterior)
        plot_fit(result, check, tmp / "fit.png")
        write_stage_record(tmp, clock.record())
    return out / "fit"
