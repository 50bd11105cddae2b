"""Fit the model parameters to a recording's statistics, with uncertainty.

Simulation-based inference with a Gaussian synthetic likelihood (Wood 2010 Nature
466:1102) and common random numbers: the residuals are the differences between the
simulated mean statistics (:func:`forward_statistics`, every candidate seeing the same
random draws, so the objective is smooth in the parameters) and the observed ones, in
units of their standard error for a recording of this size (the spread over model
astrocytes). With a weak log-normal prior on every parameter, the posterior mode is
found by Levenberg-Marquardt over the log-parameters with the Jacobian from central
differences (each iteration is one batch of model astrocytes), and the posterior is
approximated by a Gaussian there. The residuals treat the statistics as independent,
while several move with the same few events (the global rate, pairwise r, the co-active
share and the onset spread all with the number of waves); the covariance is therefore
the sandwich A^-1 B A^-1 (:func:`_sandwich`), A = J^T J + prior precision, B = J^T R J +
prior precision, with R the statistics' correlation over model recordings at the mode:
with R = I it is the Laplace approximation (J^T J + prior precision)^-1. Both include
the simulation's Monte-Carlo error through the standard errors. :func:`posterior_draws`
samples it; :func:`predictive_check` checks the model against the recording with
recordings simulated at those draws. A parameter is identified where the statistics pin
it (:func:`identify`) and its 95 % interval is within +-20 %
(:data:`RELATIVE_TOLERANCE`).

A full sampler over the synthetic likelihood (MCMC, ABC-SMC) would need about a hundred
times the simulations of this fit, beyond the two minutes a fit may take on a laptop;
the Gaussian approximation is checked by the model-recovery benchmark (do the 95 %
intervals cover the truth?).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np

from ..backend import map_threads
from ._forward import MEASURES, PARAMETERS, STATISTICS, ForwardModel
from ._identify import (
    RELATIVE_TOLERANCE,
    Identifiability,
    Sensitivity,
    design,
    finite_correlation,
    finite_mean,
    identify,
)

BOUNDS = {
    "local_rate_per_min": (0.01, 30.0),
    "shared_rate_per_min": (0.01, 30.0),
    "ip3_pulse_uM": (0.05, 5.0),
    "coupling_per_s": (1e-4, 10.0),
    # event durations from about 0.5 s to a minute (Li-Rinzel's own: about 3 s)
    "kinetic_speed": (0.05, 8.0),
    "pulse_cv": (0.02, 3.0),
    "speed_cv": (0.02, 2.0),
    "gain_cv": (0.02, 2.0),
    # from a crawl to all but at once across a cell of 50 um (published waves: 5-30 um/s)
    "wave_speed_um_s": (0.5, 500.0),
}
MAX_LOG_STEP = 0.7  # at most a factor of 2 per iteration
# the prior on every log-parameter around its starting value: 95 % within a factor of 4
PRIOR_SD = float(np.log(4.0) / 1.96)
# model recordings at the fit for the statistics' correlation (its sampling error about
# 1 / sqrt(64) = 0.13; one parameter set: a third of one iteration's simulations)
CORRELATION_ASTROCYTES = 64
# model recordings per parameter set, and the log-step, of the sensitivities behind the
# intervals and the identifiability at the fit (the search's own, FitSettings.n_astrocytes
# recordings at steps of 0.1, only steer it). A rate's central difference counts the input
# events that thin in or out between its two steps: with 8 recordings and steps of 0.1
# those are a handful, and one recording's shared-rate information (S'S) came out 5-61
# from five sets of random numbers, against 11-15 with 32 recordings and steps of 0.25.
# Squared, that noise narrows an interval more often than it widens one.
COVARIANCE_ASTROCYTES, COVARIANCE_STEP = 32, 0.25
CHI2_TOLERANCE = 0.01  # chi-square units: a hundredth of one standard error squared


@dataclass
class ParameterFit:
    values: dict  # every parameter: fitted or fixed
    ci95: dict  # fitted parameters: (low, high)
    fitted: tuple  # names of the fitted parameters
    observed: np.ndarray  # (n_stat,)
    simulated: np.ndarray  # (n_stat,) mean at the fit
    simulated_sd: np.ndarray  # (n_stat,) spread over model astrocytes at the fit
    se: np.ndarray  # (n_stat,) residual scale
    chi2: float
    iterations: int
    converged: bool
    start: Identifiability  # at the starting point
    final: Identifiability  # at the fit
    history: list = field(default_factory=list)  # (objective, values) per accepted step
    covariance: np.ndarray | None = None  # posterior covariance of the log-parameters
    prior_centre: dict = field(default_factory=dict)  # every parameter's prior median
    prior_sd: dict = field(default_factory=dict)  # every parameter's prior SD (natural log)

    def report(self) -> dict:
        from scipy.stats import chi2

        used = np.isfinite(self.observed)
        dof = int(used.sum()) - len(self.fitted)
        return {
            "fitted": list(self.fitted),
            "chi2": self.chi2,
            "degrees_of_freedom": dof,
            # small: the model cannot reproduce these statistics at any fitted values
            "p_value": float(chi2.sf(self.chi2, dof)) if dof > 0 else None,
            "iterations": self.iterations,
            "converged": self.converged,
            "statistics": {
                s: {
                    "observed": _num(o),
                    "simulated": _num(m),
                    "simulated_sd": _num(d),
                    "se": _num(e),
                }
                for s, o, m, d, e in zip(
                    STATISTICS,
                    self.observed,
                    self.simulated,
                    self.simulated_sd,
                    self.se,
                    strict=True,
                )  # fmt: skip
            },
        }


def _statistic_correlation(forward: ForwardModel, theta: dict, used: np.ndarray) -> np.ndarray:
    """Correlation between the ``used`` statistics over model recordings at ``theta``
    (:data:`CORRELATION_ASTROCYTES` of them, random numbers of their own)."""
    sims = replace(forward, n_astrocytes=CORRELATION_ASTROCYTES, seed=forward.seed + 104729)(
        [theta]
    )[0, :, : len(STATISTICS)]
    return finite_correlation(sims[:, used])


def _precise_sensitivity(
    forward: ForwardModel, theta: dict, se_scale: float | np.ndarray
) -> Sensitivity:
    """Sensitivities at ``theta`` for the intervals and the identifiability at the fit:
    :data:`COVARIANCE_ASTROCYTES` model recordings per parameter set (random numbers of
    their own), steps of :data:`COVARIANCE_STEP` in log."""
    more = replace(forward, n_astrocytes=COVARIANCE_ASTROCYTES, seed=forward.seed + 7919)
    stats = more(design(theta, COVARIANCE_STEP))
    return Sensitivity.from_batch(stats, COVARIANCE_STEP, se_scale)


def _sandwich(sensitivity: np.ndarray, prior_jac: np.ndarray, correlation: np.ndarray):
    """Covariance of the log-parameters at the mode of the fit's objective, whose residuals
    are the statistics each in its own standard errors (``sensitivity``: d residual / d
    log parameter), while the statistics are correlated (``correlation``). A^-1 B A^-1 with
    A = S'S + P'P, B = S'RS + P'P (the estimating-equation sandwich: Godambe 1960;
    White 1982 Econometrica 50:1): with R = I it is the Laplace (S'S + P'P)^-1; statistics
    moved by the same few events (the global rate, r, co-active share and onset spread all
    by the wave count) add less than independent ones would, and the intervals widen."""
    a = sensitivity.T @ sensitivity + prior_jac.T @ prior_jac
    b = sensitivity.T @ correlation @ sensitivity + prior_jac.T @ prior_jac
    a_inv = np.linalg.inv(a)
    cov = a_inv @ b @ a_inv
    return (cov + cov.T) / 2


def _num(x) -> float | None:
    return float(x) if np.isfinite(x) else None


def _clip(theta: dict) -> dict:
    return {k: float(np.clip(v, *BOUNDS[k])) for k, v in theta.items()}


def fit_parameters(
    observed: np.ndarray,
    forward: ForwardModel,
    start: dict,
    *,
    max_iterations: int = 8,
    rel_step: float = 0.1,
    tolerance: float = 0.01,
    se_scale: float | np.ndarray = 1.0,
    prior_sd: float | dict = PRIOR_SD,
) -> ParameterFit:
    """Fit :data:`PARAMETERS` to ``observed`` :data:`STATISTICS` (NaN: not used).

    Every parameter is fitted, with a weak log-normal prior centred on its starting value
    (SD ``prior_sd`` in natural log, one for all or per parameter, :data:`PRIOR_SD` for
    those a mapping leaves out: 95 % within a factor of 4 either way): where the
    statistics pin a parameter the prior does not matter; where they do not (the report's
    identifiability says which), the fit and its interval stay near the prior instead of
    wandering along a flat direction. The fit is the posterior mode under the Gaussian
    synthetic likelihood; the intervals come from the curvature there, with sensitivities
    measured again on more model recordings (:func:`_precise_sensitivity`), widened where
    the statistics are correlated (:func:`_sandwich`). A parameter counts as identified where
    the statistics pin it (:func:`identify`) and its 95 % interval is within +-20 %.

    Parameters
    ----------
    observed : array (n_stat,)
        The recording's statistics (:func:`observed_statistics`).
    forward : ForwardModel
        Model astrocytes imitating the recording (its size, frame rate and noise).
    start : dict
        Starting values of every parameter, also the prior's centre.
    tolerance : float
        Stop when no log-parameter moves more than this (or when a step lowers the
        objective by less than :data:`CHI2_TOLERANCE`).
    se_scale : float or array (n_stat,)
        See :func:`simulated_size`.
    """
    observed = np.asarray(observed, float)
    used = np.isfinite(observed)
    theta = _clip(dict(start))
    centre = np.log([theta[p] for p in PARAMETERS])
    if not isinstance(prior_sd, dict):
        prior_sd = dict.fromkeys(PARAMETERS, prior_sd)
    prior_sd = {p: float(prior_sd.get(p, PRIOR_SD)) for p in PARAMETERS}
    prior_scale = np.array([prior_sd[p] for p in PARAMETERS])
    if not used.any():  # nothing observed: nothing to simulate, nothing identifiable
        nothing = identify(np.zeros((0, len(PARAMETERS))))
        blank = np.full(len(STATISTICS), np.nan)
        return ParameterFit(
            theta, {}, (), observed, blank, blank, blank, 0.0, 0, True, nothing, nothing,
            prior_centre=dict(theta), prior_sd=prior_sd,
        )  # fmt: skip

    def batch(theta):
        sens = Sensitivity.from_batch(forward(design(theta, rel_step)), rel_step, se_scale)
        resid = np.nan_to_num(np.where(used, (sens.mean - observed) / sens.se, 0.0))
        prior = (np.log([theta[p] for p in PARAMETERS]) - centre) / prior_scale
        return sens, resid, prior

    def objective(resid, prior):
        return float(resid @ resid + prior @ prior)

    sens, resid, prior = batch(theta)
    first = identify(sens.matrix[used])
    value = objective(resid, prior)
    lam, converged, iterations = 1e-2, False, 0
    history = [(value, dict(theta))]
    prior_jac = np.diag(1.0 / prior_scale)
    while not converged and iterations < max_iterations:
        iterations += 1
        jac = np.vstack([sens.matrix * used[:, None], prior_jac])
        r = np.concatenate([resid, prior])
        jtj = jac.T @ jac
        step = np.linalg.solve(jtj + lam * np.diag(np.diag(jtj) + 1e-12), -jac.T @ r)
        step = np.clip(step, -MAX_LOG_STEP, MAX_LOG_STEP)
        proposal = _clip(
            {p: theta[p] * float(np.exp(d)) for p, d in zip(PARAMETERS, step, strict=True)}
        )
        # a step that moves nothing (a bound holds it) ends the search as well
        moved = max(abs(np.log(proposal[p] / theta[p])) for p in PARAMETERS)
        if moved < tolerance:
            converged = True
            break
        p_sens, p_resid, p_prior = batch(proposal)
        p_value = objective(p_resid, p_prior)
        if p_value <= value:
            # a step that no longer lowers the objective measurably ends the search
            converged = value - p_value < CHI2_TOLERANCE
            theta, sens, resid, prior, value = proposal, p_sens, p_resid, p_prior, p_value
            history.append((value, dict(theta)))
            lam = max(lam / 3, 1e-4)
        else:
            lam *= 4
    precise = _precise_sensitivity(forward, theta, se_scale)
    cov = _sandwich(precise.matrix[used], prior_jac, _statistic_correlation(forward, theta, used))
    log_se = np.sqrt(np.clip(np.diag(cov), 0, None))
    final = identify(precise.matrix[used])
    pinned = 1.96 * log_se < np.log(1 + RELATIVE_TOLERANCE)
    ci = {
        p: (theta[p] * float(np.exp(-1.96 * s)), theta[p] * float(np.exp(1.96 * s)))
        for p, s in zip(PARAMETERS, log_se, strict=True)
    }
    return ParameterFit(
        values=theta,
        ci95=ci,
        fitted=PARAMETERS,
        observed=observed,
        simulated=sens.mean,
        simulated_sd=sens.se / np.sqrt(se_scale**2 + 1 / forward.n_astrocytes),
        se=sens.se,
        chi2=float(resid @ resid),
        iterations=iterations,
        converged=converged,
        start=first,
        final=replace(
            final,
            identifiable=final.identifiable & pinned,
            log_se=np.where(pinned, final.log_se, np.inf),
        ),
        history=history,
        covariance=cov,
        prior_centre={p: float(np.exp(c)) for p, c in zip(PARAMETERS, centre, strict=True)},
        prior_sd=prior_sd,
    )


def calibrate_indicator(
    observed_amplitude_dff: float | None, forward: ForwardModel, theta: dict, *, rounds: int = 2
) -> ForwardModel:
    """``forward`` with the indicator's saturation dF/F at which the model's median event
    amplitude (at ``theta``) equals the observed one. Amplitude in dF/F scales with the
    indicator's brightness in the cell, which the model cannot know; it is not fitted, it
    calibrates. Rescaled ``rounds`` times (detection depends on the amplitude, so not
    exactly proportional). Unchanged where either amplitude is missing."""
    for _ in range(rounds):
        ratio = _simulated_ratio(forward, theta, "median_amplitude_dff", observed_amplitude_dff)
        if ratio is None:
            break
        ind = forward.indicator
        scaled = replace(ind, dff_saturation=ind.dff_saturation / ratio)
        forward = replace(forward, indicator=scaled)
    return forward


def start_kinetic_speed(
    observed_duration_s: float | None, forward: ForwardModel, theta: dict, *, rounds: int = 2
) -> float:
    """A starting kinetic speed at which the model's median event duration (at ``theta``)
    is near the observed one: durations scale about as 1 / speed, so the speed is
    multiplied by simulated / observed duration, ``rounds`` times, within :data:`BOUNDS`.
    ``theta``'s own speed where either duration is missing."""
    speed = theta["kinetic_speed"]
    for _ in range(rounds):
        trial = dict(theta, kinetic_speed=speed)
        ratio = _simulated_ratio(forward, trial, "median_duration_s", observed_duration_s)
        if ratio is None:
            break
        speed = float(np.clip(speed * ratio, *BOUNDS["kinetic_speed"]))
    return speed


