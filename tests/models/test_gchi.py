"""G-ChI (De Pitta et al. 2009): reduction to Li-Rinzel at fixed IP3, integration
accuracy, and glutamate-encoded oscillations."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from astrocalc.models import (
    FM_OSCILLATOR,
    STIMBERG_2019,
    LiRinzel,
    gchi_from_li_rinzel,
    gchi_rates,
    li_rinzel_rates,
    oscillation_measures,
    simulate_gchi,
)


def test_calcium_part_is_li_rinzel_at_fixed_ip3():
    rng = np.random.default_rng(0)
    ca, h, ip3 = rng.uniform(0.01, 1.5, 50), rng.uniform(0, 1, 50), rng.uniform(0.05, 2, 50)
    lr = LiRinzel()
    dca, dh, _, _ = gchi_rates(ca, h, 0.0, ip3, 0.0, gchi_from_li_rinzel(lr), np)
    ref_ca, ref_h = li_rinzel_rates(ca, h, ip3, lr, np)
    np.testing.assert_allclose(dca, ref_ca, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dh, ref_h, rtol=1e-12, atol=1e-14)


def test_glutamate_window_of_frequency_modulated_oscillations():
    """No glutamate: rest near 0.03 uM. Glutamate of 0.3-10 uM: sustained oscillations
    whose period shortens as glutamate rises (FM encoding, De Pitta et al. 2009)."""
    glu = np.array([0.0, 0.3, 1.0, 3.0, 10.0])
    t, s = simulate_gchi(glu, duration_s=300, p=FM_OSCILLATOR, dt_s=0.01)
    m = oscillation_measures(t, s["ca"], skip_s=150)
    assert np.isnan(m["period_s"][0]) and s["ca"][-1, 0] < 0.05
    periods = m["period_s"][1:]
    assert np.isfinite(periods).all() and (np.diff(periods) < 0).all()
    assert periods[0] > 1.5 * periods[-1]
    assert (m["peak_uM"][1:] > 0.8).all()


def test_fixed_step_matches_an_adaptive_solver():
    glu = 1.0

    def rhs(_, y):
        return gchi_rates(y[0], y[1], y[2], y[3], glu, FM_OSCILLATOR, np)

    sol = solve_ivp(
        rhs,
        (0, 200),
        [0.05, 0.9, 0.0, 0.05],
        method="DOP853",
        rtol=1e-10,
        atol=1e-12,
        t_eval=np.arange(0, 200, 0.01),
    )
    ref = oscillation_measures(sol.t, sol.y[0][:, None], skip_s=100)
    t, s = simulate_gchi([glu], duration_s=200, p=FM_OSCILLATOR, dt_s=0.005, record_dt_s=0.01)
    ours = oscillation_measures(t, s["ca"], skip_s=100)
    assert ours["period_s"][0] == pytest.approx(ref["period_s"][0], rel=1e-4)
    assert ours["peak_uM"][0] == pytest.approx(ref["peak_uM"][0], rel=1e-4)


def test_published_set_raises_calcium_with_glutamate_without_oscillating():
    glu = np.array([0.0, 1.0, 10.0])
    t, s = simulate_gchi(glu, duration_s=200, p=STIMBERG_2019, dt_s=0.01)
    late = s["ca"][t > 150]
    assert (np.ptp(late, axis=0) < 1e-3).all()
    assert np.all(np.diff(late[-1]) > 0) and 0.4 < late[-1, 0] < 0.5
