"""The G-ChI model: calcium (C), IP3R gating (h) and IP3 (I), with glutamate-driven IP3
production by PLC-beta, calcium-dependent production by PLC-delta, and degradation by
IP3 3-kinase (calcium-dependent) and inositol polyphosphate 5-phosphatase.

De Pitta M, Goldberg M, Volman V, Berry H, Ben-Jacob E (2009) Glutamate regulation of
calcium and IP3 oscillating and pulsating dynamics in astrocytes. J Biol Phys 35:383-411.
The receptor is written with its kinetics (the fraction of activated metabotropic
receptors, Gamma, desensitised by PKC), as in De Pitta & Brunel (2016, Neural Plast
2016:7607642) and Stimberg, Goodman, Brette & De Pitta (2019, Modeling neuron-glia
interactions with the Brian 2 simulator, in Computational Glioscience, Springer,
pp. 471-505), whose parameter values are the preset :data:`STIMBERG_2019`:

    dC/dt = J_r + J_l - J_p
    J_r = Omega_C m^3 h^3 (C_T - (1 + rho_A) C),  m = I / (I + d1) * C / (C + d5)
    J_l = Omega_L (C_T - (1 + rho_A) C),          J_p = O_P C^2 / (C^2 + K_P^2)
    dh/dt = (h_inf - h) / tau_h,  h_inf = Q2 / (Q2 + C),  tau_h = 1 / (O_2 (Q2 + C)),
    Q2 = d2 (I + d1) / (I + d3)
    dGamma/dt = O_N Y (1 - Gamma) - Omega_N (1 + zeta C / (C + K_KC)) Gamma
    dI/dt = O_beta Gamma + O_delta kappa_delta / (kappa_delta + I) C^2 / (C^2 + K_delta^2)
            - O_3K C^4 / (C^4 + K_D^4) I / (I + K_3K) - Omega_5P I

Y is the glutamate concentration at the astrocyte (uM). With IP3 held fixed the calcium
part is Li & Rinzel's (1994): Omega_C = v1, Omega_L = v2, O_P = v3, K_P = k3,
C_T = c0, rho_A = c1, O_2 = a2 (see :func:`gchi_from_li_rinzel`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ._li_rinzel import LiRinzel


@dataclass(frozen=True)
class GChI:
    # calcium fluxes
    omega_c: float = 6.0  # maximal rate of Ca release by IP3Rs (1/s)
    omega_l: float = 0.1  # maximal rate of Ca leak from the ER (1/s)
    o_p: float = 0.9  # maximal Ca uptake rate by SERCAs (uM/s)
    k_p: float = 0.05  # Ca affinity of SERCAs (uM)
    c_t: float = 2.0  # total cell free Ca content (uM)
    rho_a: float = 0.18  # ER-to-cytoplasm volume ratio
    # IP3R kinetics
    d1: float = 0.13  # IP3 binding affinity (uM)
    d2: float = 1.05  # Ca inactivation dissociation constant (uM)
    o_2: float = 0.2  # IP3R binding rate for Ca inhibition (1/(uM s))
    d3: float = 0.9434  # IP3 dissociation constant (uM)
    d5: float = 0.08  # Ca activation dissociation constant (uM)
    # agonist-dependent IP3 production (PLC-beta) and receptor kinetics
    o_beta: float = 3.2  # maximal rate of IP3 production by PLC-beta (uM/s)
    o_n: float = 0.3  # agonist binding rate (1/(uM s))
    omega_n: float = 0.5  # maximal receptor inactivation rate (1/s)
    k_kc: float = 0.5  # Ca affinity of PKC (uM)
    zeta: float = 10.0  # maximal reduction of receptor affinity by PKC
    # endogenous IP3 production (PLC-delta)
    o_delta: float = 0.6  # maximal rate of IP3 production by PLC-delta (uM/s)
    kappa_delta: float = 1.5  # inhibition constant of PLC-delta by IP3 (uM)
    k_delta: float = 0.1  # Ca affinity of PLC-delta (uM)
    # IP3 degradation
    omega_5p: float = 0.05  # maximal rate of IP3 degradation by IP-5P (1/s)
    k_d: float = 0.7  # Ca affinity of IP3-3K (uM)
    k_3k: float = 1.0  # IP3 affinity of IP3-3K (uM)
    o_3k: float = 4.5  # maximal rate of IP3 degradation by IP3-3K (uM/s)


STIMBERG_2019 = GChI()
"""The class defaults: Stimberg et al. (2019), the values of their astrocyte examples with
glutamate-driven IP3 (O_beta 3.2 uM/s, O_delta 0.6 uM/s; other examples there use 0.5 and
1.2). With these values PLC-delta keeps an isolated cell at a raised steady calcium
(about 0.44 uM) that glutamate raises further, without oscillations: in their networks
the drive comes from synapses and gap junctions."""

FM_OSCILLATOR = replace(STIMBERG_2019, o_beta=0.5, o_delta=0.05, o_3k=2.0)
"""Not a published set: STIMBERG_2019 with less PLC-delta production (0.05 uM/s, the order
of De Pitta et al. 2009's v_delta) and IP3-3K (2 uM/s), so that the cell rests at 0.03 uM
and constant glutamate from about 0.3 to 10 uM gives calcium oscillations whose frequency
rises with glutamate: the frequency-modulation regime of De Pitta et al. (2009)."""


def gchi_from_li_rinzel(p: LiRinzel, **changes) -> GChI:
    """A G-ChI parameter set whose calcium part is the Li-Rinzel set ``p``."""
    return replace(
        GChI(
            omega_c=p.v1,
            omega_l=p.v2,
            o_p=p.v3,
            k_p=p.k3,
            c_t=p.c0,
            rho_a=p.c1,
            d1=p.d1,
            d2=p.d2,
            o_2=p.a2,
            d3=p.d3,
            d5=p.d5,
        ),
        **changes,
    )


def gchi_rates(ca, h, gamma, ip3, glutamate, p: GChI, xp):
    """(dC/dt, dh/dt, dGamma/dt, dI/dt) of the G-ChI model; arrays of any one shape (or
    scalars), ``glutamate`` in uM."""
    free = p.c_t - (1.0 + p.rho_a) * ca
    m = ip3 / (ip3 + p.d1) * ca / (ca + p.d5)
    j_r = p.omega_c * (m * h) ** 3 * free
    j_l = p.omega_l * free
    j_p = p.o_p * ca**2 / (ca**2 + p.k_p**2)
    q2 = p.d2 * (ip3 + p.d1) / (ip3 + p.d3)
    dh = p.o_2 * (q2 - (q2 + ca) * h)  # (h_inf - h) / tau_h
    dgamma = (
        p.o_n * glutamate * (1.0 - gamma) - p.omega_n * (1.0 + p.zeta * ca / (ca + p.k_kc)) * gamma
    )
    j_beta = p.o_beta * gamma
    j_delta = p.o_delta * p.kappa_delta / (p.kappa_delta + ip3) * ca**2 / (ca**2 + p.k_delta**2)
    j_3k = p.o_3k * ca**4 / (ca**4 + p.k_d**4) * ip3 / (ip3 + p.k_3k)
    j_5p = p.omega_5p * ip3
    return j_r + j_l - j_p, dh, dgamma, j_beta + j_delta - j_3k - j_5p


def simulate_gchi(
    glutamate,
    *,
    duration_s: float,
    p: GChI | None = None,
    dt_s: float = 0.005,
    record_dt_s: float = 0.05,
    state=None,
    xp=None,
):
    """A batch of G-ChI cells under constant glutamate (uM, one value per cell).

    RK4 with a fixed step. ``state``: initial (C, h, Gamma, I), default a cell at rest
    (0.05 uM, 0.9, 0, 0.05 uM). Returns (t, dict of (n_rec, B) NumPy arrays ``ca``,
    ``h``, ``gamma``, ``ip3``)."""
    import numpy as np

    from ..backend import to_numpy
    from ._integrate import integrate

    xp = xp or np
    p = p or STIMBERG_2019
    glu = xp.asarray(glutamate, dtype=xp.float64)
    init = (0.05, 0.9, 0.0, 0.05) if state is None else state
    y0 = tuple(xp.asarray(np.broadcast_to(v, glu.shape), dtype=xp.float64) for v in init)
    every = max(1, int(round(record_dt_s / dt_s)))

    def rhs(s):
        return gchi_rates(s[0], s[1], s[2], s[3], glu, p, xp)

    _, rec = integrate(
        rhs, y0, dt=dt_s, n_steps=int(round(duration_s / dt_s)), record_every=every, xp=xp
    )
    t = np.arange(rec[0].shape[0]) * every * dt_s
    return t, dict(zip(("ca", "h", "gamma", "ip3"), (to_numpy(r) for r in rec), strict=True))
