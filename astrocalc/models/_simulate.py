"""One fitted astrocyte gating plasticity at its synapses: the simulation stage."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..settings import ModelSettings
from ._astrocyte import AstrocyteInput, heterogeneity, simulate_astrocytes, simulate_input
from ._li_rinzel import LiRinzel, resting_state
from ._plasticity import STDP, co_permission, gated_weight_change, spike_trains


@dataclass
class SimulationResult:
    compartments: pd.DataFrame  # time_s, ca_<name>, ip3_<name>
    plasticity: pd.DataFrame  # synapse_id, compartment, w_initial, w_final, ...
    co_permitted_share: float  # see co_permission: synapses permitted to change together
    gate_threshold_uM: float  # see gate_threshold


def gate_threshold(
    model: ModelSettings | dict | None,
    *,
    n_domains: int,
    kinetic_speed: float = 1.0,
    fraction: float | None = None,
) -> float:
    """The microdomain calcium (uM) above which the gate is open: ``fraction`` (default
    ``model.gate_fraction``) of the way from rest to the peak of the astrocyte's
    response to one input event of the mean size, simulated with its own parameters (so
    the gate means the same, "within a typical event", whatever the fitted kinetics and
    pulse). At 0.5 the gate is open within that response's half-width. The rule is ours:
    astrocytes release gliotransmitters above a calcium threshold (De Pitta et al. 2011
    PLoS Comput Biol 7:e1002293 model release that way), whose value relative to an event
    is not known; a relative threshold keeps the outcome informative for any fit."""
    model = ModelSettings.of(model)
    fraction = model.gate_fraction if fraction is None else fraction
    dt = model.dt_s
    n_steps = int(round(60.0 / max(kinetic_speed, 0.05) / dt))
    drive = np.zeros((n_steps, 1, n_domains), np.uint8)
    drive[0, 0, 0] = 1
    ca = simulate_astrocytes(
        drive,
        np,
        dt_s=dt,
        coupling_per_s=model.ip3_coupling_per_s,
        ip3_pulse_uM=model.ip3_pulse_uM,
        record_every=1,
        n_branches=model.n_branches,
        ca_coupling_per_s=model.ca_coupling_per_s,
        kinetic_speed=kinetic_speed,
    )["ca"][:, 0, 0]
    rest = resting_state(LiRinzel())[0]
    return rest + fraction * (float(ca.max()) - rest)


def compartment_names(n_domains: int, n_branches: int = 0) -> list[str]:
    """Microdomains, branches, soma: the column order of the simulators."""
    return (
        [f"md_{i + 1}" for i in range(n_domains)]
        + [f"branch_{i + 1}" for i in range(n_branches)]
        + ["soma"]
    )


def simulate_plasticity(
    *,
    n_domains: int,
    rate_per_min: float,
    correlation: float,
    seed: int,
    model: ModelSettings | dict | None,
    wave_speed_um_s: float = np.inf,
    positions_um: np.ndarray | None = None,
    record_hz: float = 10.0,
    kinetic_speed: float = 1.0,
    speed_cv: float = 0.0,
    pulse_cv: float = 0.0,
    rule: STDP | None = None,
    xp=np,
) -> SimulationResult:
    """Simulate one astrocyte with ``n_domains`` microdomains and its synapses.

    Parameters
    ----------
    n_domains : int
        Microdomain compartments (plus one soma).
    rate_per_min : float
        Synaptic input events per microdomain per minute.
    correlation : float
        Share of input events common to all microdomains (0..1).
    wave_speed_um_s, positions_um : float, array (n_domains, 2)
        A shared input event spreads from the microdomain where it starts to the others at
        this speed (um/s), the microdomains lying at these positions (um); without
        positions every microdomain receives it in the same step.
    seed : int
        Seed of every random draw.
    model : ModelSettings or mapping
        The ``model`` section of the config (dt_s, coupling, pulse, gate threshold,
        synapses per microdomain, spike rates, pairing lag, duration).
    record_hz : float
        Sampling rate of compartments.csv (Hz).
    kinetic_speed : float
        Speed of the cell's own calcium and IP3 kinetics (see
        :func:`simulate_astrocytes`; 1: Li-Rinzel's).
    speed_cv : float
        Coefficient of variation of the kinetic speed across microdomains.
    pulse_cv : float
        Coefficient of variation of the IP3 pulse between input events.
    """
    rule = rule or STDP()
    model = ModelSettings.of(model)
    rng = np.random.default_rng(seed)
    dt = model.dt_s
    n_steps = int(round(model.duration_s / dt))
    every = max(1, int(round(1.0 / (record_hz * dt))))
    rec = simulate_input(
        rng,
        AstrocyteInput(
            np.array([rate_per_min]),
            np.array([correlation]),
            wave_speed_um_s=np.array([float(wave_speed_um_s)]),
        ),
        n_domains=n_domains,
        n_steps=n_steps,
        model=model,
        coupling_per_s=model.ip3_coupling_per_s,
        ip3_pulse_uM=model.ip3_pulse_uM,
        record_every=every,
        kinetic_speed=kinetic_speed,
        speed_factors=heterogeneity(speed_cv, rng.standard_normal((1, n_domains))),
        pulse_cv=pulse_cv,
        positions_um=None if positions_um is None else np.asarray(positions_um, float),
        xp=xp,
    )
    ca, ip3 = rec["ca"][:, 0], rec["ip3"][:, 0]  # (n_rec, compartments)
    names = compartment_names(n_domains, model.n_branches)
    times = np.arange(ca.shape[0]) * every * dt
    table = {"time_s": times}
    for k, name in enumerate(names):
        table[f"ca_{name}"] = ca[:, k]
        table[f"ip3_{name}"] = ip3[:, k]
    compartments = pd.DataFrame(table)

    per = model.synapses_per_microdomain
    n_syn = n_domains * per
    domain_of = np.repeat(np.arange(n_domains), per)
    pre, post = spike_trains(
        rng,
        n_syn,
        duration_s=model.duration_s,
        pre_rate_hz=model.pre_rate_hz,
        pairing_lag_s=model.pairing_lag_s,
    )
    threshold = gate_threshold(model, n_domains=n_domains, kinetic_speed=kinetic_speed)
    gate = (ca[:, domain_of] > threshold).astype(float)
    dw, ungated = gated_weight_change(pre, post, gate, dt_s=every * dt, rule=rule)
    w0 = np.full(n_syn, 0.5 * rule.w_max)
    w1 = np.clip(w0 + dw, 0.0, rule.w_max)
    plasticity = pd.DataFrame(
        {
            "synapse_id": np.arange(1, n_syn + 1),
            "compartment": [names[d] for d in domain_of],
            "w_initial": w0,
            "w_final": w1,
            "dw": w1 - w0,
            "dw_ungated": np.clip(w0 + ungated, 0.0, rule.w_max) - w0,
            "gate_open_fraction": gate.mean(axis=0),
            "n_pre": [len(p) for p in pre],
            "n_post": [len(q) for q in post],
        }
    )
    return SimulationResult(compartments, plasticity, co_permission(gate), threshold)
