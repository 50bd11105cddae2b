"""Event tiling, lagged correlation and distance decay against known answers."""

import numpy as np
import pandas as pd
import pytest

from astrocalc.backend import to_numpy
from astrocalc.correlate import (
    co_event_fraction,
    co_event_matrix,
    distance_decay,
    lagged_correlation,
    sttc_matrix,
)


def _sttc_by_hand(a, b, w, duration):
    """Cutts & Eglen (2014) definition, written out for one pair (times in s; the tiled
    time measured on a fine grid)."""
    grid = np.linspace(0, duration, 200001)

    def tiled(x):
        return (np.abs(grid[:, None] - x[None]).min(axis=1) <= w).mean()

    pa = np.mean([np.abs(b - i).min() <= w for i in a])
    pb = np.mean([np.abs(a - i).min() <= w for i in b])
    ta, tb = tiled(a), tiled(b)
    return 0.5 * ((pa - tb) / (1 - pa * tb) + (pb - ta) / (1 - pb * ta))


def test_sttc_and_co_events_match_their_definitions():
    rng = np.random.default_rng(0)
    duration, w = 300.0, 0.5
    a = np.sort(rng.uniform(0, duration, 30))
    b = np.sort(np.clip(a[:20] + rng.uniform(-0.4, 0.4, 20), 0, duration))  # follows a
    c = np.sort(rng.uniform(0, duration, 40))  # independent
    roi = np.concatenate([np.full(len(x), k) for k, x in enumerate((a, b, c))])
    times = np.concatenate([a, b, c])
    s = sttc_matrix(roi, times, 4, window=w, duration=duration)  # ROI 3: no event
    for i, j, x, y in ((0, 1, a, b), (0, 2, a, c), (1, 2, b, c)):
        assert s[i, j] == pytest.approx(_sttc_by_hand(x, y, w, duration), abs=1e-4)
        assert s[j, i] == pytest.approx(s[i, j], abs=1e-12)
    assert s[0, 1] > 0.7 and abs(s[0, 2]) < 0.15
    assert np.isnan(s[3]).all()
    events = pd.DataFrame({"roi_id": roi + 1, "onset_s": times})
    co = co_event_matrix(events, np.arange(1, 5), window_s=w)
    for i, j, x, y in ((0, 1, a, b), (0, 2, a, c), (1, 2, b, c)):
        assert co[i, j] == pytest.approx(co_event_fraction(x, y, w))
    assert np.isnan(co[3, 3])


def test_near_counts_do_not_depend_on_the_block_of_events():
    from astrocalc.correlate import near_counts

    rng = np.random.default_rng(2)
    roi, times = rng.integers(0, 30, 5000), rng.uniform(0, 500, 5000)
    whole = near_counts(roi, times, 30, window=1.0).toarray()
    assert whole.sum() > 5000
    for block in (1, 97, 10_000):
        np.testing.assert_array_equal(
            near_counts(roi, times, 30, window=1.0, block=block).toarray(), whole
        )


def test_lagged_correlation_finds_the_lag(xp):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4000, 3))
    x[:, 1] = 0.8 * np.roll(x[:, 0], 7) + 0.6 * x[:, 1]  # ROI 1 follows ROI 0 by 7 frames
    peak, lag = (to_numpy(m) for m in lagged_correlation(xp.asarray(x), max_lag_frames=20))
    assert lag[0, 1] == 7 and lag[1, 0] == -7
    assert peak[0, 1] == pytest.approx(0.8, abs=0.03)
    assert abs(peak[0, 2]) < 0.1


def test_distance_decay_length_is_recovered():
    rng = np.random.default_rng(2)
    d = rng.uniform(0, 60, 600)
    r = 0.05 + 0.5 * np.exp(-d / 10.0) + rng.normal(0, 0.05, d.size)
    fit = distance_decay(d, r)
    assert fit["length_um"] == pytest.approx(10.0, rel=0.15)
    assert fit["floor"] == pytest.approx(0.05, abs=0.03)
    assert fit["bins"].n_pairs.sum() == d.size


def test_flat_r_has_no_decay_length():
    rng = np.random.default_rng(3)
    d = rng.uniform(0, 60, 400)
    fit = distance_decay(d, 0.2 + rng.normal(0, 0.05, d.size))
    assert np.isnan(fit["length_um"])
