"""Fit the identifiable model parameters to a recording's statistics, with uncertainty.

Simulation-based least squares with common random numbers: the residuals are the
differences between the simulated mean statistics (:func:`forward_statistics`, every
candidate seeing the same random draws, so the objective is smooth in the parameters)
and the observed ones, in units of their standard error for a recording of this size.
They are minimised over the log-parameters by Levenberg-Marquardt with the Jacobian from
central differences (each iteration is one batch of model astrocytes). Which parameters
are fitted is decided first (:func:`identify` at the starting point, with a 95 % interval
within a factor of 2 as the bar: practically identifiable); the rest keep their starting
values and are reported as not identifiable. The 95 % intervals come from the Jacobian
at the optimum (Gauss-Newton covariance of the log-parameters, sqrt(diag((J^T J)^-1)),
with every fitted parameter free, so one poorly pinned parameter widens the others'
intervals; it includes the simulation's Monte-Carlo error through the standard errors).
The identifiability report at the fit applies the stricter bar of +-20 %
(:data:`RELATIVE_TOLERANCE`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ._forward import MEASURES, PARAMETERS, STATISTICS, ForwardModel
from ._identify import (
    Identifiability,
    Sensitivity,
    design,
    finite_mean,
    identify,
)

BOUNDS = {
    "local_rate_per_min": (0.01, 30.0),
    "shared_rate_per_min": (0.01, 30.0),
    "ip3_pulse_uM": (0.05, 5.0),
    "coupling_per_s": (1e-4, 10.0),
}
MAX_LOG_STEP = 0.7  # at most a factor of 2 per iteration
# a parameter is fitted where its 95 % interval, the others free, is within a factor of 2
# (practically identifiable, Raue et al. 2009); reported as identified where within +-20 %
FIT_TOLERANCE = 1.0
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
    start: Identifiability  # at the starting point: decides what is fitted
    final: Identifiability  # at the fit
    history: list = field(default_factory=list)  # (chi2, values) per accepted step

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
    se_scale: float = 1.0,
) -> ParameterFit:
    """Fit :data:`PARAMETERS` to ``observed`` :data:`STATISTICS` (NaN: not used).

    Parameters
    ----------
    observed : array (n_stat,)
        The recording's statistics (:func:`observed_statistics`).
    forward : ForwardModel
        Model astrocytes imitating the recording (its size, frame rate and noise).
    start : dict
        Starting values of every parameter; those found not identifiable keep them.
    tolerance : float
        Stop when no fitted log-parameter moves more than this (or when a step lowers
        the chi-square by less than :data:`CHI2_TOLERANCE`).
    se_scale : float
        See :func:`simulated_size`.
    """
    observed = np.asarray(observed, float)
    used = np.isfinite(observed)

    def batch(theta, names):
        sens = Sensitivity.from_batch(forward(design(theta, rel_step, names)), rel_step, se_scale)
        resid = np.nan_to_num(np.where(used, (sens.mean - observed) / sens.se, 0.0))
        return sens, resid

    theta = _clip(dict(start))
    if not used.any():  # nothing observed: nothing to simulate, nothing identifiable
        nothing = identify(np.zeros((0, len(PARAMETERS))))
        blank = np.full(len(STATISTICS), np.nan)
        return ParameterFit(
            theta, {}, (), observed, blank, blank, blank, 0.0, 0, True, nothing, nothing
        )
    sens, resid = batch(theta, PARAMETERS)
    first = identify(sens.matrix[used], tolerance=FIT_TOLERANCE)
    fitted = tuple(p for p, ok in zip(PARAMETERS, first.identifiable, strict=True) if ok)
    chi2 = float(resid @ resid)
    lam, converged, iterations = 1e-2, not fitted, 0
    history = [(chi2, dict(theta))]
    jac = sens.matrix[:, [PARAMETERS.index(p) for p in fitted]]
    while fitted and not converged and iterations < max_iterations:
        iterations += 1
        jac = jac * used[:, None]
        jtj = jac.T @ jac
        step = np.linalg.solve(jtj + lam * np.diag(np.diag(jtj) + 1e-12), -jac.T @ resid)
        step = np.clip(step, -MAX_LOG_STEP, MAX_LOG_STEP)
        proposal = _clip(
            dict(theta, **{p: theta[p] * np.exp(s) for p, s in zip(fitted, step, strict=True)})
        )
        # a step that moves nothing (a bound holds it) ends the search as well
        moved = max(abs(np.log(proposal[p] / theta[p])) for p in fitted)
        if moved < tolerance:
            converged = True
            break
        p_sens, p_resid = batch(proposal, fitted)
        p_chi2 = float(p_resid @ p_resid)
        if p_chi2 <= chi2:
            # a step that no longer lowers the misfit measurably ends the search
            converged = chi2 - p_chi2 < CHI2_TOLERANCE
            theta, resid, chi2, jac = proposal, p_resid, p_chi2, p_sens.matrix
            history.append((chi2, dict(theta)))
            lam = max(lam / 3, 1e-4)
        else:
            lam *= 4
    # every parameter's sensitivity at the fit: the identifiability report and the intervals
    if len(history) > 1:
        sens, resid = batch(theta, PARAMETERS)
        chi2 = float(resid @ resid)
    jac = sens.matrix[:, [PARAMETERS.index(p) for p in fitted]] * used[:, None]
    ci = {}
    if fitted:
        cov = np.linalg.pinv(jac.T @ jac)
        # a barely sensitive parameter has an interval wider than floats hold: (0, inf)
        log_se = np.minimum(np.sqrt(np.clip(np.diag(cov), 0, None)), 300.0)
        for p, s in zip(fitted, log_se, strict=True):
            ci[p] = (theta[p] * float(np.exp(-1.96 * s)), theta[p] * float(np.exp(1.96 * s)))
    return ParameterFit(
        values=theta,
        ci95=ci,
        fitted=fitted,
        observed=observed,
        simulated=sens.mean,
        simulated_sd=sens.se / np.sqrt(se_scale**2 + 1 / forward.n_astrocytes),
        se=sens.se,
        chi2=chi2,
        iterations=iterations,
        converged=converged,
        start=first,
        final=identify(sens.matrix[used]),
        history=history,
    )


def calibrate_indicator(
    observed_amplitude_dff: float | None, forward: ForwardModel, theta: dict, *, rounds: int = 2
) -> ForwardModel:
    """``forward`` with the indicator's saturation dF/F at which the model's median event
    amplitude (at ``theta``) equals the observed one. Amplitude in dF/F scales with the
    indicator's brightness in the cell, which the model cannot know; it is not fitted, it
    calibrates. Rescaled ``rounds`` times (detection depends on the amplitude, so not
    exactly proportional). Unchanged where either amplitude is missing."""
    amp = MEASURES.index("median_amplitude_dff")
    for _ in range(rounds):
        if observed_amplitude_dff is None or not np.isfinite(observed_amplitude_dff):
            break
        simulated = float(finite_mean(forward([theta])[0, :, amp]))
        if not np.isfinite(simulated) or simulated <= 0:
            break
        ind = forward.indicator
        scaled = replace(
            ind, dff_saturation=ind.dff_saturation * observed_amplitude_dff / simulated
        )
        forward = replace(forward, indicator=scaled)
    return forward