def _simulated_ratio(forward: ForwardModel, theta: dict, measure: str, observed) -> float | None:
    """The model's mean ``measure`` at ``theta`` over the observed one; None where either
    is missing or not positive."""
    if observed is None or not np.isfinite(observed) or observed <= 0:
        return None
    simulated = float(finite_mean(forward([theta])[0, :, MEASURES.index(measure)]))
    return simulated / observed if np.isfinite(simulated) and simulated > 0 else None


@dataclass
class PredictiveCheck:
    """The observed statistics against the model's posterior predictive distribution:
    statistics of recordings of the observed one's size, each simulated at a parameter set
    drawn from the fit's posterior (its Gaussian approximation in log-parameters)."""

    observed: np.ndarray  # (n_stat,)
    simulated: np.ndarray  # (n, n_stat) one row per simulated recording, scaled to its size
    discrepancy: float  # observed: sum over used statistics of robust z-scores squared
    p_value: float  # share of simulated recordings at least as discrepant (Monte Carlo)
    statistic_p: np.ndarray  # (n_stat,) two-sided Monte Carlo p per statistic (NaN: unused)

    @property
    def describes(self) -> bool:
        return bool(self.p_value >= PREDICTIVE_P)

    def report(self) -> dict:
        with warnings.catch_warnings():  # a statistic no simulated recording has: NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            q = np.nanpercentile(self.simulated, [2.5, 50, 97.5], axis=0)
        q = np.broadcast_to(q, (3, len(STATISTICS)))  # no simulated recording: NaN
        return {
            "p_value": _num(self.p_value),
            "describes_recording": self.describes if np.isfinite(self.p_value) else None,
            "discrepancy": float(self.discrepancy),
            "n_simulated": int(len(self.simulated)),
            "statistics": {
                s: {
                    "observed": _num(o),
                    "predictive_median": _num(m),
                    "predictive_95": [_num(lo), _num(hi)],
                    "p_value": _num(p),
                }
                for s, o, lo, m, hi, p in zip(
                    STATISTICS, self.observed, *q, self.statistic_p, strict=True
                )
            },
            "method": "posterior predictive check: model recordings the size of this one, "
            "each at parameters drawn from the fit's posterior (Gaussian in log-parameters, "
            "its sandwich covariance), fresh random numbers; discrepancy = sum over "
            "statistics of ((x - predictive median) / (1.4826 MAD))^2; p = share of the "
            "simulated recordings (plus the observed one) at least as discrepant; per "
            "statistic the same, two-sided, on its own rank",
        }

    def sentence(self) -> str:
        if not np.isfinite(self.p_value):
            return "nothing to check the model against (too few events or microdomains)"
        if self.describes:
            return (
                f"the model describes this recording (posterior predictive p = "
                f"{self.p_value:.2g}, {len(self.simulated)} simulated recordings)"
            )
        worst = [
            s
            for s, p in sorted(zip(STATISTICS, self.statistic_p, strict=True), key=lambda x: x[1])
            if np.isfinite(p) and p < 0.05
        ]
        return (
            f"the model does not describe this recording (posterior predictive p = "
            f"{self.p_value:.2g}); outside its 95 % predictive range: "
            f"{', '.join(worst) or 'no statistic alone'}"
        )


