"""Many Li-Rinzel compartments with IP3 as a state, integrated at once: the NumPy/CuPy
array path and a fused numba kernel for the CPU.

Each compartment's IP3 relaxes to its own level (``ip3_target``, uM) with tau_IP3 of
:class:`LiRinzel`; calcium and the IP3R gate follow Li & Rinzel (1994). This is the unit
that the astrocyte models repeat per microdomain, branch and soma, and the model that
``benchmarks/models.py`` runs against Brian2.
"""

from __future__ import annotations

import numpy as np

from ..backend import to_numpy
from ._integrate import integrate
from ._li_rinzel import LiRinzel, li_rinzel_rates
from ._li_rinzel_numba import calcium_rates, params_vector

try:
    import numba
except ImportError:  # pragma: no cover - numba is a core dependency
    numba = None


def simulate_li_rinzel(
    ip3_target,
    *,
    duration_s: float,
    p: LiRinzel | None = None,
    dt_s: float = 0.01,
    record_every: int = 10,
    engine: str = "array",
    xp=np,
):
    """Integrate compartments from (Ca, h, IP3) = (0.1 uM, 0.7, target) with RK4.

    ``engine``: "array" (NumPy or CuPy ``xp``, one array operation per term) or "numba"
    (a compiled loop per compartment over time, parallel over compartments, CPU only).
    Returns (t, ca): times (n_rec,) and calcium (n_rec, N) as NumPy float32.
    """
    p = p or LiRinzel()
    n_steps = int(round(duration_s / dt_s))
    t = np.arange(n_steps // record_every + 1) * record_every * dt_s
    if engine == "numba":
        if numba is None:  # pragma: no cover
            raise RuntimeError("engine 'numba' needs numba")
        target = np.ascontiguousarray(to_numpy(ip3_target), dtype=np.float64)
        out = np.empty((len(t), len(target)), np.float32)
        _numba_kernel()(target, params_vector(p), dt_s, n_steps, record_every, out)
        return t, out
    if engine != "array":
        raise ValueError(f"engine: expected 'array' or 'numba', got {engine!r}")
    target = xp.asarray(ip3_target, dtype=xp.float64)

    def rhs(state):
        ca, h, ip3 = state
        dca, dh = li_rinzel_rates(ca, h, ip3, p, xp)
        return dca, dh, (target - ip3) / p.tau_ip3

    y0 = (xp.full(target.shape, 0.1), xp.full(target.shape, 0.7), target.copy())
    _, (ca, _, _) = integrate(rhs, y0, dt=dt_s, n_steps=n_steps, record_every=record_every, xp=xp)
    return t, to_numpy(ca).astype(np.float32)


_KERNEL = None


def _numba_kernel():
    """The compiled kernel (built on first use: compiling takes about a second)."""
    global _KERNEL
    if _KERNEL is not None:
        return _KERNEL

    @numba.njit(cache=False, inline="always")
    def rates(ca, h, ip3, target, q):
        dca, dh = calcium_rates(ca, h, ip3, q)
        return dca, dh, (target - ip3) / q[11]

    @numba.njit(parallel=True, fastmath=True, cache=False)
    def kernel(target, q, dt, n_steps, every, out):
        # time outside, compartments inside: the inner loop is vectorised (SIMD) and split
        # over the cores
        n = target.shape[0]
        ca, h, ip3 = np.full(n, 0.1), np.full(n, 0.7), target.copy()
        out[0] = ca
        for step in range(1, n_steps + 1):
            for i in numba.prange(n):
                c, g, x, tg = ca[i], h[i], ip3[i], target[i]
                a1, b1, c1_ = rates(c, g, x, tg, q)
                a2, b2, c2 = rates(c + 0.5 * dt * a1, g + 0.5 * dt * b1, x + 0.5 * dt * c1_, tg, q)
                a3, b3, c3 = rates(c + 0.5 * dt * a2, g + 0.5 * dt * b2, x + 0.5 * dt * c2, tg, q)
                a4, b4, c4 = rates(c + dt * a3, g + dt * b3, x + dt * c3, tg, q)
                ca[i] = c + dt / 6.0 * (a1 + 2.0 * a2 + 2.0 * a3 + a4)
                h[i] = g + dt / 6.0 * (b1 + 2.0 * b2 + 2.0 * b3 + b4)
                ip3[i] = x + dt / 6.0 * (c1_ + 2.0 * c2 + 2.0 * c3 + c4)
            if step % every == 0:
                out[step // every] = ca

    _KERNEL = kernel
    return kernel
