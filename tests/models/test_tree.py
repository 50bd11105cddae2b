"""The astrocyte as a tree: exchange along edges conserves IP3 and calcium, local input
stays local, shared input gives global events that reach the soma."""

import numpy as np

from astrocalc.events import classify, coactive_rois
from astrocalc.models import (
    AstrocyteInput,
    LiRinzel,
    calcium_events,
    poisson_drive,
    simulate_astrocytes,
    tree,
)


def test_tree_layout_and_volumes():
    incidence, volume = tree(6, 2)
    assert incidence.shape == (8, 9)  # 6 microdomain edges + 2 branch edges, 9 compartments
    np.testing.assert_array_equal(incidence.sum(axis=1), 0)  # one outer, one inner end
    # microdomains 0, 2, 4 on branch 6; 1, 3, 5 on branch 7; branches on the soma (8)
    assert [int(np.flatnonzero(incidence[i] == -1)[0]) for i in range(8)] == [
        6, 7, 6, 7, 6, 7, 8, 8
    ]  # fmt: skip
    np.testing.assert_array_equal(volume, [1, 1, 1, 1, 1, 1, 3, 3, 6])
    star, star_volume = tree(4)
    assert (star[:, -1] == -1).all() and star_volume[-1] == 4


def test_exchange_conserves_the_amounts():
    """Without pumps, leak or channels (v1 = v2 = v3 = 0) and with IP3 that does not decay,
    the exchange only moves IP3 and calcium: volume-weighted totals stay put."""
    p = LiRinzel(v1=0.0, v2=0.0, v3=0.0, tau_ip3=1e12)
    drive = np.zeros((500, 1, 6), np.uint8)
    drive[0, 0, 0] = 5  # one big IP3 pulse in microdomain 0
    rec = simulate_astrocytes(
        drive, np, dt_s=0.02, coupling_per_s=2.0, ip3_pulse_uM=1.0, params=p, record_every=1,
        n_branches=2, ca_coupling_per_s=1.0,
    )  # fmt: skip
    _, volume = tree(6, 2)
    ip3_total = (rec["ip3"][:, 0] * volume).sum(axis=1)
    np.testing.assert_allclose(ip3_total[1:], ip3_total[1], rtol=1e-5)
    assert rec["ip3"][-1, 0, -1] > rec["ip3"][1, 0, -1] + 0.1  # it reached the soma


def _share_global(ca, n_domains, dt):
    onsets = calcium_events(ca, threshold_uM=0.3, dt_s=dt)
    roi = np.concatenate([np.full(len(o), k) for k, o in enumerate(onsets)])
    kinds = classify(
        coactive_rois(roi, np.concatenate(onsets), window_s=2.0), n_domains, global_fraction=0.5
    )
    return (kinds == "global").mean(), len(roi)


def test_local_input_stays_local_and_shared_input_is_global():
    rng = np.random.default_rng(4)
    n_domains, dt = 12, 0.02
    inputs = AstrocyteInput(np.array([3.0, 3.0]), np.array([0.0, 0.9]))
    drive = poisson_drive(rng, inputs, n_domains=n_domains, n_steps=15000, dt_s=dt)
    rec = simulate_astrocytes(
        drive, np, dt_s=dt, coupling_per_s=0.05, ip3_pulse_uM=0.6, record_every=2,
        n_branches=3, ca_coupling_per_s=0.05,
    )  # fmt: skip
    local_share, n_local = _share_global(rec["ca"][:, 0, :n_domains], n_domains, 2 * dt)
    global_share, n_global = _share_global(rec["ca"][:, 1, :n_domains], n_domains, 2 * dt)
    assert n_local > 20 and n_global > 20
    assert local_share < 0.1 and global_share > 0.6
    # the soma sees the shared input, not the independent one
    soma = rec["ca"][:, :, -1]
    assert soma[:, 1].max() > soma[:, 0].max()


def test_numba_engine_takes_the_array_engines_steps():
    """The compiled engine gives the array engine's trajectories, on a tree with branches,
    calcium exchange and per-cell coupling and pulse."""
    rng = np.random.default_rng(4)
    b, dt = 5, 0.02
    drive = poisson_drive(
        rng,
        AstrocyteInput(np.full(b, 4.0), np.full(b, 0.3)),
        n_domains=9,
        n_steps=1500,
        dt_s=dt,
    )
    kw = dict(
        dt_s=dt,
        coupling_per_s=np.linspace(0.01, 0.3, b),
        ip3_pulse_uM=np.linspace(0.3, 0.9, b),
        record_every=5,
        n_branches=3,
        ca_coupling_per_s=0.05,
    )
    ref = simulate_astrocytes(drive, np, engine="array", **kw)
    fast = simulate_astrocytes(drive, np, engine="numba", **kw)
    assert fast["ca"].shape == ref["ca"].shape == (300, b, 13)
    assert ref["ca"].max() > 0.5  # events happened
    np.testing.assert_allclose(fast["ca"], ref["ca"], atol=1e-5)
    np.testing.assert_allclose(fast["ip3"], ref["ip3"], atol=1e-5)
