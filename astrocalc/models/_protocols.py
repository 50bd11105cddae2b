"""Plasticity protocols with and without the astrocyte: a spike-timing sweep and a
number-of-pairings sweep (as in the experiments of Min & Nevian 2012, Nat Neurosci
15:746, where t-LTD needed the astrocyte and a minimum number of pairings while t-LTP did
not).

Without the astrocyte, every pairing changes the weight (the pair-based window of
:func:`stdp_window`). With it, pre-before-post pairings potentiate as before, and the
depression of post-before-pre pairings is expressed only once the astrocyte's integrator
(:class:`AstrocyteLTDGate`) has crossed its threshold (:func:`astrocyte_gated_ltd`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._plasticity import (
    STDP,
    AstrocyteLTDGate,
    astrocyte_gated_ltd,
    pairing_trains,
    stdp_window,
)


def _with_astrocyte(lags_s, plain, *, n_pairings, frequency_hz, gate, rule) -> np.ndarray:
    pre, post = pairing_trains(lags_s, n_pairings=n_pairings, frequency_hz=frequency_hz)
    out = np.array(plain, float)
    for k, lag in enumerate(lags_s):
        if lag < 0:  # post before pre: depression, through the astrocyte
            out[k] = astrocyte_gated_ltd(pre[k], post[k], gate, rule)[0]
    return out


def timing_sweep(
    lags_s: np.ndarray,
    *,
    n_pairings: int,
    frequency_hz: float,
    gate: AstrocyteLTDGate | None = None,
    rule: STDP | None = None,
) -> pd.DataFrame:
    """Weight change against the pairing lag (post minus pre, s) after ``n_pairings`` at
    ``frequency_hz``: columns lag_ms, dw_without_astrocyte, dw_with_astrocyte."""
    gate, rule = gate or AstrocyteLTDGate(), rule or STDP()
    lags_s = np.asarray(lags_s, float)
    plain = stdp_window(lags_s, rule, n_pairings=n_pairings, frequency_hz=frequency_hz)
    gated = _with_astrocyte(
        lags_s, plain, n_pairings=n_pairings, frequency_hz=frequency_hz, gate=gate, rule=rule
    )
    return pd.DataFrame(
        {"lag_ms": lags_s * 1e3, "dw_without_astrocyte": plain, "dw_with_astrocyte": gated}
    )


def pairing_sweep(
    n_pairings: np.ndarray,
    *,
    lag_s: float,
    frequency_hz: float,
    gate: AstrocyteLTDGate | None = None,
    rule: STDP | None = None,
) -> pd.DataFrame:
    """Weight change against the number of pairings at one lag: columns n_pairings,
    dw_without_astrocyte, dw_with_astrocyte."""
    gate, rule = gate or AstrocyteLTDGate(), rule or STDP()
    rows = []
    for n in np.asarray(n_pairings, int):
        plain = stdp_window(np.array([lag_s]), rule, n_pairings=int(n), frequency_hz=frequency_hz)
        gated = _with_astrocyte(
            np.array([lag_s]), plain, n_pairings=int(n), frequency_hz=frequency_hz, gate=gate,
            rule=rule,
        )  # fmt: skip
        rows.append((int(n), float(plain[0]), float(gated[0])))
    return pd.DataFrame(rows, columns=["n_pairings", "dw_without_astrocyte", "dw_with_astrocyte"])


@dataclass
class Protocols:
    """What ``astrocalc protocols`` writes: the two sweeps and the gate's threshold."""

    timing: pd.DataFrame  # :func:`timing_sweep`
    pairings: pd.DataFrame  # :func:`pairing_sweep`
    pairings_needed: float  # pairings before t-LTD is expressed (inf: never at this rate)


def plasticity_protocols(
    *,
    frequency_hz: float = 0.2,
    n_pairings: int = 40,
    lag_s: float = -0.010,
    gate: AstrocyteLTDGate | None = None,
) -> Protocols:
    """Both protocols of Min & Nevian (2012) with and without the astrocyte: the timing
    sweep over 24 lags (2-100 ms either side) after ``n_pairings`` pairings, and the
    pairing sweep at ``lag_s`` (post minus pre) up to twice the number of pairings the
    astrocyte needs (at least 40)."""
    for name, ok, expected in (
        ("frequency_hz", frequency_hz > 0, "a positive number"),
        ("n_pairings", n_pairings >= 1, "at least 1"),
        ("lag_s", lag_s != 0, "a non-zero lag"),
    ):
        if not ok:
            raise ValueError(f"{name}: expected {expected}")
    gate = gate or AstrocyteLTDGate()
    needed = gate.pairings_needed(frequency_hz)
    lags = np.concatenate([-np.geomspace(0.1, 0.002, 12), np.geomspace(0.002, 0.1, 12)])
    timing = timing_sweep(lags, n_pairings=n_pairings, frequency_hz=frequency_hz, gate=gate)
    top = int(max(2 * needed, 40)) if np.isfinite(needed) else 4 * n_pairings
    counts = np.unique(np.linspace(1, top, 40).astype(int))
    pairings = pairing_sweep(counts, lag_s=lag_s, frequency_hz=frequency_hz, gate=gate)
    return Protocols(timing, pairings, needed)
