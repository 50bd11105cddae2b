"""Li-Rinzel rates for the compiled (numba) kernels, one compartment at a time: the
equations of :func:`astrocalc.models.li_rinzel_rates` on scalars."""

from __future__ import annotations

import numpy as np

from ._li_rinzel import LiRinzel

try:
    import numba
except ImportError:  # pragma: no cover - numba is a core dependency
    numba = None


def available() -> bool:
    return numba is not None


def jit(**options):
    """numba.njit with on-disk caching (compiling takes seconds; each pipeline stage is a
    new process); a no-op decorator where numba is missing."""
    if numba is None:  # pragma: no cover
        return lambda f: f
    return numba.njit(cache=True, **options)


def params_vector(p: LiRinzel) -> np.ndarray:
    """The parameters as the kernels read them: q[0:11] for :func:`calcium_rates`, then
    q[11] the IP3 time constant and q[12] the resting IP3."""
    return np.array(
        [p.c0, p.c1, p.v1, p.v2, p.v3, p.k3, p.d1, p.d2, p.d3, p.d5, p.a2, p.tau_ip3,
         p.ip3_rest],
        np.float64,
    )  # fmt: skip


@jit(inline="always")
def calcium_rates(ca, h, ip3, q):
    """dCa/dt and dh/dt of one compartment."""
    c0, c1, v1, v2, v3, k3, d1, d2, d3, d5, a2 = (
        q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9], q[10]
    )  # fmt: skip
    ca_er = (c0 - ca) / c1
    mnh = ip3 / (ip3 + d1) * ca / (ca + d5) * h
    j_chan = c1 * v1 * mnh * mnh * mnh * (ca - ca_er)
    j_leak = c1 * v2 * (ca - ca_er)
    j_pump = v3 * ca * ca / (k3 * k3 + ca * ca)
    q2 = d2 * (ip3 + d1) / (ip3 + d3)
    return -j_chan - j_leak - j_pump, a2 * (q2 * (1.0 - h) - ca * h)
