"""An astrocyte as a tree of compartments: microdomains on branches on a soma.

Each compartment follows Li-Rinzel calcium dynamics with its own IP3. Microdomains
receive synaptic glutamate as Poisson events, each adding an IP3 pulse; a share of the
events is common to all microdomains of a cell (correlated input), the rest independent.
A shared event reaches the microdomains as a wave: where their positions are given, it
starts at one of them (drawn per event) and reaches each other after its distance over the
wave speed (astrocyte calcium waves travel at about 5-30 um/s, Bazargani & Attwell 2016
Nat Neurosci 19:182); without positions, or at an infinite speed, every microdomain
receives it in the same step. IP3 (and, optionally, calcium) is exchanged along the
tree's edges: each microdomain with its branch (or with the soma when there are no
branches: a star), each branch with the soma, the flux proportional to the concentration
difference. Volumes: a microdomain 1, a branch as large as its microdomains together, the
soma as large as all microdomains. Many astrocytes and parameter candidates are integrated
at once along the leading array axis, RK4 with a fixed step between input events, on the
NumPy or CuPy backend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backend import to_numpy
from ..settings import ModelSettings
from . import _astrocyte_numba as _numba
from ._integrate import rk4_step
from ._li_rinzel import LiRinzel, li_rinzel_rates, resting_state
from ._li_rinzel_numba import params_vector


@dataclass
class AstrocyteInput:
    """Synaptic drive: per-microdomain rate (events/min), shared share, IP3 pulse (uM)."""

    rate_per_min: np.ndarray  # (B,) one rate per batch row (candidate x astrocyte)
    correlation: np.ndarray  # (B,) share of events common to all microdomains of a cell
    ip3_pulse_uM: float = 0.6
    # (B,) speed (um/s) at which a shared event spreads from the microdomain where it starts
    # (inf: all at once); used where poisson_drive is given the microdomains' positions
    wave_speed_um_s: np.ndarray | None = None


def poisson_drive(
    rng,
    inputs: AstrocyteInput,
    *,
    n_domains: int,
    n_steps: int,
    dt_s: float,
    replicate: np.ndarray | None = None,
    positions_um: np.ndarray | None = None,
) -> np.ndarray:
    """Input events (n_steps, B, n_domains) as uint8 (1: an event in that step).

    Common random numbers: batch rows with the same ``replicate`` index (default: all
    different) thin the same underlying uniform draws, so candidates that differ only in
    rate see nested inputs and the simulated statistics are smooth in the rate.

    ``positions_um`` (n_domains, 2): where the microdomains lie. A shared event then starts
    at one of them (drawn per event, common to rows of a replicate) and reaches microdomain
    i ``distance / inputs.wave_speed_um_s`` later (rounded to the step; arrivals after the
    last step are lost, as a recording misses what comes after it).
    """
    b = len(inputs.rate_per_min)
    replicate = np.arange(b) if replicate is None else np.asarray(replicate)
    n_rep = int(replicate.max()) + 1
    lam = (inputs.rate_per_min / 60.0 * dt_s).astype(np.float32)
    if lam.max() >= 0.5:
        raise ValueError("input rate too high for the integration step: lower dt_s")
    u_private = rng.random((n_steps, n_rep, n_domains), dtype=np.float32)
    u_shared = rng.random((n_steps, n_rep, 1), dtype=np.float32)
    c = inputs.correlation.astype(np.float32)
    lam_private, lam_shared = lam * (1 - c), lam * c
    delay = np.zeros((b, n_domains, n_domains), np.int64)  # [row, origin, microdomain] steps
    origin = np.zeros((n_steps, n_rep), np.int64)
    if positions_um is not None and inputs.wave_speed_um_s is not None:
        pos = np.asarray(positions_um, float)
        if pos.shape != (n_domains, 2):
            raise ValueError(f"positions_um has shape {pos.shape}; expected ({n_domains}, 2)")
        distance = np.hypot(*(pos[:, None, :] - pos[None, :, :]).transpose(2, 0, 1))
        with np.errstate(divide="ignore"):
            steps_per_um = 1.0 / (np.asarray(inputs.wave_speed_um_s, float) * dt_s)
        delay = np.rint(steps_per_um[:, None, None] * distance[None]).astype(np.int64)
        origin = rng.integers(0, n_domains, (n_steps, n_rep))
    if _numba.available():
        return _numba.thin(u_private, u_shared, replicate, lam_private, lam_shared, origin, delay)
    private = u_private[:, replicate] < lam_private[None, :, None]
    shared = u_shared[:, replicate, 0] < lam_shared[None, :]
    out = private.astype(np.uint8)
    for t, row in zip(*np.nonzero(shared), strict=True):
        arrive = t + delay[row, origin[t, replicate[row]]]
        hit = arrive < n_steps
        out[arrive[hit], row, np.flatnonzero(hit)] = 1
    return out


SIZE_LEVELS = 255  # pulse sizes are drawn as one of this many quantiles


def pulse_sizes(rng, *, n_steps: int, n_domains: int, replicate: np.ndarray) -> np.ndarray:
    """Size codes (n_steps, B, n_domains) uint8 in 1..:data:`SIZE_LEVELS` for the input
    events of :func:`poisson_drive`: code k stands for the k-th of equally spaced
    quantiles of the pulse size distribution (:func:`size_table`). Rows with the same
    ``replicate`` share codes (common random numbers: a candidate with a wider size
    distribution sees the same events, each scaled further from the mean)."""
    replicate = np.asarray(replicate)
    n_rep = int(replicate.max()) + 1
    codes = rng.integers(1, SIZE_LEVELS + 1, (n_steps, n_rep, n_domains), dtype=np.uint8)
    return codes[:, replicate]


def size_table(pulse_cv, n_rows: int) -> np.ndarray:
    """(n_rows, SIZE_LEVELS + 1) factors on the IP3 pulse per size code: a lognormal shape
    sampled at the codes' quantiles, its log-SD set so that the sampled factors have mean
    1 and coefficient of variation ``pulse_cv`` (scalar or one per row; the quantiles cut
    the far tail, so the plain lognormal's log-SD would fall short); column 0 (no event)
    is 0."""
    cv = np.broadcast_to(np.asarray(pulse_cv, float).ravel(), (n_rows,))
    table = np.zeros((n_rows, SIZE_LEVELS + 1))
    for value in np.unique(cv):
        table[cv == value, 1:] = _lognormal_levels(float(value))
    return table


def _lognormal_levels(cv: float) -> np.ndarray:
    from scipy.optimize import brentq
    from scipy.stats import norm

    z = norm.ppf((np.arange(1, SIZE_LEVELS + 1) - 0.5) / SIZE_LEVELS)

    def levels(sigma):
        f = np.exp(sigma * z)
        return f / f.mean()

    if cv <= 0:
        return np.ones(SIZE_LEVELS)
    sigma = brentq(lambda s: levels(s).std() - cv, 1e-6, 10.0)
    return levels(sigma)


def heterogeneity(cv, z: np.ndarray) -> np.ndarray:
    """Factors with mean 1 and coefficient of variation ``cv`` (scalar or (B,)) from
    standard normal draws ``z`` (B, n): lognormal, exp(sigma z - sigma^2 / 2). The same
    ``z`` for every candidate (common random numbers): a wider spread moves each
    microdomain further the same way."""
    sigma = np.sqrt(np.log1p(np.asarray(cv, float) ** 2)).reshape(-1, 1)
    return np.exp(sigma * z - sigma**2 / 2)


def tree(n_domains: int, n_branches: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Edges and volumes of an astrocyte tree: compartments are the microdomains, then
    the branches, then the soma; microdomain i sits on branch i mod n_branches. Returns
    the incidence matrix (n_edges, n_compartments; +1 at the outer end, -1 at the inner)
    and the volumes (n_compartments,)."""
    n = n_domains + n_branches + 1
    soma = n - 1
    inner = [n_domains + i % n_branches if n_branches else soma for i in range(n_domains)]
    inner += [soma] * n_branches
    incidence = np.zeros((len(inner), n))
    for edge, j in enumerate(inner):
        incidence[edge, edge] = 1.0
        incidence[edge, j] = -1.0
    volume = np.ones(n)
    for b in range(n_branches):
        volume[n_domains + b] = max(1, len(range(b, n_domains, n_branches)))
    volume[soma] = n_domains
    return incidence, volume


def simulate_astrocytes(
    drive,
    xp,
    *,
    dt_s: float,
    coupling_per_s,
    ip3_pulse_uM,
    params: LiRinzel | None = None,
    record_every: int = 0,
    n_branches: int = 0,
    ca_coupling_per_s: float = 0.0,
    kinetic_speed=1.0,
    speed_factors: np.ndarray | None = None,
    pulse_cv=0.0,
    sizes: np.ndarray | None = None,
    engine: str = "auto",
):
    """Integrate a batch of astrocytes.

    Parameters
    ----------
    drive : uint8 array (n_steps, B, n_domains)
        Synaptic events per step and microdomain (from :func:`poisson_drive`).
    xp : module
        Array backend.
    dt_s : float
        Step (s): RK4 over each step, input pulses added at its end.
    coupling_per_s : float or array (B,)
        IP3 exchange rate along each edge of the tree (1/s), one for all or one per row.
    ip3_pulse_uM : float or array (B,)
        IP3 added per synaptic event (uM), one for all or one per row.
    params : LiRinzel
        Calcium dynamics parameters.
    record_every : int
        Record (Ca, IP3) every this many steps (0: record nothing).
    n_branches : int
        Branches between microdomains and soma (0: microdomains on the soma).
    ca_coupling_per_s : float
        Calcium exchange rate along each edge (1/s; 0: calcium stays in its compartment).
    kinetic_speed : float or array (B,)
        Factor on every rate of the cell's own calcium and IP3 kinetics (the Li-Rinzel
        fluxes, the inactivation gate and the IP3 relaxation; not the exchange along the
        tree): at 2 the cell's response to one input runs twice as fast, so its events
        last half as long. 1 is the Li-Rinzel model.
    speed_factors : array (B, n_domains), optional
        Each microdomain's own factor on its row's ``kinetic_speed`` (microdomains differ
        in size and ER content; :func:`heterogeneity`); branches and soma keep the row's.
    pulse_cv : float or array (B,)
        Coefficient of variation of the IP3 pulse between input events (lognormal, mean
        ``ip3_pulse_uM``): synapses differ in strength and glutamate release in size.
    sizes : uint8 array (n_steps, B, n_domains), optional
        Size codes of the input events (:func:`pulse_sizes`); needed where ``pulse_cv``
        is not 0.
    engine : str
        "array" (one array operation per term on ``xp``: NumPy or CuPy), "numba" (a
        compiled loop, astrocytes in parallel; CPU), or "auto": numba on NumPy where
        numba is installed, else array. Both take the same steps.

    Returns
    -------
    dict
        ``ca`` and ``ip3`` (n_rec, B, n_compartments) when recording: microdomains, then
        branches, then the soma (column -1).
    """
    p = params or LiRinzel()
    n_steps, b, n_domains = drive.shape
    incidence, volume = tree(n_domains, n_branches)
    a = xp.asarray(incidence)
    a_over_v = xp.asarray(incidence / volume[None, :])
    n = incidence.shape[1]
    ca0, h0 = resting_state(p)
    speed = np.ones((b, n)) * np.reshape(np.asarray(kinetic_speed, float), (-1, 1))
    if speed_factors is not None:
        speed[:, :n_domains] *= np.asarray(speed_factors, float)
    table = None
    if np.any(np.asarray(pulse_cv) > 0):
        if sizes is None:
            raise ValueError("pulse_cv > 0 needs the events' size codes (pulse_sizes)")
        table = size_table(pulse_cv, b)
    else:
        sizes = None
    if engine == "auto":
        engine = "numba" if xp is np and _numba.available() else "array"
    if engine == "numba":
        rec_ca, rec_ip3 = _numba.simulate(
            to_numpy(drive),
            None if sizes is None else to_numpy(sizes),
            table,
            np.array([[ca0] * n, [h0] * n, [p.ip3_rest] * n]),
            params_vector(p),
            speed,
            incidence,
            volume,
            coupling_per_s,
            ca_coupling_per_s,
            ip3_pulse_uM,
            dt_s,
            record_every,
        )
        return {"ca": rec_ca, "ip3": rec_ip3} if record_every else {}
    if engine != "array":
        raise ValueError(f"engine: expected 'auto', 'array' or 'numba', got {engine!r}")
    state = (
        xp.full((b, n), ca0, dtype=xp.float64),
        xp.full((b, n), h0, dtype=xp.float64),
        xp.full((b, n), p.ip3_rest, dtype=xp.float64),
    )
    drive = xp.asarray(drive)
    if table is not None:
        sizes, table, rows = xp.asarray(sizes), xp.asarray(table), xp.arange(b)[:, None]
    coupling = xp.asarray(np.reshape(np.asarray(coupling_per_s, float), (-1, 1)))
    pulse = xp.asarray(np.reshape(np.asarray(ip3_pulse_uM, float), (-1, 1)))
    speed = xp.asarray(speed)

    def exchange(x, rate):
        # flux along each edge from its outer to its inner end, into concentration changes
        return -rate * ((x @ a.T) @ a_over_v)

    def rhs(s):
        ca, h, ip3 = s
        dca, dh = li_rinzel_rates(ca, h, ip3, p, xp)
        dca, dh = speed * dca, speed * dh
        dip3 = speed * (p.ip3_rest - ip3) / p.tau_ip3 + exchange(ip3, coupling)
        if ca_coupling_per_s:
            dca = dca + exchange(ca, ca_coupling_per_s)
        return dca, dh, dip3

    rec_ca, rec_ip3 = [], []
    for step in range(n_steps):
        ca, h, ip3 = rk4_step(rhs, state, dt_s)
        ca = xp.maximum(ca, 1e-6)
        h = xp.clip(h, 0.0, 1.0)
        if table is None:
            ip3[:, :n_domains] += pulse * drive[step]
        else:
            ip3[:, :n_domains] += pulse * drive[step] * table[rows, sizes[step]]
        state = (ca, h, ip3)
        if record_every and step % record_every == 0:
            rec_ca.append(ca.astype(xp.float32))
            rec_ip3.append(ip3.astype(xp.float32))
    out = {}
    if record_every:
        out["ca"] = to_numpy(xp.stack(rec_ca))
        out["ip3"] = to_numpy(xp.stack(rec_ip3))
    return out


def simulate_input(
    rng,
    inputs: AstrocyteInput,
    *,
    n_domains: int,
    n_steps: int,
    model: ModelSettings | dict | None,
    coupling_per_s,
    ip3_pulse_uM,
    record_every: int,
    kinetic_speed=1.0,
    speed_factors: np.ndarray | None = None,
    pulse_cv=0.0,
    replicate: np.ndarray | None = None,
    positions_um: np.ndarray | None = None,
    xp=np,
) -> dict:
    """Poisson synaptic input (:func:`poisson_drive`, shared events spreading from
    microdomain to microdomain where ``positions_um`` are given) into a batch of
    astrocytes integrated with the step and tree of the ``model`` config section (dt_s,
    n_branches, ca_coupling_per_s; :func:`simulate_astrocytes`, whose recordings it
    returns)."""
    model = ModelSettings.of(model)
    drive = poisson_drive(
        rng,
        inputs,
        n_domains=n_domains,
        n_steps=n_steps,
        dt_s=model.dt_s,
        replicate=replicate,
        positions_um=positions_um,
    )
    sizes = None
    if np.any(np.asarray(pulse_cv) > 0):
        rows = np.arange(drive.shape[1]) if replicate is None else replicate
        sizes = pulse_sizes(rng, n_steps=n_steps, n_domains=n_domains, replicate=rows)
    return simulate_astrocytes(
        drive,
        xp,
        dt_s=model.dt_s,
        coupling_per_s=coupling_per_s,
        ip3_pulse_uM=ip3_pulse_uM,
        record_every=record_every,
        n_branches=model.n_branches,
        ca_coupling_per_s=model.ca_coupling_per_s,
        kinetic_speed=kinetic_speed,
        speed_factors=speed_factors,
        pulse_cv=pulse_cv,
        sizes=sizes,
    )


def calcium_event_runs(
    ca: np.ndarray, *, threshold_uM: float, dt_s: float, min_duration_s: float = 0.3
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Onset times and durations (s) of calcium events, per column of ``ca`` (n_t, ...).

    An event is an upward crossing of ``threshold_uM`` that stays above it for
    ``min_duration_s``; its duration is the time above. Returns two flat lists (columns in
    C order) of arrays."""
    flat = ca.reshape(ca.shape[0], -1)
    above = flat > threshold_uM
    min_n = max(1, int(round(min_duration_s / dt_s)))
    onsets, durations = [], []
    for j in range(flat.shape[1]):
        edges = np.diff(np.concatenate([[0], above[:, j].astype(np.int8), [0]]))
        starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        keep = (stops - starts) >= min_n
        onsets.append(starts[keep] * dt_s)
        durations.append((stops - starts)[keep] * dt_s)
    return onsets, durations


def calcium_events(
    ca: np.ndarray, *, threshold_uM: float, dt_s: float, min_duration_s: float = 0.3
) -> list[np.ndarray]:
    """Onset times (s) of the events of :func:`calcium_event_runs`."""
    return calcium_event_runs(
        ca, threshold_uM=threshold_uM, dt_s=dt_s, min_duration_s=min_duration_s
    )[0]
