"""Three-factor plasticity: pair-based STDP eligibility traces gated by astrocyte calcium.

Pre- and postsynaptic spikes set an eligibility trace per synapse (pair-based STDP,
all-to-all pairing; Bi & Poo 1998 J Neurosci 18:10464 time constants, tau+ = 16.8 ms,
tau- = 33.7 ms). The trace decays with tau_e = 1 s (Izhikevich 2007 Cereb Cortex 17:2443;
Gerstner et al. 2018 Front Neural Circuits 12:53). The weight changes only while the
calcium of the synapse's microdomain is above a threshold: the astrocyte is the third
factor that permits plasticity where and when it is active.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class STDP:
    a_plus: float = 0.01  # potentiation per pre-before-post pair at zero lag
    a_minus: float = 0.0105  # depression per post-before-pre pair at zero lag
    tau_plus_s: float = 0.0168
    tau_minus_s: float = 0.0337
    tau_e_s: float = 1.0  # eligibility trace decay
    learning_rate: float = 0.02  # weight change per unit eligibility per second of open gate
    w_max: float = 1.0


def spike_trains(
    rng,
    n_synapses: int,
    *,
    duration_s: float,
    pre_rate_hz: float,
    pairing_lag_s: float,
    pair_probability: float = 0.5,
    post_background_hz: float = 0.5,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Poisson presynaptic spikes; each is followed by a postsynaptic spike ``pairing_lag_s``
    later with ``pair_probability`` (negative lag: post before pre), plus background post
    spikes. Times in seconds, sorted."""
    pre, post = [], []
    for _ in range(n_synapses):
        p = np.sort(rng.uniform(0, duration_s, rng.poisson(pre_rate_hz * duration_s)))
        paired = p[rng.random(len(p)) < pair_probability] + pairing_lag_s
        bg = rng.uniform(0, duration_s, rng.poisson(post_background_hz * duration_s))
        q = np.sort(np.concatenate([paired, bg]))
        pre.append(p)
        post.append(q[(q >= 0) & (q < duration_s)])
    return pre, post


def eligibility_increments(
    pre: np.ndarray, post: np.ndarray, rule: STDP
) -> tuple[np.ndarray, np.ndarray]:
    """Times and sizes of the STDP increments of one synapse (all-to-all pairs).

    At each post spike: + a_plus * sum over earlier pre spikes of exp(-dt / tau_plus).
    At each pre spike: - a_minus * sum over earlier post spikes of exp(-dt / tau_minus).
    """

    def summed(later, earlier, tau):
        if not len(later) or not len(earlier):
            return np.zeros(len(later))
        d = later[:, None] - earlier[None, :]
        return np.where(d > 0, np.exp(-np.where(d > 0, d, 0) / tau), 0.0).sum(axis=1)

    ltp = rule.a_plus * summed(post, pre, rule.tau_plus_s)
    ltd = -rule.a_minus * summed(pre, post, rule.tau_minus_s)
    times = np.concatenate([post, pre])
    sizes = np.concatenate([ltp, ltd])
    order = np.argsort(times, kind="stable")
    return times[order], sizes[order]


def gated_weight_change(
    pre_trains, post_trains, gate: np.ndarray, *, dt_s: float, rule: STDP
) -> tuple[np.ndarray, np.ndarray]:
    """Weight change of each synapse: integral of eligibility x gate.

    Parameters
    ----------
    pre_trains, post_trains : list of arrays
        Spike times (s) per synapse.
    gate : array (n_steps, n_synapses)
        1 where the synapse's microdomain calcium is above threshold, else 0.
    dt_s : float
        Step of ``gate`` (s).
    rule : STDP

    Returns
    -------
    dw : array (n_synapses,)
        Accumulated weight change.
    eligibility_integral : array (n_synapses,)
        Integral of the eligibility trace without the gate (what plain STDP would give
        over the same time): the ungated reference.
    """
    n_steps, n_syn = gate.shape
    decay = np.exp(-dt_s / rule.tau_e_s)
    kicks = np.zeros((n_steps, n_syn))
    for j in range(n_syn):
        times, sizes = eligibility_increments(pre_trains[j], post_trains[j], rule)
        idx = np.clip((times / dt_s).astype(int), 0, n_steps - 1)
        np.add.at(kicks[:, j], idx, sizes)
    from scipy.signal import lfilter  # (scipy.signal takes 0.1 s to import)

    # e[t] = decay e[t-1] + kicks[t]: a first-order recursive filter along time
    e = lfilter([1.0], [1.0, -decay], kicks, axis=0)
    scale = rule.learning_rate * dt_s
    return scale * np.einsum("ts,ts->s", e, gate), scale * e.sum(axis=0)


def co_permission(gate: np.ndarray) -> float:
    """How many synapses the astrocyte lets change together: for a synapse whose gate is
    open, the share of all synapses whose gate is open at the same moment, averaged over
    every synapse's open time (``gate``: (n_steps, n_synapses)); with n_t gates open at
    step t of N, sum n_t^2 / (N sum n_t). 1 / N when gates open one at a time, 1 when they
    all open together; NaN when no gate ever opens. Averaged over synapses' open time
    rather than over time: the many brief openings of single microdomains, which fill
    most of the time, then weigh only as much as the synapses they free."""
    gate = np.asarray(gate) > 0
    n_open = gate.sum(axis=1).astype(float)
    total = n_open.sum()
    return float((n_open**2).sum() / (gate.shape[1] * total)) if total else float("nan")


