"""An astrocyte as microdomain compartments around a soma, coupled by IP3 exchange.

Each compartment follows Li-Rinzel calcium dynamics with its own IP3. Microdomains
receive synaptic glutamate as Poisson events, each adding an IP3 pulse; a share of the
events is common to all microdomains of a cell (correlated input), the rest independent.
IP3 diffuses between every microdomain and the soma (star topology). Many astrocytes and
parameter candidates are integrated at once along leading array axes, with a fixed-step
Euler scheme on the NumPy or CuPy backend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backend import to_numpy
from ._li_rinzel import LiRinzel, li_rinzel_rates, resting_state


@dataclass
class AstrocyteInput:
    """Synaptic drive: per-microdomain rate (events/min), shared share, IP3 pulse (uM)."""

    rate_per_min: np.ndarray  # (B,) one rate per batch row (candidate x astrocyte)
    correlation: np.ndarray  # (B,) share of events common to all microdomains of a cell
    ip3_pulse_uM: float = 0.6


def poisson_drive(
    rng,
    inputs: AstrocyteInput,
    *,
    n_domains: int,
    n_steps: int,
    dt_s: float,
    replicate: np.ndarray | None = None,
) -> np.ndarray:
    """Input event counts (n_steps, B, n_domains) as uint8.

    Common random numbers: batch rows with the same ``replicate`` index (default: all
    different) thin the same underlying uniform draws, so candidates that differ only in
    rate see nested inputs and the simulated statistics are smooth in the rate.
    """
    b = len(inputs.rate_per_min)
    replicate = np.arange(b) if replicate is None else np.asarray(replicate)
    n_rep = int(replicate.max()) + 1
    lam = (inputs.rate_per_min / 60.0 * dt_s).astype(np.float32)
    if lam.max() >= 0.5:
        raise ValueError("input rate too high for the integration step: lower dt_s")
    u_private = rng.random((n_steps, n_rep, n_domains), dtype=np.float32)[:, replicate]
    u_shared = rng.random((n_steps, n_rep, 1), dtype=np.float32)[:, replicate]
    c = inputs.correlation.astype(np.float32)[None, :, None]
    private = u_private < lam[None, :, None] * (1 - c)
    shared = u_shared < lam[None, :, None] * c
    return (private | shared).astype(np.uint8)


def simulate_astrocytes(
    drive,
    xp,
    *,
    dt_s: float,
    coupling_per_s: float,
    ip3_pulse_uM: float,
    params: LiRinzel | None = None,
    record_every: int = 0,
):
    """Integrate a batch of astrocytes.

    Parameters
    ----------
    drive : uint8 array (n_steps, B, n_domains)
        Synaptic events per step and microdomain (from :func:`poisson_drive`).
    xp : module
        Array backend.
    dt_s : float
        Euler step (s).
    coupling_per_s : float
        IP3 exchange rate between each microdomain and the soma (1/s).
    ip3_pulse_uM : float
        IP3 added per synaptic event (uM).
    params : LiRinzel
        Calcium dynamics parameters.
    record_every : int
        Record (Ca, IP3) every this many steps (0: record nothing but the peaks).

    Returns
    -------
    ca_max_runs : dict
        ``ca`` (n_rec, B, n_domains + 1) and ``ip3`` when recording, column -1 = soma.
    """
    p = params or LiRinzel()
    n_steps, b, n = drive.shape
    ca0, h0 = resting_state(p)
    ca = xp.full((b, n + 1), ca0, dtype=xp.float64)
    h = xp.full((b, n + 1), h0, dtype=xp.float64)
    ip3 = xp.full((b, n + 1), p.ip3_rest, dtype=xp.float64)
    drive = xp.asarray(drive)
    rec_ca, rec_ip3 = [], []
    for step in range(n_steps):
        dca, dh = li_rinzel_rates(ca, h, ip3, p, xp)
        soma = ip3[:, -1:]
        flow = coupling_per_s * (ip3[:, :-1] - soma)  # microdomain -> soma
        dip3 = (p.ip3_rest - ip3) / p.tau_ip3
        dip3[:, :-1] -= flow
        dip3[:, -1] += flow.mean(axis=1)  # soma volume: as large as all microdomains
        ca = xp.maximum(ca + dt_s * dca, 1e-6)
        h = xp.clip(h + dt_s * dh, 0.0, 1.0)
        ip3 = ip3 + dt_s * dip3
        ip3[:, :-1] += ip3_pulse_uM * drive[step]
        if record_every and step % record_every == 0:
            rec_ca.append(ca.astype(xp.float32))
            rec_ip3.append(ip3.astype(xp.float32))
    out = {}
    if record_every:
        out["ca"] = to_numpy(xp.stack(rec_ca))
        out["ip3"] = to_numpy(xp.stack(rec_ip3))
    return out


def calcium_events(
    ca: np.ndarray, *, threshold_uM: float, dt_s: float, min_duration_s: float = 0.3
) -> list[np.ndarray]:
    """Onset times (s) of calcium events, per column of ``ca`` (n_t, ...).

    An event is an upward crossing of ``threshold_uM`` that stays above it for
    ``min_duration_s``. Returns a flat list (columns in C order) of onset-time arrays.
    """
    flat = ca.reshape(ca.shape[0], -1)
    above = flat > threshold_uM
    min_n = max(1, int(round(min_duration_s / dt_s)))
    out = []
    for j in range(flat.shape[1]):
        edges = np.diff(np.concatenate([[0], above[:, j].astype(np.int8), [0]]))
        starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        keep = (stops - starts) >= min_n
        out.append(starts[keep] * dt_s)
    return out
