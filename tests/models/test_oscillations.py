"""Li-Rinzel oscillations at clamped IP3: the fixed-step integrator against an adaptive
solver, the oscillation window against linear stability, and the whole set against NEST's
astrocyte_lr_1994 (skipped where nest-simulator is not installed)."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from astrocalc.models import (
    LiRinzel,
    hopf_points,
    li_rinzel_rates,
    oscillation_measures,
    oscillation_window,
    simulate_clamped,
    steady_state,
)

P = LiRinzel()
IP3 = np.linspace(0.36, 0.64, 8)  # across the oscillatory range (Hopf points 0.355, 0.637)


@pytest.fixture(scope="module")
def ours():
    t, ca, _ = simulate_clamped(IP3, duration_s=200, dt_s=0.01, record_dt_s=0.005)
    return oscillation_measures(t, ca, skip_s=100)


def _ours(ip3, duration_s, ca0, h0):
    return simulate_clamped(ip3, duration_s=duration_s, ca0=ca0, h0=h0, record_dt_s=0.01)


@pytest.fixture(scope="module")
def our_window():
    return oscillation_window(_ours, P)


def test_fixed_step_matches_an_adaptive_solver(ours):
    """RK4 at 10 ms against DOP853 (rtol 1e-11): period and peak within 1e-6."""
    for k in (0, 4, 7):
        sol = solve_ivp(
            lambda _, y, x=IP3[k]: li_rinzel_rates(y[0], y[1], x, P, np),
            (0, 200),
            [0.1, 0.7],
            method="DOP853",
            rtol=1e-11,
            atol=1e-12,
            t_eval=np.arange(0, 200, 0.005),
        )
        ref = oscillation_measures(sol.t, sol.y[0][:, None], skip_s=100)
        assert ours["period_s"][k] == pytest.approx(ref["period_s"][0], rel=1e-6)
        assert ours["peak_uM"][k] == pytest.approx(ref["peak_uM"][0], rel=1e-6)


def test_period_and_peak_are_those_of_li_rinzel(ours):
    """Oscillations throughout the window with a period of 10-14 s, shorter at higher IP3,
    and peaks from 0.2 uM near the lower edge to 0.5 uM (Li & Rinzel 1994)."""
    assert np.isfinite(ours["period_s"]).all()
    assert 10 < ours["period_s"].min() and ours["period_s"].max() < 14
    assert ours["period_s"][-1] < ours["period_s"][0] - 1.5
    assert ours["peak_uM"][0] < 0.25 and 0.45 < ours["peak_uM"].max() < 0.55


@pytest.mark.slow
def test_window_lower_edge_is_the_hopf_point_and_upper_edge_is_past_it(our_window):
    """The lower bifurcation is supercritical: oscillations start at the Hopf point. The
    upper one is subcritical: the large cycle outlives the steady state's stability change
    a little and vanishes at a fold of cycles (measured: 0.639 uM against the Hopf point
    0.6369 uM)."""
    lower_hopf, upper_hopf = hopf_points(P)
    assert our_window["lower_uM"] == pytest.approx(lower_hopf, rel=1e-3)
    assert upper_hopf < our_window["upper_uM"] < upper_hopf + 0.005
    # between the two, a cell on the cycle keeps oscillating; one at rest stays at rest
    x = 0.5 * (upper_hopf + our_window["upper_uM"])
    assert our_window["upper_ptp"][0] > 0.2
    ca_rest, h_rest = steady_state(x, P)
    t, ca, _ = simulate_clamped([x], duration_s=300, ca0=ca_rest + 1e-3, h0=h_rest)
    assert np.ptp(ca[t > 200]) < np.ptp(ca[(t > 10) & (t < 110)]) < 3e-3  # decaying


@pytest.fixture(scope="module")
def nest_sim():
    pytest.importorskip("nest", reason="nest-simulator not installed (pip install astrocalc[nest])")
    from astrocalc.models._nest import simulate_clamped_nest

    return simulate_clamped_nest


@pytest.mark.slow
def test_period_and_peak_agree_with_nest(nest_sim, ours):
    """Same parameters in NEST 3.10.0: period and peak within 0.5 % at every IP3."""
    t, ca, _ = nest_sim(IP3, 200, 0.1, 0.7)
    theirs = oscillation_measures(t, ca, skip_s=100)
    np.testing.assert_allclose(theirs["period_s"], ours["period_s"], rtol=0.005)
    np.testing.assert_allclose(theirs["peak_uM"], ours["peak_uM"], rtol=0.005)


@pytest.mark.slow
def test_oscillation_window_agrees_with_nest(nest_sim, our_window):
    """Both edges measured the same way on NEST's output: within 1 %."""
    theirs = oscillation_window(nest_sim, P)
    assert theirs["lower_uM"] == pytest.approx(our_window["lower_uM"], rel=0.01)
    assert theirs["upper_uM"] == pytest.approx(our_window["upper_uM"], rel=0.01)


@pytest.mark.parametrize("engine", ["array", "numba"])
def test_compartments_with_ip3_state_match_the_clamped_cells(engine):
    """With IP3 starting at its target it stays there: the compartments' calcium is that of
    the clamped cells (same RK4), for the array path and the numba kernel."""
    from astrocalc.models import simulate_li_rinzel

    target = np.linspace(0.3, 0.7, 17)
    t, ca = simulate_li_rinzel(target, duration_s=30, engine=engine)
    t_ref, ca_ref, _ = simulate_clamped(target, duration_s=30, dt_s=0.01, record_dt_s=0.1)
    np.testing.assert_allclose(t, t_ref)
    np.testing.assert_allclose(ca, ca_ref, atol=1e-6)
    assert np.ptp(ca[100:, 8]) > 0.2  # IP3 0.5 uM oscillates
