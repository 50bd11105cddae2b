"""What sets an event's time course and size in the model: the kinetic speed, the pulse
size distribution, the indicator's kinetics and the gate relative to one event."""

import numpy as np
import pytest

from astrocalc import config
from astrocalc.models import (
    GCAMP6F,
    INDICATORS,
    gate_threshold,
    indicator,
    pulse_sizes,
    simulate_astrocytes,
    size_table,
)

MODEL = config.defaults()["model"]
DT = 0.02


def _one_pulse(speed, n_steps=4000, **kw):
    drive = np.zeros((n_steps, len(np.atleast_1d(speed)), 2), np.uint8)
    drive[10, :, 0] = 1
    return simulate_astrocytes(
        drive, np, dt_s=DT, coupling_per_s=0.05, ip3_pulse_uM=0.6, kinetic_speed=speed,
        record_every=1, **kw,
    )["ca"][:, :, 0]  # fmt: skip


def _half_width_s(ca):
    rest = ca[0]
    above = ca > rest + 0.5 * (ca.max() - rest)
    return above.sum() * DT


def test_kinetic_speed_scales_event_duration():
    """Twice the speed, half the half-width (the pulse itself is instantaneous, so the
    scaling is near exact); the peak stays within 15 %."""
    speeds = np.array([0.25, 0.5, 1.0, 2.0, 4.0])
    ca = _one_pulse(speeds)
    widths = np.array([_half_width_s(ca[:, k]) for k in range(len(speeds))])
    np.testing.assert_allclose(widths * speeds, widths[2] * speeds[2], rtol=0.12)
    assert 1.5 < widths[2] < 6.0  # Li-Rinzel's own: a few seconds
    peaks = ca.max(axis=0)
    np.testing.assert_allclose(peaks, peaks[2], rtol=0.15)


def test_engines_agree_with_speed_and_pulse_sizes():
    rng = np.random.default_rng(3)
    drive = (rng.random((1500, 3, 4)) < 0.01).astype(np.uint8)
    sizes = pulse_sizes(rng, n_steps=1500, n_domains=4, replicate=np.arange(3))
    kw = dict(
        dt_s=DT, coupling_per_s=0.05, ip3_pulse_uM=0.6, record_every=5,
        kinetic_speed=np.array([0.5, 1.0, 3.0]), pulse_cv=np.array([0.0, 0.5, 1.0]), sizes=sizes,
    )  # fmt: skip
    a = simulate_astrocytes(drive, np, engine="array", **kw)["ca"]
    b = simulate_astrocytes(drive, np, engine="numba", **kw)["ca"]
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_pulse_sizes_are_lognormal_with_mean_one():
    table = size_table([0.0, 0.5, 1.5], 3)
    assert (table[:, 0] == 0).all()
    np.testing.assert_allclose(table[:, 1:].mean(axis=1), 1.0, rtol=1e-9)
    cv = table[:, 1:].std(axis=1) / table[:, 1:].mean(axis=1)
    np.testing.assert_allclose(cv, [0.0, 0.5, 1.5], atol=1e-6)
    with pytest.raises(ValueError, match="size codes"):
        simulate_astrocytes(
            np.zeros((2, 1, 1), np.uint8), np, dt_s=DT, coupling_per_s=0.0, ip3_pulse_uM=0.6,
            pulse_cv=0.5,
        )  # fmt: skip


def test_indicator_kinetics_follow_their_half_times():
    """A calcium step up and back down: the dF/F reaches half its final change after the
    rise half-time and falls halfway after the decay half-time (to a frame)."""
    dt = 0.005
    ind = INDICATORS["GCaMP6s"]
    ca = np.full((800, 1), 0.07)
    ca[100:400] = 2.0
    f = ind.dff(ca, 0.07, dt_s=dt)[:, 0]
    top = f[399]
    t_rise = (np.argmax(f[100:] >= 0.5 * top) + 1) * dt
    t_decay = (np.argmax(f[400:] <= 0.5 * top) + 1) * dt
    assert t_rise == pytest.approx(ind.rise_half_s, abs=2 * dt)
    assert t_decay == pytest.approx(ind.decay_half_s, abs=2 * dt)
    # without kinetics, the equilibrium follows calcium at once
    assert ind.dff(ca, 0.07)[100, 0] == pytest.approx(top, rel=0.01)
    assert GCAMP6F is INDICATORS["GCaMP6f"] and indicator("jGCaMP8m").kd_uM == 0.108
    with pytest.raises(ValueError, match="indicator: expected one of GCaMP6s"):
        indicator("GCaMP9")


def test_gate_threshold_is_half_way_up_one_event():
    """The gate opens halfway from rest to the peak of one input's response, whatever the
    kinetic speed; a larger IP3 pulse raises it with the peak."""
    ca = _one_pulse(np.array([1.0]))[:, 0]
    expected = ca[0] + 0.5 * (ca.max() - ca[0])
    got = gate_threshold(MODEL, n_domains=2, kinetic_speed=1.0)
    assert got == pytest.approx(expected, rel=0.02)
    fast = gate_threshold(MODEL, n_domains=2, kinetic_speed=4.0)
    assert fast == pytest.approx(got, rel=0.1)
    bigger = gate_threshold(dict(MODEL, ip3_pulse_uM=1.2), n_domains=2)
    assert bigger > got
