"""The independent evaluation generator (astrocalc.evalsynth): what it promises to make."""

from __future__ import annotations

import numpy as np
import pytest

from astrocalc import evalsynth


@pytest.fixture(scope="module")
def recording():
    return evalsynth.make_movie(shape=(96, 96), n_frames=600, n_domains=16, seed=3)


def test_same_seed_same_movie():
    a, _ = evalsynth.make_movie(shape=(48, 48), n_frames=40, n_domains=4, seed=5)
    b, _ = evalsynth.make_movie(shape=(48, 48), n_frames=40, n_domains=4, seed=5)
    c, _ = evalsynth.make_movie(shape=(48, 48), n_frames=40, n_domains=4, seed=6)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_truth_is_consistent(recording):
    movie, truth = recording
    p = truth.params
    assert movie.shape == (p.n_frames, *p.shape) and movie.dtype == np.uint16
    n = int(truth.labels.max())
    assert n >= 12
    assert not (truth.labels > 0)[truth.soma_mask].any()
    ev = truth.events
    assert set(ev.domain_id) <= set(range(n + 1))
    assert ev.rise_tau_s.between(0.05, 0.5).all() and ev.decay_tau_s.between(0.5, 20).all()
    assert ev.peak_dff.between(0.2, 2.0).all()
    assert set(ev.kind) <= {"local", "cluster", "wave"}
    # each microdomain rests between its events, so every true event is separable
    for _, g in ev.groupby("domain_id"):
        onsets = g.onset_s.to_numpy()
        ends = onsets + 2 * g.rise_tau_s.to_numpy() + g.decay_tau_s.to_numpy()
        assert (onsets[1:] >= ends[:-1]).all()


def test_events_are_where_and_when_the_truth_says(recording):
    """The mean over a microdomain's label rises at its events' onsets by about the truth's
    amplitude (less the neuropil under it, which dilutes dF/F), and larger events rise more."""
    movie, truth = recording
    fs = truth.params.frame_rate_hz
    rises, amps = [], []
    for e in truth.events[truth.events.domain_id > 0].itertuples():
        trace = movie[:, truth.labels == e.domain_id].astype(float).mean(axis=1)
        trace -= truth.params.offset
        t = int(e.onset_s * fs)
        before = trace[max(t - 5, 0) : t + 1].mean()
        rises.append(trace[t : t + int(3 * fs)].max() / before - 1)
        amps.append(e.amplitude_dff)
    ratio = np.median(np.array(rises) / np.array(amps))
    assert 0.3 < ratio < 1.3, ratio
    assert np.corrcoef(np.argsort(np.argsort(rises)), np.argsort(np.argsort(amps)))[0, 1] > 0.5


def test_microdomains_reach_the_edge_and_waves_follow_synchrony():
    near_edge, shares = 0, {}
    for sync in (0.85, 0.15):
        _, truth = evalsynth.make_movie(n_frames=600, synchrony=sync, seed=1)
        ys, xs = np.nonzero(truth.labels)
        h, w = truth.labels.shape
        edge = np.minimum.reduce([ys, xs, h - 1 - ys, w - 1 - xs])
        near_edge += len(np.unique(truth.labels[ys[edge < 6], xs[edge < 6]]))
        shares[sync] = truth.wave_share
    assert near_edge >= 1
    assert shares[0.85] >= 0.7 and shares[0.15] <= 0.2


def test_global_intensity_change_and_8bit_export():
    scene = {"shape": (48, 48), "n_frames": 300, "n_domains": 4, "seed": 2, "motion_px": 0}
    change = {"decline": 0.4, "n_steps": 1, "step_size": 0.2}
    movie16, truth = evalsynth.make_movie(**scene, **change)
    gain = truth.global_gain
    assert gain[-1] < gain[0] and np.abs(np.diff(gain)).max() > 0.1  # slow decline and a step
    level = movie16.reshape(len(movie16), -1).mean(axis=1) - truth.params.offset
    assert np.corrcoef(level, gain)[0, 1] > 0.95
    movie8, _ = evalsynth.make_movie(**scene, **change, export="uint8")
    assert movie8.dtype == np.uint8
    assert (movie8.reshape(300, -1).min(axis=1) == 0).all()
    assert (movie8.reshape(300, -1).max(axis=1) == 255).all()
    with pytest.raises(ValueError, match="export"):
        evalsynth.make_movie(shape=(32, 32), n_frames=10, export="uint12")
