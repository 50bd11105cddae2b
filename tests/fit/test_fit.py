import numpy as np
import pandas as pd
import pytest

from astrocalc import config
from astrocalc.fit import (
    fit_input_rate,
    invert_rate_curve,
    observed_statistics,
    simulate_rate_curve,
)

C = config.defaults()


def test_inversion_on_the_rising_branch():
    grid = np.array([1, 2, 4, 8, 16.0])
    sim = np.array([0.5, 1.0, 2.0, 3.0, 2.5])  # falls after 8
    value, ci, ok, _ = invert_rate_curve(grid, sim, 1.5, (1.0, 2.0))
    assert ok and value == pytest.approx(np.exp(np.interp(1.5, [1, 2], np.log([2, 4]))))
    assert ci == pytest.approx((2.0, 4.0))
    value, _, ok, note = invert_rate_curve(grid, sim, 5.0, (4.0, 6.0))
    assert not ok and value == pytest.approx(8.0) and "exceeds" in note


def test_parameter_recovery():
    """Simulate microdomains at a known input rate (own seed), measure their event rate,
    and fit it back with the grid of other seeds: the true rate lies in the fitted CI."""
    fit_cfg = {**C["fit"], "n_astrocytes": 6, "duration_s": 120.0}
    true_rate = 3.0
    obs, sem = simulate_rate_curve(
        np.array([true_rate]),
        n_domains=20,
        correlation=0.2,
        n_astrocytes=6,
        duration_s=120.0,
        model=C["model"],
        seed=99,
    )
    stats = {
        "n_microdomains": 20,
        "share_global": 0.2,
        "rate_per_min": float(obs[0]),
        "rate_per_min_ci95": [float(obs[0] - 2 * sem[0]), float(obs[0] + 2 * sem[0])],
    }
    result = fit_input_rate(stats, model=C["model"], fit=fit_cfg, seed=0)
    lo, hi = result.input_rate_ci95
    assert result.identifiable
    assert lo <= true_rate <= hi
    assert result.input_rate_per_min == pytest.approx(true_rate, rel=0.35)


def test_observed_statistics():
    rois = pd.DataFrame(
        {"roi_id": [1, 2, 3], "compartment": ["microdomain", "microdomain", "soma"]}
    )
    per_roi = pd.DataFrame({"roi_id": [1, 2, 3], "rate_per_min": [2.0, 4.0, 10.0]})
    events = pd.DataFrame(
        {
            "roi_id": [1, 2, 2, 3],
            "kind": ["local", "global", "local", "global"],
            "amplitude_dff": [1.0, 2.0, 3.0, 4.0],
            "duration_s": [1.0, 1.0, 2.0, 3.0],
        }
    )
    pairs = pd.DataFrame({"r": [0.2, 0.4]})
    s = observed_statistics(per_roi, rois, events, pairs)
    assert s["n_microdomains"] == 2 and s["rate_per_min"] == 3.0
    assert s["share_global"] == pytest.approx(1 / 3)
    assert s["rate_per_min_ci95"][0] >= 2.0 and s["rate_per_min_ci95"][1] <= 4.0
    assert s["mean_pairwise_r"] == pytest.approx(0.3)
