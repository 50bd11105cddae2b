"""Stage 5, fit: event tables -> fit/ (observed statistics, fitted parameters, figure)."""

from __future__ import annotations

import logging
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..fit import (
    JSON_KEYS,
    STATISTICS,
    UNITS,
    ForwardModel,
    calibrate_indicator,
    fit_parameters,
    microdomain_ids,
    model_input,
    observed_recording,
    observed_statistics,
    posterior_draws,
    predictive_check,
    shared_noise,
    simulated_size,
    start_kinetic_speed,
)
from ..io.outputs import write_csv, write_json
from ..layout import FIT
from ..models import indicator
from ._common import StageClock, backend, recording, stage_output, write_stage_record

log = logging.getLogger(__name__)

POSTERIOR_SAMPLES = 200  # rows of fit/posterior.csv
SHARED_NOISE_ROIS = 100  # microdomain traces read to measure the noise's shared share


def run_fit(out: str | Path, *, config: dict, overwrite: bool = False) -> Path:
    from ..plots import plot_fit  # deferred: matplotlib is slow to import

    out = Path(out)
    xp = backend(config)
    clock = StageClock("fit", config, xp)
    rec = recording(out, FIT)
    fs = rec["frame_rate_hz"]
    duration = rec["shape"][0] / fs
    per_roi = pd.read_csv(FIT.input(out, "events/events_per_roi.csv"))
    rois = pd.read_csv(FIT.input(out, "segmentation/rois.csv"))
    events = pd.read_csv(FIT.input(out, "events/events.csv"))
    stats = observed_statistics(
        per_roi,
        rois,
        events,
        pd.read_csv(
            FIT.input(out, "correlation/pairs.csv"),
            usecols=["roi_a", "roi_b", "r"],
        ),
        duration_s=duration,
        events_config=config["events"],
        seed=config["seed"],
    )
    fit_cfg, model = config["fit"], config["model"]
    # the noise's shared share from at most SHARED_NOISE_ROIS microdomains' traces
    md = microdomain_ids(rois)
    if len(md) > SHARED_NOISE_ROIS:
        rng = np.random.default_rng([config["seed"], 9])
        md = np.sort(rng.choice(md, SHARED_NOISE_ROIS, replace=False))
    traces = pd.read_csv(FIT.input(out, "events/traces.csv"), usecols=[f"roi_{r}" for r in md])
    observed_rec = observed_recording(
        per_roi,
        rois,
        duration_s=duration,
        frame_rate_hz=fs,
        noise_shared=shared_noise(
            traces[[f"roi_{r}" for r in md]].to_numpy(float), md, events, frame_rate_hz=fs
        ),
    )
    if observed_rec.n_domains == 0:  # nothing will be fitted, but the model needs a domain
        observed_rec = replace(observed_rec, n_domains=1)
    sim_rec, se_scale = simulated_size(
        observed_rec, max_domains=fit_cfg["max_domains"], max_duration_s=fit_cfg["max_duration_s"]
    )
    start = {
        "local_rate_per_min": max(stats["local_rate_per_min"] or 0.0, 0.1),
        "shared_rate_per_min": max(stats["global_rate_per_min"] or 0.0, 0.1),
        "ip3_pulse_uM": model["ip3_pulse_uM"],
        "coupling_per_s": max(model["ip3_coupling_per_s"], 1e-3),
        "kinetic_speed": 1.0,
        "pulse_cv": 0.5,
        "speed_cv": 0.3,
        "gain_cv": 0.3,
    }
    forward = ForwardModel(
        sim_rec,
        n_astrocytes=fit_cfg["n_astrocytes"],
        model=model,
        events=config["events"],
        seed=config["seed"],
        indicator=indicator(fit_cfg["indicator"]),
        xp=xp,
    )
    start["kinetic_speed"] = start_kinetic_speed(stats["median_duration_s"], forward, start)
    forward = calibrate_indicator(stats["median_amplitude_dff"], forward, start)
    observed = np.array([np.nan if stats[s] is None else stats[s] for s in STATISTICS])
    if stats["n_microdomains"] < 2 or stats["n_events"] == 0:
        observed[:] = np.nan  # nothing to fit: every parameter keeps its configured value
    result = fit_parameters(
        observed,
        forward,
        start,
        max_iterations=fit_cfg["max_iterations"],
        se_scale=se_scale,
    )
    check = predictive_check(
        result,
        forward,
        n=fit_cfg["predictive_recordings"],
        se_scale=se_scale,
        seed=config["seed"],
    )
    draws = posterior_draws(result, POSTERIOR_SAMPLES, np.random.default_rng([config["seed"], 5]))
    posterior = pd.DataFrame({JSON_KEYS[p]: [d[p] for d in draws] for p in JSON_KEYS})
    model_in = model_input(
        result.values["local_rate_per_min"], result.values["shared_rate_per_min"]
    )
    identified = result.final.report()["identifiable"]
    params = {
        "model": "Li-Rinzel microdomains + soma, IP3 coupling (astrocalc.models)",
        **{key: _parameter(result, name, identified[name]) for name, key in JSON_KEYS.items()},
        # the model's input as the simulation stage uses it
        "input_rate_per_min": {"value": float(model_in.rate_per_min[0]), "unit": "events/min"},
        "input_correlation": {"value": float(model_in.correlation[0]), "unit": ""},
        "n_microdomains": int(np.clip(stats["n_microdomains"], 1, 50)),
        "fixed": {k: model[k] for k in ("dt_s", "n_branches", "ca_coupling_per_s")},
        "indicator": {
            **asdict(forward.indicator),
            "method": "Hill binding with rise and decay kinetics (the configured indicator's "
            "published Kd, Hill coefficient and half-times: astrocalc.models.INDICATORS); "
            "saturation dF/F scaled until the model's median event amplitude equals the "
            "observed one",
        },
        "simulated_recording": {
            "noise_shared": sim_rec.noise_shared,
            "n_domains": sim_rec.n_domains,
            "duration_s": sim_rec.duration_s,
            "frame_rate_hz": sim_rec.frame_rate_hz,
            "n_astrocytes": fit_cfg["n_astrocytes"],
            "se_scale": se_scale,
        },
        "fit": {
            **result.report(),
            "method": "posterior mode under a Gaussian synthetic likelihood of the statistics "
            "((simulated mean - observed) / SE, common random numbers) and a log-normal "
            "prior on every parameter (95 % within a factor of 4 of its start), "
            "Levenberg-Marquardt on log-parameters, Jacobian by central differences; 95 % "
            "credible intervals from the Laplace approximation at the mode; posterior "
            "samples in fit/posterior.csv (astrocalc.fit.fit_parameters)",
        },
        "predictive_check": {**check.report(), "verdict": check.sentence()},
        "identifiability": {
            **result.final.report(),
            "at_start": result.start.report()["identifiable"],
            "method": "sensitivity of the simulated statistics to each log-parameter "
            "(common random numbers), scaled by their standard errors for this recording; "
            "parameters set aside along the sloppiest direction until every one left has a "
            "95 % interval within +-20 %; decided at the starting point, reported again at "
            "the fit (astrocalc.fit.identify)",
        },
        "seed": config["seed"],
    }
    log.info(
        "fit: %s; %s",
        ", ".join(f"{p} {result.values[p]:.3g}" for p in result.fitted) or "nothing identifiable",
        check.sentence(),
    )
    with stage_output(FIT, out, config, overwrite=overwrite) as tmp:
        write_json(tmp / "statistics.json", stats)
        write_json(tmp / "parameters.json", params)
        write_csv(tmp / "posterior.csv", posterior)
        plot_fit(result, check, tmp / "fit.png")
        write_stage_record(tmp, clock.record())
    return out / "fit"


def _parameter(result, name: str, identified: bool) -> dict:
    ci = result.ci95.get(name)
    return {
        "value": result.values[name],
        "unit": UNITS[name],
        "ci95": None if ci is None else list(ci),
        "level": "recording",
        "identified": identified,
        "prior": {"centre": result.prior_centre[name], "sd_log": result.prior_sd},
        "source": "the recording's statistics (95 % interval within +-20 %)"
        if identified
        else "mostly the prior (95 % within a factor of 4 of its centre: the configured "
        "value; for the rates the observed event rates, for the kinetic speed the one "
        "giving the observed median duration): these statistics, for a recording of "
        "this size, pin it only loosely",
    }
