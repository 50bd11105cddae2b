"""Fit the synaptic input rate so that simulated microdomain event rates match the data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..models import AstrocyteInput, calcium_events, poisson_drive, simulate_astrocytes

EVENT_THRESHOLD_UM = 0.3  # calcium level (uM) whose upward crossing counts as a model event


@dataclass
class RateFit:
    rate_grid_per_min: np.ndarray  # candidate input rates
    simulated_rate_per_min: np.ndarray  # mean microdomain event rate per candidate
    simulated_rate_sem: np.ndarray
    input_rate_per_min: float  # fitted input rate
    input_rate_ci95: tuple[float, float]
    identifiable: bool
    note: str


def simulate_rate_curve(
    rate_grid: np.ndarray,
    *,
    n_domains: int,
    correlation: float,
    n_astrocytes: int,
    duration_s: float,
    model: dict,
    seed: int,
    xp=np,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean microdomain event rate (events/min) and its SEM for each input rate.

    All candidates are integrated in one batch with common random numbers (the same
    underlying draws thinned to each rate), so the curve is smooth in the rate.
    """
    grid = np.asarray(rate_grid, float)
    rates = np.repeat(grid, n_astrocytes)
    dt = model["dt_s"]
    n_steps = int(round(duration_s / dt))
    rng = np.random.default_rng(seed)
    drive = poisson_drive(
        rng,
        AstrocyteInput(rates, np.full(len(rates), correlation)),
        n_domains=n_domains,
        n_steps=n_steps,
        dt_s=dt,
        replicate=np.tile(np.arange(n_astrocytes), len(grid)),
    )
    every = max(1, int(round(0.05 / dt)))
    rec = simulate_astrocytes(
        drive,
        xp,
        dt_s=dt,
        coupling_per_s=model["ip3_coupling_per_s"],
        ip3_pulse_uM=model["ip3_pulse_uM"],
        record_every=every,
        n_branches=model["n_branches"],
        ca_coupling_per_s=model["ca_coupling_per_s"],
    )
    ca = rec["ca"][:, :, :n_domains]  # microdomains only
    onsets = calcium_events(ca, threshold_uM=EVENT_THRESHOLD_UM, dt_s=every * dt)
    counts = np.array([len(o) for o in onsets], float).reshape(len(grid), n_astrocytes * n_domains)
    per_min = counts / (duration_s / 60.0)
    cell_means = per_min.reshape(len(grid), n_astrocytes, n_domains).mean(axis=2)
    sem = (
        cell_means.std(axis=1, ddof=1) / np.sqrt(n_astrocytes)
        if n_astrocytes > 1
        else np.zeros(len(grid))
    )
    return per_min.mean(axis=1), sem


def invert_rate_curve(
    grid: np.ndarray, simulated: np.ndarray, observed: float, ci: tuple[float, float]
) -> tuple[float, tuple[float, float], bool, str]:
    """Input rate whose simulated event rate equals ``observed`` (log-linear interpolation
    on the rising branch of the curve), with the CI mapped the same way."""
    top = int(np.argmax(simulated))
    g, s = np.asarray(grid[: top + 1], float), np.maximum.accumulate(simulated[: top + 1])
    note = ""
    identifiable = True
    if observed > s[-1]:
        identifiable = False
        note = (
            f"observed rate {observed:.3g}/min exceeds the model's largest simulated rate "
            f"{s[-1]:.3g}/min: input rate set to the rate giving the maximum"
        )
    elif observed < s[0]:
        identifiable = False
        note = (
            f"observed rate {observed:.3g}/min is below the model's rate at the smallest "
            f"candidate input ({s[0]:.3g}/min): input rate set to the smallest candidate"
        )

    def inv(value):
        value = float(np.clip(value, s[0], s[-1]))
        # interp needs increasing x: flat stretches are nudged
        x = s + np.arange(len(s)) * 1e-9
        return float(np.exp(np.interp(value, x, np.log(g))))

    return inv(observed), (inv(ci[0]), inv(ci[1])), identifiable, note


def fit_input_rate(stats: dict, *, model: dict, fit: dict, seed: int, xp=np) -> RateFit:
    """Fit the per-microdomain synaptic input rate to the observed microdomain event rate.

    The input correlation is set to the observed share of global events (not fitted here).
    """
    grid = np.asarray(fit["rate_grid_per_min"], float)
    n_domains = int(np.clip(stats["n_microdomains"], 1, 50))
    sim, sem = simulate_rate_curve(
        grid,
        n_domains=n_domains,
        correlation=stats["share_global"],
        n_astrocytes=fit["n_astrocytes"],
        duration_s=fit["duration_s"],
        model=model,
        seed=seed,
        xp=xp,
    )
    observed = stats["rate_per_min"]
    # the CI combines the observation's uncertainty with the simulation's Monte-Carlo error
    se_obs = (stats["rate_per_min_ci95"][1] - stats["rate_per_min_ci95"][0]) / (2 * 1.96)
    value, _, ok, note = invert_rate_curve(grid, sim, observed, (observed, observed))
    se_sim = float(np.interp(np.log(value), np.log(grid), sem))
    half = 1.96 * np.hypot(se_obs, se_sim)
    _, ci, _, _ = invert_rate_curve(grid, sim, observed, (observed - half, observed + half))
    return RateFit(grid, sim, sem, value, ci, ok, note)
