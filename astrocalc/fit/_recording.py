"""The fit of one recording: its event statistics, the model's parameters fitted to them
(posterior mode, intervals, draws), the posterior predictive check, and what
``fit/parameters.json`` reports (what the fit stage writes, callable on tables)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from ..models import indicator
from ..settings import EventSettings, FitSettings, ModelSettings
from ._fit import (
    PRIOR_SD,
    ParameterFit,
    PredictiveCheck,
    calibrate_indicator,
    fit_parameters,
    posterior_draws,
    predictive_check,
    start_kinetic_speed,
)
from ._forward import JSON_KEYS, STATISTICS, UNITS, ForwardModel, model_input
from ._identify import simulated_size
from ._statistics import microdomain_ids, observed_recording, observed_statistics, shared_noise

POSTERIOR_SAMPLES = 200  # rows of fit/posterior.csv
SHARED_NOISE_ROIS = 100  # microdomain traces used to measure the noise's shared share
WAVE_SPEED_PRIOR_UM_S = 15.0  # the wave speed's prior centre (fit_recording)


@dataclass
class RecordingFit:
    """Results of :func:`fit_recording`."""

    statistics: dict  # the observed statistics (fit/statistics.json)
    result: ParameterFit  # the fit itself
    check: PredictiveCheck  # posterior predictive check
    posterior: pd.DataFrame  # POSTERIOR_SAMPLES draws, one column per parameter
    parameters: dict  # fit/parameters.json


def noise_rois(rois: pd.DataFrame, seed: int) -> np.ndarray:
    """The microdomains whose traces :func:`fit_recording` needs: at most
    ``SHARED_NOISE_ROIS`` of them, chosen at random (``seed``) where there are more."""
    md = microdomain_ids(rois)
    if len(md) > SHARED_NOISE_ROIS:
        rng = np.random.default_rng([seed, 9])
        md = np.sort(rng.choice(md, SHARED_NOISE_ROIS, replace=False))
    return md


def fit_recording(
    per_roi: pd.DataFrame,
    rois: pd.DataFrame,
    events: pd.DataFrame,
    pairs: pd.DataFrame,
    traces: pd.DataFrame,
    *,
    duration_s: float,
    frame_rate_hz: float,
    fit: FitSettings | dict | None = None,
    model: ModelSettings | dict | None = None,
    event_settings: EventSettings | dict | None = None,
    seed: int = 0,
    xp=np,
) -> RecordingFit:
    """Fit the astrocyte model to one recording's event statistics.

    The tables are those of the results folder: ``events_per_roi.csv``, ``rois.csv``,
    ``events.csv``, ``pairs.csv`` (roi_a, roi_b, r at least) and the dF/F of the
    microdomains :func:`noise_rois` names (columns ``roi_<id>``, from ``traces.csv``).
    ``fit``, ``model`` and ``event_settings`` are those config sections
    (:meth:`Section.of`: schema defaults for what a mapping leaves out), ``seed`` the
    config's seed.
    """
    fit_cfg, model = FitSettings.of(fit), ModelSettings.of(model)
    events_settings = EventSettings.of(event_settings)
    stats = observed_statistics(
        per_roi,
        rois,
        events,
        pairs,
        duration_s=duration_s,
        event_settings=events_settings,
        seed=seed,
    )
    md = np.array([int(c.removeprefix("roi_")) for c in traces.columns], dtype=int)
    observed_rec = observed_recording(
        per_roi,
        rois,
        duration_s=duration_s,
        frame_rate_hz=frame_rate_hz,
        noise_shared=shared_noise(
            traces[[f"roi_{r}" for r in md]].to_numpy(float),
            md,
            events,
            frame_rate_hz=frame_rate_hz,
        ),
    )
    if observed_rec.n_domains == 0:  # nothing will be fitted, but the model needs a domain
        observed_rec = replace(observed_rec, n_domains=1)
    sim_rec, se_scale = simulated_size(
        observed_rec, max_domains=fit_cfg.max_domains, max_duration_s=fit_cfg.max_duration_s
    )
    start = {
        "local_rate_per_min": max(stats["local_rate_per_min"] or 0.0, 0.1),
        "shared_rate_per_min": max(stats["global_rate_per_min"] or 0.0, 0.1),
        "ip3_pulse_uM": model.ip3_pulse_uM,
        "coupling_per_s": max(model.ip3_coupling_per_s, 1e-3),
        "kinetic_speed": 1.0,
        "pulse_cv": 0.5,
        "speed_cv": 0.3,
        "gain_cv": 0.3,
        # the middle of published astrocyte calcium wave speeds, 5-30 um/s (Bazargani &
        # Attwell 2016 Nat Neurosci 19:182)
        "wave_speed_um_s": WAVE_SPEED_PRIOR_UM_S,
    }
    forward = ForwardModel(
        sim_rec,
        n_astrocytes=fit_cfg.n_astrocytes,
        model=model,
        events=events_settings,
        seed=seed,
        indicator=indicator(fit_cfg.indicator),
        xp=xp,
    )
    start["kinetic_speed"] = start_kinetic_speed(stats["median_duration_s"], forward, start)
    forward = calibrate_indicator(stats["median_amplitude_dff"], forward, start)
    observed = np.array([np.nan if stats[s] is None else stats[s] for s in STATISTICS])
    if stats["n_microdomains"] < 2 or stats["n_events"] == 0:
        observed[:] = np.nan  # nothing to fit: every parameter keeps its configured value
    minutes = duration_s / 60.0
    result = fit_parameters(
        observed,
        forward,
        start,
        max_iterations=fit_cfg.max_iterations,
        se_scale=se_scale,
        prior_sd={
            "local_rate_per_min": rate_prior_sd(
                (stats["local_rate_per_min"] or 0.0) * minutes * stats["n_microdomains"]
            ),
            # a wave joined by every microdomain counts once: at least this many waves
            "shared_rate_per_min": rate_prior_sd((stats["global_rate_per_min"] or 0.0) * minutes),
        },
    )
    check = predictive_check(
        result,
        forward,
        n=fit_cfg.predictive_recordings,
        se_scale=se_scale,
        seed=seed,
    )
    draws = posterior_draws(result, POSTERIOR_SAMPLES, np.random.default_rng([seed, 5]))
    posterior = pd.DataFrame({JSON_KEYS[p]: [d[p] for d in draws] for p in JSON_KEYS})
    model_in = model_input(
        result.values["local_rate_per_min"],
        result.values["shared_rate_per_min"],
        result.values["wave_speed_um_s"],
    )
    identified = result.final.report()["identifiable"]
    params = {
        "model": "Li-Rinzel microdomains + soma, IP3 coupling, shared input spreading as "
        "a wave (astrocalc.models)",
        **{key: _parameter(result, name, identified[name]) for name, key in JSON_KEYS.items()},
        # the model's input as the simulation stage uses it
        "input_rate_per_min": {"value": float(model_in.rate_per_min[0]), "unit": "events/min"},
        "input_correlation": {"value": float(model_in.correlation[0]), "unit": ""},
        "n_microdomains": int(np.clip(stats["n_microdomains"], 1, 50)),
        "fixed": {k: getattr(model, k) for k in ("dt_s", "n_branches", "ca_coupling_per_s")},
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
            "n_astrocytes": fit_cfg.n_astrocytes,
            # per statistic: how much wider a statistic spreads over the simulated
            # recordings than over recordings of the observed one's size
            "se_scale": {s: float(v) for s, v in zip(STATISTICS, se_scale, strict=True)},
            # where its microdomains lie (the recording's, evenly thinned to n_domains):
            # the shared input spreads over them; the simulation stage uses them too
            "positions_um": [list(xy) for xy in sim_rec.positions_um],
        },
        "fit": {
            **result.report(),
            "method": "posterior mode under a Gaussian synthetic likelihood of the statistics "
            "((simulated mean - observed) / SE, common random numbers) and a log-normal "
            "prior on every parameter (95 % within a factor of 4 of its start; for the "
            "rates, whose start is an observed rate, widened by that rate's Poisson "
            "error), Levenberg-Marquardt on log-parameters, Jacobian by central "
            "differences; 95 % credible intervals from the curvature at the mode (central "
            "differences of 0.25 in log over 32 model recordings per parameter set), "
            "widened for the correlation between the statistics (sandwich covariance, the "
            "statistics' correlation over 64 model recordings at the fit); posterior "
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
        "seed": seed,
    }
    return RecordingFit(stats, result, check, posterior, params)


def rate_prior_sd(count: float) -> float:
    """The prior SD (natural log) of a rate whose prior centre is an observed rate from
    ``count`` events: :data:`PRIOR_SD` widened by that estimate's own Poisson error, the
    log-SD of the Jeffreys posterior of a count, about 1 / sqrt(count + 1/2). With no
    global event observed in a short recording the shared rate's prior then reaches the
    rates at which none would be seen by chance (three expected, 5 %), which a prior of
    fixed width around the floor of 0.1 per minute did not."""
    return float(np.sqrt(PRIOR_SD**2 + 1.0 / (max(count, 0.0) + 0.5)))


def _parameter(result, name: str, identified: bool) -> dict:
    ci = result.ci95.get(name)
    return {
        "value": result.values[name],
        "unit": UNITS[name],
        "ci95": None if ci is None else list(ci),
        "level": "recording",
        "identified": identified,
        "prior": {"centre": result.prior_centre[name], "sd_log": result.prior_sd[name]},
        "source": "the recording's statistics (95 % interval within +-20 %)"
        if identified
        else "the recording's statistics and the prior together (95 % within a factor of 4 "
        "of its centre: the configured value; for the rates the observed event rates, "
        "widened by their Poisson error; for the kinetic speed the one giving the "
        "observed median duration; for the wave speed 15 um/s, the middle of published "
        "astrocyte waves): these statistics, for a recording of this size, do not pin it "
        "within +-20 %",
    }
