import numpy as np

from astrocalc.io import MovieWriter, open_movie
from astrocalc.pixelmodel import fit_pixel_model
from astrocalc.segment import activity_maps, corrected_traces, extract_traces


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


def test_the_neuropil_is_taken_out_and_a_step_in_laser_power_reported(tmp_path):
    """A 20 % step in laser power at frame 200 (every pixel, over a dark offset of 50) and
    a slow neuropil fluctuation (additive, 8 intensity units around a 200-unit ROI) with
    two events of the ROI's own. The frame-wide change reported at the ROI's resting level
    jumps at the step by at least 75 % of it (the per-pixel baseline, which follows steps
    within a bin, takes the rest); the ROI's trace less 0.7 of its background ring's
    change keeps its events (rise within 5 % of the planted one) and loses most of the
    neuropil (SD over a quiet stretch under half of the plain trace's)."""
    rng = np.random.default_rng(3)
    t, h, w = 400, 40, 40
    rest = np.tile(np.linspace(20.0, 160.0, w), (h, 1))  # tissue of graded brightness
    rest[16:24, 16:24] = 200.0  # the ROI, also the astrocyte's structure here
    event = np.zeros(t)
    for onset in (80, 300):
        event[onset : onset + 30] = 0.3 * np.exp(-np.arange(30) / 15.0)
    inside = np.zeros((h, w))
    inside[16:24, 16:24] = 1.0
    neuropil = 8.0 * np.sin(2 * np.pi * np.arange(t) / 150.0)
    gain = np.where(np.arange(t) >= 200, 1.2, 1.0)
    movie = gain[:, None, None] * (
        rest * (1 + event[:, None, None] * inside) + neuropil[:, None, None]
    )
    movie = (movie + 50.0 + rng.normal(0, 1.0, movie.shape)).astype(np.float32)
    labels = (inside > 0).astype(np.uint16)
    with _write(tmp_path, movie) as m:
        maps = _maps(m, 64)
        plain = extract_traces(m, labels, np, chunk_frames=64)[:, 0]
        trace = corrected_traces(
            m, labels, inside > 0, np, pixel_size_um=1.0, coefficient=0.7, chunk_frames=64
        )[:, 0]
    roi_rest = maps.mean[16:24, 16:24].mean()
    change = (maps.frame_wide[:, 0] - 1) * roi_rest + maps.frame_wide[:, 1]
    assert change[201:206].mean() - change[194:199].mean() >= 0.75 * 0.2 * 200.0
    for onset in (80, 300):  # the planted rise: gain x 0.3 x 200 x the kernel's first frames
        planted = gain[onset] * 0.3 * 200.0 * np.exp(-np.arange(3) / 15.0).mean()
        rise = trace[onset : onset + 3].mean() - trace[onset - 10 : onset].mean()
        assert abs(rise / planted - 1) < 0.05, (onset, rise, planted)
    quiet = slice(120, 195)
    assert trace[quiet].std() < 0.5 * plain[quiet].std()


def test_compiled_local_sums_are_the_array_sums(monkeypatch):
    """The local correlation's sums in one compiled loop (rows shared among threads) are
    those of the array operations (the CuPy path) in float64, to float32 rounding: each
    pixel's sum, sum of squares, and products with its four forward neighbours, the pairs
    off the frame's edge left at 0; frames that are not square, a row block per thread."""
    from astrocalc.segment import _local_sums

    rng = np.random.default_rng(3)
    hp = rng.standard_normal((7, 13, 10)).astype(np.float32)
    sums = [np.zeros((13, 10)), np.zeros((13, 10)), np.zeros((4, 13, 10))]
    _local_sums.accumulate(hp, *sums, np)
    ref = [np.zeros((13, 10)), np.zeros((13, 10)), np.zeros((4, 13, 10))]
    _local_sums.accumulate(hp.astype(np.float64), *ref, np)  # not float32: the array path
    for got, want in zip(sums, ref, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-5)
    # the pair below and to the right of pixel (2, 3) by hand; the right edge has none
    np.testing.assert_allclose(sums[2][3, 2, 3], (hp[:, 2, 3] * hp[:, 3, 4]).sum(), rtol=1e-5)
    assert (sums[2][0, :, -1] == 0).all() and (sums[2][2, -1] == 0).all()


def test_compiled_thresholds_are_numpys_comparisons():
    """Active and mirrored-active voxels from the compiled pass are NumPy's float32
    comparisons, values at the float32-rounded threshold included."""
    from astrocalc.segment._activity import _beyond

    rng = np.random.default_rng(0)
    dff = rng.standard_normal((6, 30, 20)).astype(np.float32) * 3
    sd = rng.uniform(0.5, 2, (30, 20)).astype(np.float32)
    median = (rng.standard_normal((30, 20)) * 0.1).astype(np.float32)
    dff[0, 0, 0] = np.float32(0.1) * sd[0, 0]  # dff / sd at 0.1 rounded to float32
    for threshold in (0.1, 2.7, 3.0):
        above, mirrored = _beyond(dff, sd, median, threshold, np)
        np.testing.assert_array_equal(above, dff / sd > threshold)
        np.testing.assert_array_equal(mirrored, (2 * median - dff) / sd > threshold)
