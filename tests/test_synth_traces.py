"""A model's activity rendered on the synthetic scene (synth.simulate(domain_traces=...))."""

import numpy as np
import pytest

from astrocalc import synth


def test_given_traces_light_up_their_microdomains_only():
    n_frames, n = 60, 6
    traces = np.zeros((n_frames, n + 1), np.float32)
    traces[30:, 2] = 1.5  # microdomain 3: dF/F 1.5 from frame 30 on
    movie, truth = synth.make_movie(
        shape=(96, 96), n_frames=n_frames, n_domains=n, motion_px=0.0, jump_rate_per_min=0.0,
        bleach_fraction=0.0, noise=0.2, domain_traces=traces, seed=4,
    )  # fmt: skip
    assert truth.traces.shape == (n_frames, int(truth.labels.max()) + 1)
    assert len(truth.events) == 0 and len(truth.waves) == 0
    before, after = movie[:30].mean(0), movie[30:].mean(0)
    lit = truth.labels == 3
    others = (truth.labels > 0) & ~lit
    gain = after[lit].mean() / before[lit].mean() - 1
    assert 0.5 < gain < 1.6  # the footprint-weighted dF/F over the label, at most 1.5
    assert abs(after[others].mean() / before[others].mean() - 1) < 0.05


def test_traces_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError, match="microdomains \\+ 1"):
        synth.simulate(n_frames=10, n_domains=4, domain_traces=np.zeros((10, 4)))


def test_traces_made_for_the_placed_microdomains():
    """A function of the microdomains' positions gets each placed microdomain's centre in
    um (those of the truth's labels), and its traces are rendered there."""
    seen = []

    def traces(xy_um):
        seen.append(xy_um)
        out = np.zeros((40, len(xy_um) + 1), np.float32)
        out[20:, 0] = 1.5
        return out

    kw = dict(shape=(96, 96), n_frames=40, n_domains=5, motion_px=0.0, noise=0.2, seed=4)
    movie, truth = synth.make_movie(domain_traces=traces, **kw)
    (xy,) = seen
    assert xy.shape == (int(truth.labels.max()), 2)
    y, x = np.nonzero(truth.labels == 1)
    um = truth.params.pixel_size_um
    assert np.hypot(x.mean() * um - xy[0, 0], y.mean() * um - xy[0, 1]) < 3 * um
    lit = truth.labels == 1
    assert movie[20:][:, lit].mean() > 1.3 * movie[:20][:, lit].mean()


def test_a_movie_too_short_for_any_event():
    """Events start after 1 s and end 4 s before the end: a 2 s movie has none, and its
    (empty) truth is still written."""
    movie, truth = synth.make_movie(shape=(32, 32), n_frames=20, n_domains=3, seed=1)
    assert movie.shape == (20, 32, 32) and len(truth.events) == 0
