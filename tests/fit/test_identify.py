"""Local identifiability of the model's parameters from the event statistics."""

import numpy as np
import pytest

from astrocalc.fit import PARAMETERS, STATISTICS, local_identifiability, simulated_statistics

THETA = {"rate_per_min": 2.0, "correlation": 0.3, "coupling_per_s": 0.05, "ip3_pulse_uM": 0.6}


def test_statistics_follow_their_parameters():
    """More input, more events; more shared input, more global events and higher r."""
    kw = dict(n_domains=12, n_astrocytes=4, duration_s=120, seed=3)
    base = np.nanmean(simulated_statistics(THETA, **kw), axis=0)
    more_input = np.nanmean(simulated_statistics(dict(THETA, rate_per_min=4.0), **kw), axis=0)
    shared = np.nanmean(simulated_statistics(dict(THETA, correlation=0.8), **kw), axis=0)
    rate, share, r = (
        STATISTICS.index(s) for s in ("rate_per_min", "share_global", "mean_pairwise_r")
    )
    assert more_input[rate] > 1.3 * base[rate]
    assert shared[share] > base[share] + 0.2 and shared[r] > base[r] + 0.2


@pytest.fixture(scope="module")
def result():
    return local_identifiability(THETA, n_observed_domains=30)


def test_coupling_is_the_sloppy_parameter(result):
    """Weak IP3 exchange with the soma barely moves any statistic: the sloppiest direction
    is almost pure coupling, which is therefore reported, not fitted."""
    sloppiest = np.abs(result.directions[-1])
    assert PARAMETERS[int(np.argmax(sloppiest))] == "coupling_per_s"
    assert sloppiest.max() > 0.9
    assert result.singular_values[-1] < 0.05 * result.singular_values[0]
    assert not result.identifiable[PARAMETERS.index("coupling_per_s")]
    report = result.report()
    assert report["identifiable"]["coupling_per_s"] is False
    assert report["relative_se"]["coupling_per_s"] is None


def test_identifiable_parameters_have_tight_intervals(result):
    ok = result.identifiable
    assert ok.any()
    assert (1.96 * result.log_se[ok] < np.log(1.2)).all()
    assert np.isinf(result.log_se[~ok]).all()
