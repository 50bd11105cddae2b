"""A movie of a model astrocyte with known parameters, for checking that the whole
pipeline and the fit give the parameters back (:func:`astrocalc.pipeline.recover`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import synth
from ..models import GCAMP6F, Indicator, heterogeneity, simulate_input
from ..settings import ModelSettings
from ._forward import model_input, resting_ca


def model_dff(
    theta: dict,
    *,
    n_domains: int,
    n_frames: int,
    frame_rate_hz: float,
    model: ModelSettings | dict | None,
    seed: int,
    indicator: Indicator = GCAMP6F,
    positions_um: np.ndarray | None = None,
) -> np.ndarray:
    """GCaMP dF/F (n_frames, n_domains + 1) of one model astrocyte with parameters
    ``theta`` (see :data:`PARAMETERS`): its microdomains, then the soma. The shared input
    spreads over microdomains at ``positions_um`` (n_domains, 2) at ``theta``'s wave
    speed; without positions it reaches them all at once."""
    dt = ModelSettings.of(model).dt_s
    every = int(round(1.0 / (frame_rate_hz * dt)))
    if abs(every * dt * frame_rate_hz - 1) > 1e-9:
        raise ValueError(f"model.dt_s {dt} does not divide the frame period 1/{frame_rate_hz} s")
    rng = np.random.default_rng([seed, 2])
    z_speed, z_gain = rng.standard_normal((2, 1, n_domains))
    rec = simulate_input(
        rng,
        model_input(
            theta["local_rate_per_min"],
            theta["shared_rate_per_min"],
            theta.get("wave_speed_um_s", np.inf),
        ),
        n_domains=n_domains,
        n_steps=n_frames * every,
        model=model,
        coupling_per_s=theta["coupling_per_s"],
        ip3_pulse_uM=theta["ip3_pulse_uM"],
        record_every=every,
        kinetic_speed=theta.get("kinetic_speed", 1.0),
        speed_factors=heterogeneity(theta.get("speed_cv", 0.0), z_speed),
        pulse_cv=theta.get("pulse_cv", 0.0),
        positions_um=positions_um,
    )
    ca = rec["ca"][:, 0]
    dff = indicator.dff(
        np.concatenate([ca[:, :n_domains], ca[:, -1:]], axis=1),
        resting_ca(),
        dt_s=1.0 / frame_rate_hz,
    )
    dff[:, :n_domains] *= heterogeneity(theta.get("gain_cv", 0.0), z_gain)[0]
    return dff


def write_model_movie(
    path: str | Path,
    theta: dict,
    *,
    model: ModelSettings | dict | None,
    seed: int,
    indicator: Indicator = GCAMP6F,
    **scene,
) -> synth.SynthTruth:
    """Write a synthetic movie whose microdomains and soma show the model astrocyte's
    activity (:func:`model_dff`, its microdomains where the scene places them) on the
    scene of :func:`astrocalc.synth.simulate` with parameters ``scene`` (shape, n_frames,
    frame_rate_hz, n_domains, noise, motion ...)."""
    p = synth.SynthParams(**{**synth.SynthParams().__dict__, **scene, "seed": seed})

    def dff(positions_um):
        return model_dff(
            theta,
            n_domains=len(positions_um),
            n_frames=p.n_frames,
            frame_rate_hz=p.frame_rate_hz,
            model=model,
            seed=seed,
            indicator=indicator,
            positions_um=positions_um,
        )

    return synth.write(path, p, domain_traces=dff)
