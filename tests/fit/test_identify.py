"""Local identifiability of the model's parameters from the event statistics."""

import numpy as np
import pytest

from astrocalc import config
from astrocalc.fit import (
    CELL_WIDE,
    PARAMETERS,
    STATISTICS,
    ForwardModel,
    Recording,
    forward_statistics,
    identify,
    local_identifiability,
    simulated_size,
)

C = config.defaults()
THETA = {
    "local_rate_per_min": 1.4,
    "shared_rate_per_min": 0.6,
    "coupling_per_s": 0.05,
    "ip3_pulse_uM": 0.6,
    "kinetic_speed": 1.0,
    "pulse_cv": 0.3,
    "speed_cv": 0.3,
    "gain_cv": 0.2,
    "wave_speed_um_s": 10.0,
}
RECORDING = Recording(n_domains=12, duration_s=120.0, frame_rate_hz=5.0, noise_sd_dff=(0.05,))
KW = dict(model=C["model"], events=C["events"])


def test_statistics_follow_their_parameters():
    """More local input, more local events; more shared input, more global events and
    higher r; a larger IP3 pulse, longer events."""
    thetas = [
        THETA,
        dict(THETA, local_rate_per_min=2.8),
        dict(THETA, shared_rate_per_min=2.4),
        dict(THETA, ip3_pulse_uM=0.9),
    ]
    stats = forward_statistics(thetas, RECORDING, n_astrocytes=4, seed=3, **KW)
    base, local, shared, pulse = np.nanmean(stats, axis=1)[:, : len(STATISTICS)]
    local_rate, global_rate, r, duration = range(4)
    assert local[local_rate] > 1.5 * base[local_rate]
    assert abs(local[global_rate] - base[global_rate]) < 0.2 * base[global_rate]
    assert shared[global_rate] > 2 * base[global_rate] and shared[r] > base[r] + 0.2
    assert pulse[duration] > base[duration] * 1.05


def test_common_random_numbers():
    """The same parameters give the same statistics (same seed), another seed others."""
    a = forward_statistics([THETA, THETA], RECORDING, n_astrocytes=2, seed=5, **KW)
    b = forward_statistics([THETA], RECORDING, n_astrocytes=2, seed=6, **KW)
    np.testing.assert_array_equal(a[0], a[1])
    assert not np.allclose(a[0], b[0], equal_nan=True)


def test_identify_sets_aside_the_sloppy_parameter():
    """A parameter no statistic responds to is set aside; the others, strongly pinned,
    are identifiable with the standard errors of the least-squares covariance."""
    sens = np.array(
        [[40.0, 0.0, 0.0, 0.0], [0.0, 30.0, 0.0, 0.0], [0.0, 5.0, 20.0, 0.0], [0, 0, 0, 1e-3]]
    )
    result = identify(sens, PARAMETERS[:4])
    assert result.identifiable.tolist() == [True, True, True, False]
    np.testing.assert_allclose(result.log_se[0], 1 / 40)
    assert np.isinf(result.log_se[3])
    report = result.report()
    assert report["identifiable"][PARAMETERS[3]] is False
    assert report["relative_se"][PARAMETERS[3]] is None
    assert abs(report["sloppiest_direction"][PARAMETERS[3]]) > 0.99


def test_identify_drops_a_weakly_pinned_parameter():
    """A parameter whose 95 % interval would be wider than +-20 % is set aside, even if
    some statistic responds to it."""
    sens = np.diag([50.0, 50.0, 5.0, 50.0])  # log SE 0.2: 95 % interval +-39 %
    assert identify(sens, PARAMETERS[:4]).identifiable.tolist() == [True, True, False, True]


def test_identify_with_fewer_statistics_than_parameters():
    """Two statistics for three parameters (a recording without global events leaves one
    undefined): one parameter is always set aside, the one the statistics do not tell
    from the others; the two left are identifiable."""
    sens = np.array([[40.0, 0.0, 40.0], [0.0, 30.0, 0.0]])
    result = identify(sens, PARAMETERS[:3])
    assert result.identifiable.sum() == 2 and result.identifiable[1]
    assert abs(result.report()["sloppiest_direction"][PARAMETERS[1]]) < 1e-9


def test_simulated_size_scales_the_spread():
    """Half the microdomains for half the time: statistics averaged over microdomains and
    time spread twice as wide as the observed recording's, those the cell's waves set
    (the same waves reach every microdomain) sqrt(2) as wide."""
    small, scale = simulated_size(
        Recording(80, 1200.0, 10.0, (0.1,)), max_domains=40, max_duration_s=600.0
    )
    assert (small.n_domains, small.duration_s) == (40, 600.0)
    cell_wide = np.isin(STATISTICS, CELL_WIDE)
    assert cell_wide.sum() == 4
    assert scale[~cell_wide] == pytest.approx(0.5)
    assert scale[cell_wide] == pytest.approx(np.sqrt(0.5))
    same, one = simulated_size(RECORDING, max_domains=40, max_duration_s=600.0)
    assert same == RECORDING and (one == 1.0).all()


@pytest.fixture(scope="module")
def result():
    return local_identifiability(THETA, ForwardModel(RECORDING, 6, seed=1, **KW))


def test_what_two_minutes_identify(result):
    """Twelve microdomains for two minutes: the event durations pin the kinetic speed
    within +-20 %; the rates, the pulse, the coupling and the three spreads need longer or
    larger recordings (the fit's prior holds them), and the sloppiest direction is flat."""
    ok = dict(zip(PARAMETERS, result.identifiable, strict=True))
    assert ok == {p: p == "kinetic_speed" for p in PARAMETERS}
    assert result.singular_values[-1] < 0.05 * result.singular_values[0]


def test_identifiable_parameters_have_tight_intervals(result):
    ok = result.identifiable
    assert ok.any()
    assert (1.96 * result.log_se[ok] < np.log(1.2)).all()
    assert np.isinf(result.log_se[~ok]).all()
