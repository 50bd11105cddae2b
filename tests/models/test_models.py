import numpy as np
import pytest
from scipy.integrate import solve_ivp

from astrocalc import config
from astrocalc.models import (
    STDP,
    AstrocyteInput,
    LiRinzel,
    calcium_events,
    eligibility_increments,
    gated_weight_change,
    li_rinzel_rates,
    poisson_drive,
    resting_state,
    simulate_astrocytes,
    simulate_plasticity,
)

P = LiRinzel()


def _integrate(ip3, t_end=200.0):
    def rhs(_, y):
        return li_rinzel_rates(y[0], y[1], ip3, P, np)

    return solve_ivp(
        rhs,
        (0, t_end),
        [0.1, 0.7],
        method="LSODA",
        rtol=1e-8,
        atol=1e-10,
        max_step=0.1,
        t_eval=np.arange(0, t_end, 0.05),
    )


def test_resting_state_is_a_fixed_point():
    ca, h = resting_state(P)
    dca, dh = li_rinzel_rates(ca, h, P.ip3_rest, P, np)
    assert abs(dca) < 1e-6 and abs(dh) < 1e-6
    assert 0.03 < ca < 0.15  # resting cytosolic calcium, uM


@pytest.mark.parametrize("ip3, oscillates", [(0.16, False), (0.5, True), (2.0, False)])
def test_oscillations_only_for_intermediate_ip3(ip3, oscillates):
    """Li & Rinzel (1994): Ca2+ oscillates for IP3 in a window of roughly 0.35-0.65 uM."""
    ca = _integrate(ip3).y[0][2000:]  # after 100 s
    assert (np.ptp(ca) > 0.3) == oscillates


def test_fixed_step_matches_an_adaptive_solver():
    """The astrocyte simulator's fixed 10 ms RK4 against LSODA at IP3 = 0.5 uM: oscillation
    period within 0.1 % (the crossing-based estimate on 50 ms samples limits it)."""
    ref = _integrate(0.5)
    drive = np.zeros((20000, 1, 1), np.uint8)
    rec = simulate_astrocytes(
        drive,
        np,
        dt_s=0.01,
        coupling_per_s=0.0,
        ip3_pulse_uM=0.0,
        params=LiRinzel(ip3_rest=0.5),
        record_every=5,
    )
    ca = rec["ca"][:, 0, 0]

    def period(trace, dt):
        up = np.flatnonzero((trace[1:] > 0.4) & (trace[:-1] <= 0.4))
        return np.diff(up[2:]).mean() * dt

    assert period(ca, 0.05) == pytest.approx(period(ref.y[0], 0.05), rel=0.001)


def test_more_input_gives_more_events_and_shared_input_synchronises():
    rng = np.random.default_rng(0)
    dt, steps = 0.01, 12000
    inputs = AstrocyteInput(np.array([1.0, 4.0, 4.0]), np.array([0.0, 0.0, 1.0]))
    drive = poisson_drive(rng, inputs, n_domains=12, n_steps=steps, dt_s=dt)
    rec = simulate_astrocytes(
        drive, np, dt_s=dt, coupling_per_s=0.05, ip3_pulse_uM=0.6, record_every=5
    )
    ca = rec["ca"][:, :, :-1]
    counts = np.array([len(e) for e in calcium_events(ca, threshold_uM=0.3, dt_s=0.05)]).reshape(
        3, 12
    )
    assert counts[1].sum() > 1.5 * counts[0].sum()
    r_private = np.corrcoef(ca[:, 1].T)[np.triu_indices(12, 1)].mean()
    r_shared = np.corrcoef(ca[:, 2].T)[np.triu_indices(12, 1)].mean()
    assert r_shared > r_private + 0.3


def test_stdp_sign_follows_spike_order():
    rule = STDP()
    _, up = eligibility_increments(np.array([1.0]), np.array([1.01]), rule)
    _, down = eligibility_increments(np.array([1.01]), np.array([1.0]), rule)
    assert up.sum() == pytest.approx(rule.a_plus * np.exp(-0.01 / rule.tau_plus_s))
    assert down.sum() == pytest.approx(-rule.a_minus * np.exp(-0.01 / rule.tau_minus_s))


def test_closed_gate_blocks_plasticity():
    rule = STDP()
    pre = [np.arange(1, 10.0)] * 2
    post = [p + 0.01 for p in pre]
    gate = np.zeros((1000, 2))
    gate[:, 1] = 1.0
    dw, ungated = gated_weight_change(pre, post, gate, dt_s=0.01, rule=rule)
    assert dw[0] == 0.0
    assert dw[1] == pytest.approx(ungated[1]) and dw[1] > 0


def test_simulation_tables():
    model = {**config.defaults()["model"], "duration_s": 20.0}
    res = simulate_plasticity(n_domains=3, rate_per_min=6, correlation=0.2, seed=1, model=model)
    assert list(res.compartments.columns[:3]) == ["time_s", "ca_md_1", "ip3_md_1"]
    assert "ca_soma" in res.compartments
    assert len(res.plasticity) == 3 * model["synapses_per_microdomain"]
    assert (res.plasticity.gate_open_fraction.between(0, 1)).all()
    again = simulate_plasticity(n_domains=3, rate_per_min=6, correlation=0.2, seed=1, model=model)
    assert res.plasticity.equals(again.plasticity)


def test_shared_input_spreads_at_the_wave_speed(monkeypatch):
    """Three microdomains on a line at 0, 30 and 45 um, every input shared, 10 um/s:
    each shared event reaches the others 3.0, 4.5 or 1.5 s after the one where it starts
    (never two in the same step, as without positions); the compiled and the NumPy
    thinning give the same events."""
    from astrocalc.models import _astrocyte_numba

    dt, steps = 0.05, 40000
    inputs = AstrocyteInput(np.array([2.0]), np.array([1.0]), wave_speed_um_s=np.array([10.0]))
    xy = np.array([[0.0, 0.0], [30.0, 0.0], [45.0, 0.0]])
    kw = dict(n_domains=3, n_steps=steps, dt_s=dt, positions_um=xy)
    drive = poisson_drive(np.random.default_rng(3), inputs, **kw)[:, 0]
    monkeypatch.setattr(_astrocyte_numba, "available", lambda: False)
    assert np.array_equal(drive[:, None], poisson_drive(np.random.default_rng(3), inputs, **kw))
    t = [set(np.flatnonzero(drive[:, i])) for i in range(3)]
    assert min(map(len, t)) > 40
    # wherever the wave starts, microdomains 0 and 1 are 30 um (60 steps) apart in time,
    # 0 and 2 either 15 um or 45 um (30 or 90 steps)
    assert all({a - 60, a + 60} & t[1] for a in t[0])
    assert all({a - 90, a - 30, a + 30, a + 90} & t[2] for a in t[0])
    assert not t[0] & t[1] and not t[0] & t[2]
    plain = AstrocyteInput(inputs.rate_per_min, inputs.correlation)
    instant = poisson_drive(np.random.default_rng(3), plain, **kw)[:, 0]
    assert np.array_equal(instant[:, 0], instant[:, 1])
