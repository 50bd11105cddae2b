"""Condition-level estimates: recordings' fits pooled by a random-effects model."""

import numpy as np
import pandas as pd
import pytest

from astrocalc.compare import condition_estimates

PRIOR_SD = np.log(4) / 1.96


def _posterior(lik_mean, lik_sd, prior_mean):
    """The Gaussian posterior of a log-parameter from a likelihood and the fit's prior."""
    prec = 1 / lik_sd**2 + 1 / PRIOR_SD**2
    return (lik_mean / lik_sd**2 + prior_mean / PRIOR_SD**2) / prec, np.sqrt(1 / prec)


def _fits(rows):
    out = []
    for sample, group, lik_mean, lik_sd, prior_mean in rows:
        if lik_sd is None:  # the statistics say nothing: the posterior is the prior
            mean, sd = prior_mean, PRIOR_SD
        else:
            mean, sd = _posterior(lik_mean, lik_sd, prior_mean)
        out.append(
            dict(sample=sample, condition=group, parameter="shared_rate_per_min",
                 log_mean=mean, log_sd=sd, prior_log_mean=prior_mean, prior_log_sd=PRIOR_SD)
        )  # fmt: skip
    return pd.DataFrame(out)


def test_pooling_recovers_the_condition_and_fills_an_unpinned_recording():
    """Three young recordings whose statistics pin the log shared rate near log 2 (their
    priors elsewhere), one whose statistics say nothing: the condition's value is 2 (the
    priors divided out), no spread between recordings is detected, and the unpinned
    recording takes the condition's value instead of its prior's 0.5."""
    log2 = np.log(2.0)
    fits = _fits(
        [
            ("y1", "young", log2 + 0.05, 0.1, 0.0),
            ("y2", "young", log2 - 0.05, 0.1, np.log(3.0)),
            ("y3", "young", log2, 0.1, np.log(0.3)),
            ("y4", "young", None, None, np.log(0.5)),
            ("o1", "old", np.log(0.2), 0.1, 0.0),
            ("o2", "old", np.log(0.2), 0.1, 0.0),
        ]
    )
    est = condition_estimates(fits, "condition").set_index(["condition", "level", "sample"])
    young = est.loc[("young", "condition", "")]
    assert young.value == pytest.approx(2.0, rel=0.01)
    assert young.ci95_low < 2.0 < young.ci95_high and young.ci95_high / young.ci95_low < 1.3
    assert young.between_recording_sd_log == 0 and young.n_recordings == 4
    assert est.loc[("young", "recording", "y4")].value == pytest.approx(2.0, rel=0.01)
    assert est.loc[("old", "condition", "")].value == pytest.approx(0.2, rel=0.01)


def test_pooling_keeps_real_differences_between_recordings():
    """Recordings that differ by far more than their uncertainty: a between-recording SD
    near the spread of their values, each recording keeping its own value."""
    values = np.log([0.5, 1.0, 2.0, 4.0])
    fits = _fits([(f"r{k}", "a", v, 0.05, v) for k, v in enumerate(values)])
    est = condition_estimates(fits, "condition")
    cond = est[est.level == "condition"].iloc[0]
    assert cond.between_recording_sd_log == pytest.approx(np.std(values, ddof=1), rel=0.2)
    rec = est[est.level == "recording"].value.to_numpy()
    np.testing.assert_allclose(np.log(rec), values, atol=0.02)


def test_a_recording_without_a_fit_adds_nothing(tmp_path):
    """A recording without events has no interval (parameters.json ci95 null): it enters
    the pooling as its prior, which the condition's value does not move towards."""
    import json

    from astrocalc.compare import fitted_parameters

    def write(sample, value, ci):
        entry = {"value": value, "ci95": ci, "prior": {"centre": 0.5, "sd_log": PRIOR_SD}}
        d = tmp_path / sample / "fit"
        d.mkdir(parents=True)
        body = {"shared_rate_per_min": entry, "local_rate_per_min": entry}
        (d / "parameters.json").write_text(json.dumps(body))

    write("a", 2.0, [1.8, 2.2])
    write("b", 2.0, [1.8, 2.2])
    write("c", 0.5, None)
    samples = pd.DataFrame({"sample": ["a", "b", "c"], "condition": ["x", "x", "x"]})
    est = condition_estimates(fitted_parameters(samples, tmp_path, "condition"), "condition")
    cond = est[(est.level == "condition") & (est.parameter == "shared_rate_per_min")].iloc[0]
    assert cond.value == pytest.approx(2.0, rel=0.05)