PREDICTIVE_P = 0.01  # below: the model does not describe the recording


def posterior_draws(fit: ParameterFit, n: int, rng) -> list[dict]:
    """``n`` parameter sets from the fit's posterior (Gaussian in the log-parameters with
    the fit's covariance), within :data:`BOUNDS`; the fit itself where it has none."""
    if fit.covariance is None:
        return [dict(fit.values) for _ in range(n)]
    names = list(fit.fitted)
    mean = np.log([fit.values[p] for p in names])
    logs = rng.multivariate_normal(mean, fit.covariance, size=n, method="eigh")
    return [
        _clip(dict(fit.values, **{p: float(np.exp(v)) for p, v in zip(names, row, strict=True)}))
        for row in logs
    ]


def predictive_check(
    fit: ParameterFit,
    forward: ForwardModel,
    *,
    n: int = 199,
    per_draw: int = 8,
    se_scale: float | np.ndarray = 1.0,
    seed: int = 0,
) -> PredictiveCheck:
    """Simulate ``n`` recordings, ``per_draw`` at each of n / per_draw posterior draws
    (:func:`posterior_draws`; seeds of their own, not the fit's common random numbers), and
    place the observed statistics in their distribution. Monte Carlo p-values: with 199
    recordings the smallest is 0.005, so a check at 0.01 can fail.

    Each simulated recording has the simulated size (``forward.recording``); where that is
    smaller than the observed one, its deviations from the predictive median are shrunk by
    ``se_scale`` (:func:`simulated_size`)."""
    observed = np.asarray(fit.observed, float)
    if not np.isfinite(observed).any():  # nothing observed: nothing to check
        blank = np.full(len(STATISTICS), np.nan)
        none = np.full((0, len(STATISTICS)), np.nan)
        return PredictiveCheck(observed, none, np.nan, np.nan, blank)
    rng = np.random.default_rng([seed, 17])
    draws = posterior_draws(fit, -(-n // per_draw), rng)

    def simulate(k: int) -> np.ndarray:
        at = replace(forward, n_astrocytes=per_draw, seed=forward.seed + 7919 * (k + 1))
        return at([draws[k]])[0, :, : len(STATISTICS)]

    sims = np.concatenate(map_threads(simulate, list(range(len(draws))), forward.xp))[:n]
    with warnings.catch_warnings():  # a statistic no simulated recording has: NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        centre = np.nanmedian(sims, axis=0)
        sims = centre + (sims - centre) * se_scale
        scale = 1.4826 * np.nanmedian(np.abs(sims - centre), axis=0)
    used = np.isfinite(observed) & np.isfinite(scale) & (scale > 0)
    used &= np.isfinite(sims).mean(axis=0) > 0.5  # a statistic most recordings lack: unused
    z_obs = (observed[used] - centre[used]) / scale[used]
    z_sim = np.nan_to_num((sims[:, used] - centre[used]) / scale[used])
    d_obs = float((z_obs**2).sum())
    d_sim = (z_sim**2).sum(axis=1)
    p = float((1 + (d_sim >= d_obs).sum()) / (len(d_sim) + 1)) if used.any() else np.nan
    statistic_p = np.full(len(STATISTICS), np.nan)
    for k in np.flatnonzero(used):
        col = sims[:, k][np.isfinite(sims[:, k])]
        tail = min((col >= observed[k]).sum(), (col <= observed[k]).sum())
        statistic_p[k] = min(1.0, 2 * (1 + tail) / (len(col) + 1))
    return PredictiveCheck(observed, sims, d_obs, p, statistic_p)
