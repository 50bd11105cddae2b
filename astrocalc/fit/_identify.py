"""Which model parameters the observed statistics can identify, before fitting them.

The model astrocyte (``astrocalc.models.simulate_astrocytes``) has four free parameters:
the synaptic input rate per microdomain, the share of input common to all microdomains
(input correlation), the IP3 exchange rate between microdomains and soma (coupling) and
the IP3 added per input event (pulse). The data give four statistics of microdomain
activity: event rate, share of global events, mean pairwise correlation of microdomain
calcium, and median event duration.

Local identifiability (e.g. Raue et al. 2009 Bioinformatics 25:1923 for the profile view;
Gutenkunst et al. 2007 PLoS Comput Biol 3:e189 for "sloppy" directions) is read off the
sensitivity matrix S[i, k] = d statistic_i / d log parameter_k, each statistic divided by
its standard error for the recording's size: with common random numbers (the same seed
for every evaluation) S comes from central differences of simulated means. Its singular
values say how well each parameter combination is pinned down; the standard error of
each log-parameter, with the others free, is sqrt(diag((S^T S)^-1)). Parameters are set
aside one at a time, each time the one that dominates the sloppiest direction, until the
95 % interval of every one left is within +-20 %: those are identifiable from these
statistics; the others are reported as not identifiable and should be fixed, not
fitted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..events import classify, coactive_rois
from ..models import AstrocyteInput, calcium_event_runs, poisson_drive, simulate_astrocytes

PARAMETERS = ("rate_per_min", "correlation", "coupling_per_s", "ip3_pulse_uM")
STATISTICS = ("rate_per_min", "share_global", "mean_pairwise_r", "median_duration_s")
EVENT_THRESHOLD_UM = 0.3


def simulated_statistics(
    theta: dict,
    *,
    n_domains: int,
    n_astrocytes: int,
    duration_s: float,
    dt_s: float = 0.02,
    seed: int = 0,
    coactive_window_s: float = 2.0,
    global_fraction: float = 0.5,
    xp=np,
) -> np.ndarray:
    """The four :data:`STATISTICS` of each of ``n_astrocytes`` model astrocytes, (A, 4).

    Events are upward crossings of :data:`EVENT_THRESHOLD_UM` lasting 0.3 s, global when
    at least ``global_fraction`` of the microdomains start one within
    ``coactive_window_s`` (the pipeline's rule); duration is the event's time above threshold."""
    rng = np.random.default_rng(seed)
    n_steps = int(round(duration_s / dt_s))
    drive = poisson_drive(
        rng,
        AstrocyteInput(
            np.full(n_astrocytes, theta["rate_per_min"]),
            np.full(n_astrocytes, theta["correlation"]),
        ),
        n_domains=n_domains,
        n_steps=n_steps,
        dt_s=dt_s,
    )
    every = max(1, int(round(0.05 / dt_s)))
    rec = simulate_astrocytes(
        drive,
        xp,
        dt_s=dt_s,
        coupling_per_s=theta["coupling_per_s"],
        ip3_pulse_uM=theta["ip3_pulse_uM"],
        record_every=every,
    )
    ca = rec["ca"][:, :, :n_domains]  # microdomains
    step = every * dt_s
    out = np.full((n_astrocytes, len(STATISTICS)), np.nan)
    for a in range(n_astrocytes):
        cell = ca[:, a]
        onsets, runs = calcium_event_runs(cell, threshold_uM=EVENT_THRESHOLD_UM, dt_s=step)
        roi = np.concatenate([np.full(len(o), k) for k, o in enumerate(onsets)])
        times = np.concatenate(onsets) if len(roi) else np.zeros(0)
        durations = np.concatenate(runs)
        share = np.nan
        if len(roi):
            n_rois = coactive_rois(roi, times, window_s=coactive_window_s)
            kinds = classify(n_rois, n_domains, global_fraction=global_fraction)
            share = float((kinds == "global").mean())
        with np.errstate(invalid="ignore", divide="ignore"):  # a silent microdomain: NaN r
            r = np.corrcoef(cell.T)
        iu = np.triu_indices(n_domains, 1)
        out[a] = (
            len(roi) / n_domains / (duration_s / 60.0),
            share,
            float(np.nanmean(r[iu])) if np.isfinite(r[iu]).any() else np.nan,
            float(np.median(durations)) if len(durations) else np.nan,
        )
    return out


def _finite_mean(x: np.ndarray) -> np.ndarray:
    """Column means over the finite values (NaN where none), without warnings."""
    ok = np.isfinite(x)
    return np.where(
        ok.any(axis=0), np.where(ok, x, 0).sum(axis=0) / np.maximum(ok.sum(0), 1), np.nan
    )


def _finite_sd(x: np.ndarray) -> np.ndarray:
    """Column SDs (ddof 1) over the finite values (NaN where fewer than two)."""
    ok = np.isfinite(x)
    n = ok.sum(axis=0)
    dev = np.where(ok, x - _finite_mean(x), 0.0)
    return np.where(n > 1, np.sqrt((dev**2).sum(axis=0) / np.maximum(n - 1, 1)), np.nan)


@dataclass
class Identifiability:
    parameters: tuple
    statistics: tuple
    sensitivity: np.ndarray  # (n_stat, n_par): d(stat / se) / d log(parameter)
    singular_values: np.ndarray
    directions: np.ndarray  # rows: parameter combinations (log), stiffest first
    log_se: np.ndarray  # standard error of each identifiable log-parameter (inf: fixed)
    identifiable: np.ndarray  # bool per parameter: 95 % interval within +-20 %

    def report(self) -> dict:
        return {
            "parameters": list(self.parameters),
            "statistics": list(self.statistics),
            "relative_se": {
                p: float(np.expm1(se)) if np.isfinite(se) else None
                for p, se in zip(self.parameters, self.log_se, strict=True)
            },
            "identifiable": {
                p: bool(ok) for p, ok in zip(self.parameters, self.identifiable, strict=True)
            },
            "singular_values": self.singular_values.tolist(),
            "sloppiest_direction": {
                p: float(w) for p, w in zip(self.parameters, self.directions[-1], strict=True)
            },
        }


def local_identifiability(
    theta: dict,
    *,
    n_observed_domains: int,
    parameters: tuple = PARAMETERS,
    rel_step: float = 0.1,
    n_astrocytes: int = 8,
    n_domains: int = 20,
    duration_s: float = 120.0,
    seed: int = 0,
    xp=np,
) -> Identifiability:
    """Sensitivity of the mean statistics to each log-parameter around ``theta``.

    Statistics' standard errors are those of one recording with ``n_observed_domains``
    microdomains: the statistic's spread over the ``n_astrocytes`` simulated cells of
    ``n_domains`` microdomains each, scaled by sqrt(n_domains / n_observed_domains). Every
    evaluation uses the same seed. ``correlation`` must stay below 1 / exp(rel_step).
    """

    def mean_stats(values: dict) -> tuple[np.ndarray, np.ndarray]:
        s = simulated_statistics(
            values,
            n_domains=n_domains,
            n_astrocytes=n_astrocytes,
            duration_s=duration_s,
            seed=seed,
            xp=xp,
        )
        return _finite_mean(s), _finite_sd(s)

    _, spread = mean_stats(theta)
    se = np.maximum(spread * np.sqrt(n_domains / max(n_observed_domains, 1)), 1e-9)
    sens = np.zeros((len(STATISTICS), len(parameters)))
    for k, name in enumerate(parameters):
        up = dict(theta, **{name: theta[name] * np.exp(rel_step)})
        down = dict(theta, **{name: theta[name] * np.exp(-rel_step)})
        sens[:, k] = (mean_stats(up)[0] - mean_stats(down)[0]) / (2 * rel_step) / se
    sens = np.nan_to_num(sens)
    _, sv, vt = np.linalg.svd(sens, full_matrices=False)
    # fix, one at a time, the parameter that dominates the sloppiest direction of those
    # still free, until every free one is pinned within +-20 % (95 %)
    free = list(range(len(parameters)))
    log_se = np.full(len(parameters), np.inf)
    while free:
        sub = sens[:, free]
        _, sub_sv, sub_vt = np.linalg.svd(sub, full_matrices=False)
        if sub_sv.min() > 1e-9 * max(sub_sv.max(), 1e-300):
            cov = np.linalg.inv(sub.T @ sub)
            par_se = np.sqrt(np.clip(np.diag(cov), 0, None))
            if (1.96 * par_se < np.log(1.2)).all():
                log_se[free] = par_se
                break
        free.pop(int(np.argmax(np.abs(sub_vt[-1]))))
    identifiable = np.isfinite(log_se)
    return Identifiability(tuple(parameters), STATISTICS, sens, sv, vt, log_se, identifiable)
