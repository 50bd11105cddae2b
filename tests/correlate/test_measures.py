"""Event tiling, lagged correlation and distance decay against known answers."""

import numpy as np
import pytest

from astrocalc.backend import to_numpy
from astrocalc.correlate import distance_decay, lagged_correlation, onset_trains, sttc_matrix


def _sttc_by_hand(a, b, w, t):
    """Cutts & Eglen (2014) definition, written out for one pair."""

    def tiled(x):
        m = np.zeros(t, bool)
        for i in x:
            m[max(0, i - w) : i + w + 1] = True
        return m.mean()

    pa = np.mean([np.abs(b - i).min() <= w for i in a])
    pb = np.mean([np.abs(a - i).min() <= w for i in b])
    ta, tb = tiled(a), tiled(b)
    return 0.5 * ((pa - tb) / (1 - pa * tb) + (pb - ta) / (1 - pb * ta))


def test_sttc_matches_its_definition(xp):
    rng = np.random.default_rng(0)
    t, w = 3000, 5
    a = np.sort(rng.choice(t, 30, replace=False))
    b = np.sort(np.clip(a[:20] + rng.integers(-4, 5, 20), 0, t - 1))  # follows a, fewer events
    c = np.sort(rng.choice(t, 40, replace=False))  # independent
    s = to_numpy(sttc_matrix(onset_trains([a, b, c, np.zeros(0, int)], t, xp), window_frames=w))
    for i, j, x, y in ((0, 1, a, b), (0, 2, a, c), (1, 2, b, c)):
        assert s[i, j] == pytest.approx(_sttc_by_hand(x, y, w, t), abs=1e-6)
        assert s[j, i] == pytest.approx(s[i, j], abs=1e-9)
    assert s[0, 1] > 0.7 and abs(s[0, 2]) < 0.15
    assert np.isnan(s[3]).all()  # a ROI without events


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
