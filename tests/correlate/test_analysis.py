"""correlate.analyse: the correlation stage's analysis on a notebook's arrays."""

import numpy as np
import pandas as pd
import pytest

from astrocalc.correlate import CorrelationPlan, CorrelationSettings, analyse


def _traces(seed=0, n_frames=3000):
    """ROIs 1 and 2 share a slow signal (true r = 0.8 at equal SD), ROI 3 is independent."""
    rng = np.random.default_rng(seed)
    kernel = np.ones(20) / 20
    slow = [np.convolve(rng.standard_normal(n_frames), kernel, "same") for _ in range(3)]
    shared, own_a, own_b = (s / s.std() for s in slow)
    a = 2 * shared + own_a
    b = 2 * shared + own_b
    c = np.convolve(rng.standard_normal(n_frames), kernel, "same")
    return np.column_stack([a, b, c])


def test_analyse_finds_the_correlated_pair_only():
    dff = _traces()
    events = pd.DataFrame({"roi_id": [1, 2, 3], "onset_s": [10.0, 10.2, 50.0]})
    settings = CorrelationSettings.of()
    result = analyse(
        dff,
        events,
        np.array([1, 2, 3]),
        np.array([[0, 0], [0, 10], [40, 0]]),
        n_frames=len(dff),
        frame_rate_hz=10.0,
        pixel_size_um=0.5,
        settings=settings,
    )
    # pairs in upper-triangle order: (1, 2), (1, 3), (2, 3)
    assert result.r[0, 1] == pytest.approx(0.8, abs=0.05)
    assert abs(result.r[0, 2]) < 0.15 and abs(result.r[1, 2]) < 0.15
    assert result.significant.tolist() == [True, False, False]
    np.testing.assert_allclose(result.distance_um, [5.0, 20.0, np.hypot(20, 5)])
    # the two co-occurring onsets tile each other, the lone one nothing
    assert result.co_event[0, 1] == 1.0 and result.co_event[0, 2] == 0.0
    assert result.lagged_r is not None and result.lagged_r[0, 1] >= result.r[0, 1] - 1e-9
    assert result.clusters[0] == result.clusters[1] != result.clusters[2]
    # traces in chunks (a recording too large for memory): the same r, no lagged r
    streamed = analyse(
        lambda: (dff[i : i + 700] for i in range(0, len(dff), 700)),
        events,
        np.array([1, 2, 3]),
        np.array([[0, 0], [0, 10], [40, 0]]),
        n_frames=len(dff),
        frame_rate_hz=10.0,
        pixel_size_um=0.5,
        settings=settings,
        plan=CorrelationPlan("autocorrelation", in_memory=False, lagged=False),
    )
    np.testing.assert_allclose(streamed.r, result.r, atol=1e-9)
    assert streamed.lagged_r is None and streamed.significant[0]
