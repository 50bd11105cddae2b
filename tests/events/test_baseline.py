import numpy as np

from astrocalc.pixelmodel import running_baseline
from astrocalc.synth import event_kernel


def test_baseline_follows_a_bleaching_trend_under_events():
    t = np.arange(3000)
    trend = 100 * np.exp(-t / 12000)  # 5 % per minute at 10 Hz: fast bleaching
    rng = np.random.default_rng(0)
    onsets = np.cumsum(rng.exponential(300, 12))  # about 2 events per minute at 10 Hz
    events = sum(40 * event_kernel((t - o) / 10.0, 0.3, 1.5) for o in onsets[onsets < 2950])
    x = (trend + events + rng.normal(0, 1, len(t)))[:, None]
    base = running_baseline(x, window_frames=600, percentile=20)[:, 0]
    # rank opening: no lag on the monotonic trend, events removed, up to the ends
    # a cluster of four events within 20 s shifts the ranks: within 2 % of F0 (0.02 dF/F)
    assert (np.abs(base - trend) / trend).max() < 0.02


def test_pure_trend_is_followed_exactly():
    t = np.arange(2000.0)
    trend = (50 + 30 * np.exp(-t / 3000))[:, None]
    base = running_baseline(trend, window_frames=300, percentile=20)
    np.testing.assert_allclose(base, trend, atol=0.02)


def test_short_recording_baseline():
    x = np.full((40, 2), 5.0)
    x[10:14, 0] += 20
    base = running_baseline(x, window_frames=600, percentile=20)
    np.testing.assert_allclose(base, 5.0, atol=1e-6)
