import numpy as np

from astrocalc.events import fit_pixel_model
from astrocalc.io import MovieWriter, open_movie
from astrocalc.segment import activity_maps, extract_traces


def _write(tmp_path, movie):
    path = tmp_path / "m.tif"
    with MovieWriter(path, movie.shape, np.float32, frame_rate_hz=10, pixel_size_um=1) as w:
        w.write(movie)
    return open_movie(path)


def _maps(movie, chunk):
    model = fit_pixel_model(
        movie,
        np,
        chunk_frames=chunk,
        sigma_px=1.0,
        smooth_frames=3,
        baseline_window_frames=200,
        baseline_percentile=20,
    )
    return activity_maps(movie, model, chunk_frames=chunk, threshold_sd=3.5, min_active_frames=3)


def test_planted_activity_with_bleaching_and_noise(tmp_path):
    rng = np.random.default_rng(1)
    t, h, w = 400, 40, 40
    bleach = np.exp(-np.arange(t) / 1500.0)[:, None, None]
    movie = 100.0 * bleach * np.ones((t, h, w))
    for onset in (50, 200, 330):  # three events in a 5x5 patch
        movie[onset : onset + 15, 10:15, 20:25] *= 1.5
    movie = (movie + rng.normal(0, 2.0, movie.shape)).astype(np.float32)
    with _write(tmp_path, movie) as m:
        maps = _maps(m, 64)
        maps_one_chunk = _maps(m, 400)
    inside = maps.activations[11:14, 21:24]
    assert (inside == 3).all()
    outside = np.ones((h, w), bool)
    outside[7:18, 17:28] = False
    assert (maps.activations[outside] == 0).mean() > 0.99  # bleaching is not activity
    np.testing.assert_array_equal(maps.activations, maps_one_chunk.activations)
    assert maps.local_corr[12, 22] > 0.5 > maps.local_corr[30, 5]


def test_roi_traces_are_means_over_the_roi(tmp_path):
    rng = np.random.default_rng(2)
    movie = rng.normal(0, 1, (30, 20, 20)).astype(np.float32)
    labels = np.zeros((20, 20), np.uint16)
    labels[2:5, 2:6], labels[10:18, 11:13] = 1, 2
    with _write(tmp_path, movie) as m:
        traces = extract_traces(m, labels, np, chunk_frames=7)
    np.testing.assert_allclose(traces[:, 0], movie[:, 2:5, 2:6].mean(axis=(1, 2)), rtol=1e-5)
    np.testing.assert_allclose(traces[:, 1], movie[:, 10:18, 11:13].mean(axis=(1, 2)), rtol=1e-5)
