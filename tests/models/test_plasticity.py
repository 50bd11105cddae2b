"""Pairing protocols: the STDP window without astrocyte, and the astrocyte as a
thresholding integrator for timing-dependent LTD (Min & Nevian 2012)."""

import numpy as np
import pytest

from astrocalc.models import (
    STDP,
    AstrocyteLTDGate,
    astrocyte_gated_ltd,
    pairing_sweep,
    pairing_trains,
    stdp_window,
    timing_sweep,
)

RULE = STDP()


def test_stdp_window_has_the_classic_shape():
    """Potentiation for pre before post, depression for post before pre, each decaying
    with its own time constant (Bi & Poo 1998: 16.8 and 33.7 ms), fitted within 2 %."""
    lags = np.array([0.004, 0.008, 0.016, 0.032, 0.064])
    ltp = stdp_window(lags, RULE)
    ltd = stdp_window(-lags, RULE)
    assert (ltp > 0).all() and (ltd < 0).all()
    assert (np.diff(ltp) < 0).all() and (np.diff(ltd) > 0).all()
    tau_plus = -1 / np.polyfit(lags, np.log(ltp), 1)[0]
    tau_minus = -1 / np.polyfit(lags, np.log(-ltd), 1)[0]
    assert tau_plus == pytest.approx(RULE.tau_plus_s, rel=0.02)
    assert tau_minus == pytest.approx(RULE.tau_minus_s, rel=0.02)
    # the two sides' heights at zero lag are the rule's a+ and a- (same protocol scale)
    ratio = np.exp(np.polyfit(lags, np.log(-ltd), 1)[1] - np.polyfit(lags, np.log(ltp), 1)[1])
    assert ratio == pytest.approx(RULE.a_minus / RULE.a_plus, rel=0.02)


@pytest.mark.parametrize("frequency_hz", [0.2, 1.0])
def test_no_ltd_below_the_threshold_number_of_pairings(frequency_hz):
    gate = AstrocyteLTDGate()
    needed = gate.pairings_needed(frequency_hz)
    assert 5 <= needed <= 60
    changes = {}
    for n in range(1, int(needed) + 10):
        pre, post = pairing_trains([-0.01], n_pairings=n, frequency_hz=frequency_hz)
        changes[n] = astrocyte_gated_ltd(pre[0], post[0], gate, RULE)[0]
    below = [changes[n] for n in changes if n < needed]
    above = [changes[n] for n in changes if n >= needed]
    assert all(dw == 0 for dw in below)
    assert all(dw < 0 for dw in above)
    assert np.all(np.diff(above) < 0)  # every pairing past the threshold adds depression


def test_slow_pairing_never_reaches_the_threshold_and_ltp_pairs_do_not_drive_it():
    gate = AstrocyteLTDGate()
    assert gate.pairings_needed(0.02) == np.inf
    pre, post = pairing_trains([-0.01], n_pairings=200, frequency_hz=0.02)
    assert astrocyte_gated_ltd(pre[0], post[0], gate, RULE)[0] == 0
    pre, post = pairing_trains([0.01], n_pairings=200, frequency_hz=1.0)  # pre before post
    dw, times, _ = astrocyte_gated_ltd(pre[0], post[0], gate, RULE)
    assert dw == 0 and len(times) == 0


def test_timing_sweep_with_and_without_the_astrocyte():
    """Few pairings: plain STDP depresses at negative lags, the astrocyte-gated rule does
    not; the potentiation side does not need the astrocyte. Many pairings: every pairing
    from the threshold on depresses as much as under plain STDP."""
    gate = AstrocyteLTDGate()
    lags = np.array([-0.04, -0.02, -0.01, 0.01, 0.02, 0.04])
    needed = int(gate.pairings_needed(1.0))
    few = timing_sweep(lags, n_pairings=needed - 1, frequency_hz=1.0, gate=gate)
    ltd, ltp = lags < 0, lags > 0
    assert (few.dw_without_astrocyte[ltd] < 0).all() and (few.dw_with_astrocyte[ltd] == 0).all()
    np.testing.assert_array_equal(few.dw_with_astrocyte[ltp], few.dw_without_astrocyte[ltp])
    assert (few.dw_with_astrocyte[ltp] > 0).all()
    n = 3 * needed
    many = timing_sweep(lags, n_pairings=n, frequency_hz=1.0, gate=gate)
    expressed = (n - needed + 1) / n
    np.testing.assert_allclose(
        many.dw_with_astrocyte[ltd], expressed * many.dw_without_astrocyte[ltd], rtol=0.01
    )


def test_pairing_sweep_has_a_threshold_only_with_the_astrocyte():
    gate = AstrocyteLTDGate()
    needed = int(gate.pairings_needed(0.2))
    sweep = pairing_sweep(
        np.array([1, needed - 1, needed, needed + 10]), lag_s=-0.01, frequency_hz=0.2, gate=gate
    )
    plain, gated = sweep.dw_without_astrocyte.to_numpy(), sweep.dw_with_astrocyte.to_numpy()
    assert (plain < 0).all() and np.all(np.diff(plain) < 0)  # every pairing depresses
    assert (gated[:2] == 0).all() and (gated[2:] < 0).all() and gated[3] < gated[2]
    per_pairing = plain[0]
    np.testing.assert_allclose(gated[3], 11 * per_pairing, rtol=0.01)


def test_synchronous_astrocyte_lets_more_synapses_change_together():
    """Shared input opens the microdomains' gates together: the share of synapses permitted
    with a permitted synapse rises from about one microdomain's worth towards all."""
    from astrocalc import config
    from astrocalc.models import co_permission, simulate_plasticity

    gate = np.zeros((6, 4))
    gate[0, 0] = gate[1, 1] = 1  # one at a time
    gate[3:5] = 1  # all together
    # per open synapse-step the share open with it: (1 + 1 + 4 * 1 + 4 * 1) / 10
    assert co_permission(gate) == pytest.approx((1 + 1 + 4 * 4 + 4 * 4) / (4 * 10))
    assert np.isnan(co_permission(np.zeros((3, 2))))
    model = {**config.defaults()["model"], "duration_s": 120.0}
    kw = dict(n_domains=8, rate_per_min=3.0, seed=2, model=model)
    apart = simulate_plasticity(correlation=0.0, **kw).co_permitted_share
    together = simulate_plasticity(correlation=0.9, **kw).co_permitted_share
    assert apart < 0.3 and together > 3 * apart  # measured: 0.23 and 0.86


@pytest.mark.slow  # 16 s; the same protocols as test_cli's test_protocols, from Python
def test_protocols_from_python():
    """plasticity_protocols, what `astrocalc protocols` writes, called directly: t-LTD
    appears at the gate's threshold, and a bad setting names itself."""
    from astrocalc.models import plasticity_protocols

    result = plasticity_protocols(frequency_hz=0.5, lag_s=-0.02)
    needed = result.pairings_needed
    assert np.isfinite(needed) and needed > 1
    p = result.pairings
    assert (p[p.n_pairings < needed].dw_with_astrocyte == 0).all()
    assert (p[p.n_pairings >= np.ceil(needed)].dw_with_astrocyte < 0).all()
    assert len(result.timing) == 24
    with pytest.raises(ValueError, match="n_pairings: expected at least 1"):
        plasticity_protocols(n_pairings=0)
