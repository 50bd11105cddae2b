"""The same Li-Rinzel cells in NEST, for validation (optional extra ``astrocalc[nest]``).

NEST's ``astrocyte_lr_1994`` (nest-simulator 3.10.0; its defaults changed between
revisions, so every parameter is set here from :class:`LiRinzel`) integrates the
Li & Rinzel (1994) equations with an adaptive GSL solver; units are ms and uM. IP3 is
clamped by setting both IP3 and its resting level IP3_0 and sending no input.
"""

from __future__ import annotations

import numpy as np

from ._li_rinzel import LiRinzel

NEST_VERSION = "3.10.0"


def nest_parameters(p: LiRinzel) -> dict:
    """:class:`LiRinzel` in the names and units (ms) of NEST's astrocyte_lr_1994."""
    return {
        "Ca_tot": p.c0,
        "ratio_ER_cyt": p.c1,
        "rate_IP3R": p.v1 / 1000.0,
        "rate_L": p.v2 / 1000.0,
        "rate_SERCA": p.v3 / 1000.0,
        "Km_SERCA": p.k3,
        "Kd_IP3_1": p.d1,
        "Kd_inh": p.d2,
        "Kd_IP3_2": p.d3,
        "Kd_act": p.d5,
        "k_IP3R": p.a2 / 1000.0,
        "tau_IP3": p.tau_ip3 * 1000.0,
    }


def simulate_clamped_nest(
    ip3,
    duration_s: float,
    ca0,
    h0,
    *,
    p: LiRinzel | None = None,
    resolution_ms: float = 1.0,
    record_ms: float = 5.0,
):
    """NEST counterpart of :func:`~astrocalc.models.simulate_clamped`: returns
    (t, ca, h) with (n_t, B) arrays, the first row the initial state."""
    import nest

    if nest.__version__ != NEST_VERSION:
        raise RuntimeError(f"nest-simulator {NEST_VERSION} expected, found {nest.__version__}")
    p = p or LiRinzel()
    ip3 = np.atleast_1d(np.asarray(ip3, float))
    ca0 = np.broadcast_to(np.asarray(ca0, float), ip3.shape)
    h0 = np.broadcast_to(np.asarray(h0, float), ip3.shape)
    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.resolution = resolution_ms
    common = nest_parameters(p)
    cells = nest.Create(
        "astrocyte_lr_1994",
        len(ip3),
        params=[
            {**common, "IP3": float(x), "IP3_0": float(x), "Ca_astro": float(c), "h_IP3R": float(h)}
            for x, c, h in zip(ip3, ca0, h0, strict=True)
        ],
    )
    meter = nest.Create(
        "multimeter", {"record_from": ["Ca_astro", "h_IP3R"], "interval": record_ms}
    )
    nest.Connect(meter, cells)
    nest.Simulate(duration_s * 1000.0)
    ev = meter.events
    order = np.lexsort((ev["senders"], ev["times"]))
    n = len(ip3)
    times = np.asarray(ev["times"])[order].reshape(-1, n)[:, 0] / 1000.0
    ca = np.asarray(ev["Ca_astro"])[order].reshape(-1, n)
    h = np.asarray(ev["h_IP3R"])[order].reshape(-1, n)
    return np.r_[0.0, times], np.vstack([ca0, ca]), np.vstack([h0, h])
