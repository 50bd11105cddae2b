"""Li-Rinzel (1994) calcium dynamics with IP3 as a state variable.

Li Y-X, Rinzel J (1994) Equations for InsP3 receptor-mediated [Ca2+]i oscillations
derived from a detailed kinetic model: a Hodgkin-Huxley like formalism. J Theor Biol
166:461-473. Parameter values are those of that paper (Table 1), also used by the
astrocyte models of Nadkarni & Jung (2003) and De Pitta et al. (2009). IP3 relaxes to a
resting level with the time constant of Nadkarni & Jung (2003, Phys Rev Lett 91:268101):
tau_IP3 = 1/0.14 s, IP3* = 0.16 uM.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass


@dataclass(frozen=True)
class LiRinzel:
    c0: float = 2.0  # total free Ca per cytosolic volume (uM)
    c1: float = 0.185  # ER / cytosol volume ratio
    v1: float = 6.0  # max IP3R channel flux (1/s)
    v2: float = 0.11  # ER leak (1/s)
    v3: float = 0.9  # max SERCA uptake (uM/s)
    k3: float = 0.1  # SERCA activation constant (uM)
    d1: float = 0.13  # IP3 dissociation (uM)
    d2: float = 1.049  # Ca inactivation dissociation (uM)
    d3: float = 0.9434  # IP3 dissociation (uM)
    d5: float = 0.08234  # Ca activation dissociation (uM)
    a2: float = 0.2  # IP3R binding rate for Ca inhibition (1/(uM s))
    ip3_rest: float = 0.16  # resting IP3 (uM)
    tau_ip3: float = 1 / 0.14  # IP3 relaxation (s)


def li_rinzel_rates(ca, h, ip3, p: LiRinzel, xp):
    """dCa/dt and dh/dt (uM/s, 1/s) of the Li-Rinzel model; arrays of any shape."""
    ca_er = (p.c0 - ca) / p.c1
    m_inf = ip3 / (ip3 + p.d1)
    n_inf = ca / (ca + p.d5)
    j_chan = p.c1 * p.v1 * (m_inf * n_inf * h) ** 3 * (ca - ca_er)
    j_leak = p.c1 * p.v2 * (ca - ca_er)
    j_pump = p.v3 * ca**2 / (p.k3**2 + ca**2)
    q2 = p.d2 * (ip3 + p.d1) / (ip3 + p.d3)
    dca = -j_chan - j_leak - j_pump
    dh = p.a2 * (q2 * (1 - h) - ca * h)
    return dca, dh


@functools.lru_cache(maxsize=64)  # tens of thousands of Python steps; the fit asks often
def resting_state(p: LiRinzel, ip3: float | None = None) -> tuple[float, float]:
    """Steady (Ca, h) at a fixed IP3 (default the resting IP3), found by integration."""
    import numpy as np

    ip3 = p.ip3_rest if ip3 is None else ip3
    ca, h = 0.05, 0.8
    for _ in range(200000):
        dca, dh = li_rinzel_rates(ca, h, ip3, p, np)
        ca, h = ca + 0.005 * dca, h + 0.005 * dh
        if abs(dca) < 1e-9 and abs(dh) < 1e-9:
            break
    return float(ca), float(h)
