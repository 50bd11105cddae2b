"""Calcium oscillations of the Li-Rinzel model at clamped IP3: period, peak and the IP3
window in which they exist, measured the same way on any simulator's output.

With IP3 held constant, Li & Rinzel (1994) calcium oscillates between two bifurcations.
With the parameters of :class:`LiRinzel` the lower one is a supercritical Hopf
bifurcation (the amplitude grows from zero), the upper one is subcritical: a large cycle
coexists with the stable steady state beyond the Hopf point and vanishes at a fold of
cycles. The window's edges are therefore measured by simulation, not by the linear
stability of the steady state alone:

- lower edge: where small perturbations of the steady state stop decaying (the growth
  rate of the oscillation envelope crosses zero);
- upper edge: the largest IP3 at which a simulation started on the large cycle is still
  oscillating after ``settle_s``.

:func:`hopf_points` gives the linear-stability answer for comparison.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from ..backend import to_numpy
from ._integrate import integrate
from ._li_rinzel import LiRinzel, li_rinzel_rates


def h_inf(ca, ip3, p: LiRinzel):
    """Steady IP3R inactivation gate at (Ca, IP3)."""
    q2 = p.d2 * (ip3 + p.d1) / (ip3 + p.d3)
    return q2 / (q2 + ca)


def steady_state(ip3: float, p: LiRinzel) -> tuple[float, float]:
    """The (Ca, h) steady state at clamped IP3 (the one root of dCa/dt with h = h_inf)."""

    def dca(ca):
        return li_rinzel_rates(ca, h_inf(ca, ip3, p), ip3, p, np)[0]

    grid = np.linspace(1e-6, p.c0 / (1 + p.c1) * (1 - 1e-9), 4001)
    values = dca(grid)
    roots = np.flatnonzero(np.sign(values[1:]) != np.sign(values[:-1]))
    if len(roots) != 1:
        raise ValueError(f"IP3 {ip3} uM: {len(roots)} steady states, expected one")
    ca = brentq(dca, grid[roots[0]], grid[roots[0] + 1], xtol=1e-15)
    return float(ca), float(h_inf(ca, ip3, p))


def leading_eigenvalue(ip3: float, p: LiRinzel) -> complex:
    """Eigenvalue of largest real part of the Jacobian at the steady state (central
    differences)."""
    ca, h = steady_state(ip3, p)
    eps = 1e-7
    jac = np.zeros((2, 2))
    for j, (dc, dh) in enumerate(((eps, 0.0), (0.0, eps))):
        plus = li_rinzel_rates(ca + dc, h + dh, ip3, p, np)
        minus = li_rinzel_rates(ca - dc, h - dh, ip3, p, np)
        jac[:, j] = (np.array(plus) - np.array(minus)) / (2 * eps)
    values = np.linalg.eigvals(jac)
    return complex(values[np.argmax(values.real)])


def hopf_points(p: LiRinzel, lo: float = 0.05, hi: float = 2.0, n: int = 200) -> np.ndarray:
    """IP3 values (uM) where the steady state changes stability."""
    grid = np.linspace(lo, hi, n)
    real = np.array([leading_eigenvalue(x, p).real for x in grid])
    cross = np.flatnonzero(np.sign(real[1:]) != np.sign(real[:-1]))
    return np.array(
        [
            brentq(lambda x: leading_eigenvalue(x, p).real, grid[i], grid[i + 1], xtol=1e-12)
            for i in cross
        ]
    )


def simulate_clamped(
    ip3,
    *,
    duration_s: float,
    p: LiRinzel | None = None,
    ca0=None,
    h0=None,
    dt_s: float = 0.005,
    record_dt_s: float = 0.005,
    xp=np,
):
    """Li-Rinzel calcium of a batch of cells, each with its own clamped IP3 (uM).

    RK4 with a fixed step; ``ca0``, ``h0`` (arrays like ``ip3``) default to 0.1 uM and 0.7.
    Returns (t, ca, h): times (n_rec,) and (n_rec, B) arrays as NumPy.
    """
    p = p or LiRinzel()
    ip3 = xp.asarray(ip3, dtype=xp.float64)
    ca = xp.asarray(np.broadcast_to(0.1 if ca0 is None else ca0, ip3.shape), dtype=xp.float64)
    h = xp.asarray(np.broadcast_to(0.7 if h0 is None else h0, ip3.shape), dtype=xp.float64)
    every = max(1, int(round(record_dt_s / dt_s)))
    n_steps = int(round(duration_s / dt_s))

    def rhs(state):
        return li_rinzel_rates(state[0], state[1], ip3, p, xp)

    _, (ca_rec, h_rec) = integrate(
        rhs, (ca, h), dt=dt_s, n_steps=n_steps, record_every=every, xp=xp
    )
    t = np.arange(ca_rec.shape[0]) * every * dt_s
    return t, to_numpy(ca_rec), to_numpy(h_rec)


def _peak_value(y: np.ndarray, i: int) -> float:
    """Maximum of the parabola through samples i - 1, i, i + 1."""
    if i <= 0 or i >= len(y) - 1:
        return float(y[i])
    a, b, c = y[i - 1], y[i], y[i + 1]
    den = a - 2 * b + c
    return float(b - 0.125 * (c - a) ** 2 / den) if den < 0 else float(b)


def oscillation_measures(t, ca, *, skip_s: float, min_ptp_uM: float = 0.02) -> dict:
    """Period (s) and peak Ca (uM) of each column of ``ca`` (n_t, B) after ``skip_s``.

    Cycles are cut at upward crossings of the midpoint between the late trace's minimum
    and maximum (crossing times linearly interpolated); the period is the mean crossing
    interval and the peak the mean of the cycles' maxima (parabolic interpolation between
    samples). NaN where the late trace varies by less than ``min_ptp_uM`` or has fewer than
    three crossings."""
    t = np.asarray(t, float)
    ca = np.asarray(ca, float).reshape(len(t), -1)
    late = t >= skip_s
    tt, y = t[late], ca[late]
    period = np.full(y.shape[1], np.nan)
    peak = np.full(y.shape[1], np.nan)
    for j in range(y.shape[1]):
        v = y[:, j]
        if np.ptp(v) < min_ptp_uM:
            continue
        level = 0.5 * (v.min() + v.max())
        up = np.flatnonzero((v[:-1] < level) & (v[1:] >= level))
        if len(up) < 3:
            continue
        frac = (level - v[up]) / (v[up + 1] - v[up])
        times = tt[up] + frac * (tt[up + 1] - tt[up])
        period[j] = float(np.diff(times).mean())
        peaks = [
            _peak_value(v, a + int(np.argmax(v[a:b]))) for a, b in zip(up[:-1], up[1:], strict=True)
        ]
        peak[j] = float(np.mean(peaks))
    return {"period_s": period, "peak_uM": peak}


def envelope_growth_rate(t, ca, ca_steady, *, max_amplitude_uM: float = 0.01) -> np.ndarray:
    """Growth rate (1/s) of small oscillations about the steady state, per column: slope
    of log(local maxima of |Ca - Ca*|) against time, over the maxima below
    ``max_amplitude_uM`` (the linear regime). Positive: the steady state is unstable."""
    t = np.asarray(t, float)
    ca = np.asarray(ca, float).reshape(len(t), -1)
    ca_steady = np.broadcast_to(np.asarray(ca_steady, float), (ca.shape[1],))
    rates = np.full(ca.shape[1], np.nan)
    for j in range(ca.shape[1]):
        d = np.abs(ca[:, j] - ca_steady[j])
        m = np.flatnonzero((d[1:-1] > d[:-2]) & (d[1:-1] >= d[2:])) + 1
        m = m[(d[m] < max_amplitude_uM) & (d[m] > 1e-12)]
        if len(m) >= 4:
            rates[j] = np.polyfit(t[m], np.log(d[m]), 1)[0]
    return rates


def _first_crossing(x: np.ndarray, y: np.ndarray, sign: int) -> float:
    """x where y first changes sign in the direction ``sign`` (linear interpolation)."""
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    idx = np.flatnonzero((np.sign(y[:-1]) == -sign) & (np.sign(y[1:]) == sign))
    if not len(idx):
        return np.nan
    i = idx[0]
    return float(x[i] - y[i] * (x[i + 1] - x[i]) / (y[i + 1] - y[i]))


def oscillation_window(
    simulate,
    p: LiRinzel | None = None,
    *,
    lower_grid=None,
    upper_grid=None,
    cycle_ip3: float = 0.60,
    growth_s: float = 150.0,
    settle_s: float = 1200.0,
    min_ptp_uM: float = 0.1,
) -> dict:
    """The IP3 window of oscillations, measured on ``simulate``'s output.

    ``simulate(ip3, duration_s, ca0, h0) -> (t, ca, h)`` runs one cell per entry of
    ``ip3`` from (ca0, h0) and returns times (n_t,) and (n_t, B) arrays (any simulator:
    :func:`simulate_clamped`, NEST, Brian2).

    Lower edge: the envelope growth rate of a 1e-3 uM perturbation of the steady state,
    interpolated to zero over ``lower_grid``. Upper edge: cells started on the large cycle
    (at its maximum, taken from a cell at ``cycle_ip3``) over ``upper_grid`` (increasing);
    the edge is the midpoint between the last value still oscillating after ``settle_s``
    (peak-to-peak >= ``min_ptp_uM`` over the last 100 s) and the next. Near the fold the
    cycle's ghost lingers, so ``settle_s`` must be long (with the default 1,200 s the edge
    comes out at 0.6395 uM for Li-Rinzel's parameters; runs of 3,000 s put the fold
    between 0.638 and 0.639 uM).
    """
    p = p or LiRinzel()
    lower_grid = np.linspace(0.33, 0.38, 11) if lower_grid is None else np.asarray(lower_grid)
    grid = np.arange(0.625, 0.6505, 0.001) if upper_grid is None else np.asarray(upper_grid)
    steady = np.array([steady_state(x, p) for x in lower_grid])
    t, ca, _ = simulate(lower_grid, growth_s, steady[:, 0] + 1e-3, steady[:, 1])
    rates = envelope_growth_rate(t, ca, steady[:, 0])
    lower = _first_crossing(lower_grid, rates, +1)

    t0, ca0, h0 = simulate(np.array([cycle_ip3]), 150.0, np.array([0.1]), np.array([0.7]))
    last = np.asarray(t0) >= 130.0
    i = np.flatnonzero(last)[np.argmax(np.asarray(ca0)[last, 0])]
    start_ca, start_h = float(np.asarray(ca0)[i, 0]), float(np.asarray(h0)[i, 0])
    t1, ca1, _ = simulate(grid, settle_s, np.full(len(grid), start_ca), np.full(len(grid), start_h))
    tail = np.asarray(t1) >= settle_s - 100.0
    ptp = np.ptp(np.asarray(ca1)[tail], axis=0)
    alive = np.flatnonzero(ptp >= min_ptp_uM)
    upper = np.nan
    if len(alive) and alive[-1] < len(grid) - 1:
        upper = float(0.5 * (grid[alive[-1]] + grid[alive[-1] + 1]))
    return {"lower_uM": lower, "upper_uM": upper, "growth_rate": rates, "upper_ptp": ptp}