def pairing_trains(
    lags_s: np.ndarray, *, n_pairings: int, frequency_hz: float
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A spike-timing protocol, one synapse per lag: ``n_pairings`` presynaptic spikes at
    ``frequency_hz``, each with one postsynaptic spike ``lag`` later (negative: post
    before pre). Times start at 1 s."""
    pre = 1.0 + np.arange(n_pairings) / frequency_hz
    return [pre.copy() for _ in lags_s], [pre + lag for lag in lags_s]


def stdp_window(
    lags_s: np.ndarray,
    rule: STDP | None = None,
    *,
    n_pairings: int = 60,
    frequency_hz: float = 1.0,
    dt_s: float = 0.0005,
) -> np.ndarray:
    """Weight change per synapse after a pairing protocol at each lag, with the gate always
    open (no astrocyte): the eligibility machinery of :func:`gated_weight_change` run to
    the end of the traces. The classic window (Bi & Poo 1998): potentiation for pre
    before post, depression for post before pre, each falling off exponentially."""
    rule = rule or STDP()
    lags_s = np.asarray(lags_s, float)
    pre, post = pairing_trains(lags_s, n_pairings=n_pairings, frequency_hz=frequency_hz)
    end = 1.0 + n_pairings / frequency_hz + 10 * rule.tau_e_s
    n_steps = int(np.ceil(end / dt_s))
    gate = np.ones((n_steps, len(lags_s)))
    dw, _ = gated_weight_change(pre, post, gate, dt_s=dt_s, rule=rule)
    return dw


@dataclass(frozen=True)
class AstrocyteLTDGate:
    """Astrocyte as a thresholding integrator for spike-timing-dependent depression, in
    the manner of Min & Nevian (2012, Nat Neurosci 15:746): at neocortical L4-L2/3
    synapses t-LTD needs post-before-pre pairings to release endocannabinoids, which raise
    astrocyte calcium through CB1 receptors; the astrocyte's glutamate then acts on
    presynaptic NMDA receptors, and LTD appears only after enough pairings.

    Each post-before-pre pairing (a presynaptic spike within ``window_s`` after a
    postsynaptic one) adds ``drive_per_pairing`` to the astrocyte's calcium-like variable
    A, which decays with ``tau_s``. The depression a pairing would cause under plain STDP
    is expressed only when A is at or above ``threshold``. The numbers are illustrative
    (chosen so that about 20 pairings at 0.2 Hz are needed), not fitted to that study.
    """

    window_s: float = 0.1
    drive_per_pairing: float = 0.05
    tau_s: float = 60.0
    threshold: float = 0.5

    def pairings_needed(self, frequency_hz: float) -> float:
        """Pairings at ``frequency_hz`` after which A first reaches the threshold (inf if
        never): A_n = k (1 - r^n) / (1 - r), r = exp(-1 / (f tau))."""
        r = np.exp(-1.0 / (frequency_hz * self.tau_s))
        ceiling = self.drive_per_pairing / (1.0 - r)
        if ceiling < self.threshold:
            return np.inf
        return float(np.ceil(np.log(1.0 - self.threshold / ceiling) / np.log(r)))


def astrocyte_gated_ltd(
    pre: np.ndarray, post: np.ndarray, gate: AstrocyteLTDGate, rule: STDP | None = None
) -> tuple[float, np.ndarray, np.ndarray]:
    """Depression of one synapse under :class:`AstrocyteLTDGate`.

    Returns (dw, pairing times, A just after each pairing). dw sums, over the pairings
    at which A >= threshold, the weight change the pair's depression (-a_minus exp(-lag /
    tau_minus)) makes through its eligibility trace with the gate open (times
    learning_rate tau_e, as in :func:`gated_weight_change`), so that a pairing past the
    threshold changes the weight as much as under plain STDP (:func:`stdp_window`);
    pairings before the threshold is crossed change nothing.
    """
    rule = rule or STDP()
    pre, post = np.sort(np.asarray(pre, float)), np.sort(np.asarray(post, float))
    if not len(pre) or not len(post):
        return 0.0, np.zeros(0), np.zeros(0)
    i = np.searchsorted(post, pre, side="right") - 1  # latest post spike at or before pre
    has = i >= 0
    lag = np.where(has, pre - post[np.clip(i, 0, None)], np.inf)
    paired = has & (lag > 0) & (lag <= gate.window_s)
    times, lags = pre[paired], lag[paired]
    a = np.zeros(len(times))
    level, last = 0.0, None
    for k, t in enumerate(times):
        if last is not None:
            level *= np.exp(-(t - last) / gate.tau_s)
        level += gate.drive_per_pairing
        a[k], last = level, t
    expressed = a >= gate.threshold
    per_pair = -rule.a_minus * rule.learning_rate * rule.tau_e_s
    dw = per_pair * float(np.exp(-lags[expressed] / rule.tau_minus_s).sum())
    return dw, times, a
