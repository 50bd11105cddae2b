import numpy as np
import pytest

from astrocalc.scoring import roi_placement, step_sd


def _movie(rng):
    """A bright, quiet structure (shot noise only) beside a dim one with slow events,
    on dim background: 300 frames of 40 x 40, intensities in photons."""
    level = np.full((40, 40), 20.0)
    level[5:15, 5:15] = 400.0  # bright, nothing happens
    level[25:35, 25:35] = 60.0  # dim, active
    t = np.arange(300)
    events = np.zeros(300)
    for onset in (30, 120, 210):
        s = np.clip(t - onset, 0, None)
        events += np.where(t >= onset, (1 - np.exp(-s / 3.0)) * np.exp(-s / 25.0), 0.0)
    rate = np.repeat(level[None], 300, axis=0)
    rate[:, 25:35, 25:35] *= 1 + 2.0 * events[:, None, None]
    return rng.poisson(rate).astype(np.float64)


@pytest.mark.parametrize("where", ["bright", "active"])
def test_sd_over_noise_finds_activity_that_brightness_hides(where):
    frames = _movie(np.random.default_rng(0))
    labels = np.zeros((40, 40), np.int32)
    if where == "bright":
        labels[5:15, 5:15] = 1
    else:
        labels[25:35, 25:35] = 1
    sd = frames.std(axis=0)
    got = roi_placement(labels, frames.mean(axis=0), sd, step_sd(frames))
    # both regions have a larger temporal SD than the background (shot noise of the
    # bright one: sqrt(400) = 20 against sqrt(20) = 4.5 outside; events of the dim one)
    assert got["sd_ratio"] > 2.0
    assert got["sd_ratio"] <= got["sd_ratio_bound"] + 1e-12
    # outside, and on the bright quiet structure, the SD is the white noise's (within
    # its estimation error over 300 frames, a few %); the events raise the dim one's
    assert got["sd_over_noise_out"] == pytest.approx(1.0, abs=0.05)
    if where == "bright":
        assert got["sd_over_noise_in"] == pytest.approx(1.0, abs=0.05)
    else:
        assert got["sd_over_noise_in"] > 1.5
    assert got["dark_share"] == 0.0
    assert got["field_share"] == pytest.approx(0.0625)


def test_placement_without_rois_is_nan():
    got = roi_placement(np.zeros((4, 4), int), np.ones((4, 4)), np.ones((4, 4)), np.ones((4, 4)))
    assert np.isnan(got["sd_ratio"]) and np.isnan(got["sd_over_noise_in"])
    assert got["field_share"] == 0.0
