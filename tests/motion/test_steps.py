"""Sudden frame-wide intensity changes (steps) found and undone by the motion stage, and
events (waves included) left alone."""

import numpy as np
import pytest

from astrocalc.io import MovieWriter, open_movie
from astrocalc.motion import StepFinder, register_movie


def _register(frames, tmp_path, **options):
    src = tmp_path / "in.tif"
    with MovieWriter(src, frames.shape, np.float32, frame_rate_hz=10, pixel_size_um=0.4) as w:
        w.write(frames)
    with open_movie(src) as movie:
        return register_movie(movie, None, np, chunk_frames=64, max_shift_px=10, **options)


@pytest.fixture(scope="module")
def frames(small_movie):
    path, truth = small_movie
    with open_movie(path) as movie:
        return movie.read(0, movie.n_frames).astype(np.float32), truth


def test_a_laser_step_is_found_and_sized(frames, tmp_path):
    """Frames from 180 on dimmed by 15 % (a laser power drop):
    one step, at frame 180, of that size within 2 %."""
    movie, truth = frames
    movie = movie.copy()
    dark = 0.0  # the generator's dark level
    movie[180:] = (movie[180:] - dark) * 0.85 + dark
    shifts = _register(movie, tmp_path, remove_steps=True).shifts
    assert np.flatnonzero(shifts.step).tolist() == [180]
    # frame ~ gain * corrected + offset: the dark level maps onto itself, and the ratio
    # of gains across the step is the drop
    g, o = shifts.gain.to_numpy(), shifts.offset.to_numpy()
    assert g[200] / g[100] == pytest.approx(0.85, abs=0.02)
    assert (g[200] * dark + o[200]) - (g[100] * dark + o[100]) == pytest.approx(0, abs=3)


@pytest.mark.parametrize("generator", ["synth", "evalsynth"])
def test_waves_are_not_steps(generator, tmp_path):
    """Recordings of both generators where every event is part of a wave (with the
    cytosol lit as the wave passes, and the evaluation generator's fast rises), with
    photobleaching and, in the evaluation one, a slow decline: no step is claimed."""
    from astrocalc import evalsynth, synth

    path = tmp_path / "waves.tif"
    if generator == "synth":
        truth = synth.write(
            path, shape=(64, 64), n_frames=300, n_domains=8, synchrony=1.0,
            event_rate_per_min=12.0, wave_spread=1.0, wave_speed_um_s=30.0, seed=3,
        )  # fmt: skip
        n_waves = len(truth.waves)
    else:
        truth = evalsynth.write(
            path, shape=(64, 64), n_frames=300, n_domains=8, synchrony=1.0,
            event_rate_per_min=12.0, n_steps=0, seed=3,
        )  # fmt: skip
        n_waves = truth.events.group_id[truth.events.kind == "wave"].nunique()
    assert n_waves >= 3
    with open_movie(path) as movie:
        shifts = register_movie(
            movie, None, np, chunk_frames=64, max_shift_px=10, remove_steps=True
        ).shifts
    assert not shifts.step.any()
    assert (shifts.gain == 1).all() and (shifts.offset == 0).all()


def test_steps_up_and_down_are_undone(frames):
    """Laser power up by 20 % at frame 100 and down to 90 % of the start at frame 200:
    both found, each gain within 2 % of the truth, and the undone movie's frame-wide level
    continuous across each step within 4 % (fits of single pixels in this small, busy
    field; larger frames are fitted on means of 4 x 4 pixels)."""
    movie, truth = frames
    factor = np.ones(len(movie), np.float32)
    factor[100:200], factor[200:] = 1.2, 0.9
    stepped = movie * factor[:, None, None]
    finder = StepFinder(len(movie), window_frames=50, border_px=4)
    for i in range(0, len(movie), 64):
        finder.add(stepped[i : i + 64])
    steps = finder.result()
    assert steps.frames.tolist() == [100, 200]
    np.testing.assert_allclose(steps.gain[[50, 150, 250]], [1.0, 1.2, 0.9], rtol=0.02)
    restored = steps.undo(stepped, 0)
    ratio = restored.mean(axis=(1, 2)) / movie.mean(axis=(1, 2))
    for t in (100, 200):
        before, after = np.median(ratio[t - 20 : t]), np.median(ratio[t : t + 20])
        assert after / before == pytest.approx(1, abs=0.04)


def test_a_flat_field_is_left_alone():
    """Without a range of intensities no slope can be fitted: no step is claimed."""
    rng = np.random.default_rng(1)
    movie = rng.poisson(200, (120, 48, 48)).astype(np.float32)
    movie[60:] *= 0.8
    finder = StepFinder(len(movie), window_frames=50)
    finder.add(movie)
    assert len(finder.result().frames) == 0


def test_the_written_movie_is_the_undone_one(frames, tmp_path):
    """The steps are undone in the frames already written (a pass after they are found):
    the corrected movie on disk is the one corrected again without a writer, frame for
    frame, its level continuous across the step within 4 %, and its mean the mean image
    the registration reports."""
    movie, _ = frames
    movie = movie.copy()
    movie[180:] *= 0.85
    src, out = tmp_path / "in.tif", tmp_path / "corrected.tif"
    with MovieWriter(src, movie.shape, np.float32, frame_rate_hz=10, pixel_size_um=0.4) as w:
        w.write(movie)
    with open_movie(src) as m, MovieWriter(out, m.shape) as writer:
        result = register_movie(m, writer, np, chunk_frames=64, max_shift_px=10, remove_steps=True)
    again = _register(movie, tmp_path, remove_steps=True)
    assert np.flatnonzero(result.shifts.step).tolist() == [180]
    with open_movie(out, require_calibration=False) as m:
        written = m.read(0, m.n_frames)
    np.testing.assert_array_equal(result.mean_after, again.mean_after)
    np.testing.assert_allclose(written.mean(axis=0), result.mean_after, rtol=1e-5, atol=1e-3)
    level = written.mean(axis=(1, 2))
    assert np.median(level[180:200]) / np.median(level[160:180]) == pytest.approx(1, abs=0.04)
