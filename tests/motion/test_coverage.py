import numpy as np

from astrocalc.io import MovieWriter, open_movie
from astrocalc.motion import Coverage, intensity_affine
from astrocalc.segment import extract_traces


def test_coverage_of_known_shifts():
    """Content moved down by 2.5 px and left by 1 px: the corrected frame shows recorded
    pixels (y + 2.5, x - 1), so its last 3 rows and first column hold no data."""
    cov = Coverage(np.array([[0.0, 0.0], [2.5, -1.0]]), (10, 8))
    frames = cov.frames(0, 2)
    assert frames[0].all()
    expected = np.ones((10, 8), bool)
    expected[7:] = False
    expected[:, 0] = False
    np.testing.assert_array_equal(frames[1], expected)
    np.testing.assert_allclose(cov.fraction(), frames.mean(axis=0))
    assert cov.usable(0.5).all() and not cov.usable(1.0)[9, 0]


def test_edge_roi_trace_uses_covered_frames_only(tmp_path):
    """An ROI on the two edge rows: in frames whose shift uncovers one of its rows the
    trace is the other row's mean; where both are uncovered, interpolated in time."""
    t, h, w = 12, 16, 16
    movie = np.full((t, h, w), 10.0, np.float32)
    movie[:, :2] = 100.0  # the ROI's recorded level
    movie[2, :1] = -999.0  # what motion correction filled in (not data)
    movie[3, :2] = -999.0
    shifts = np.zeros((t, 2))
    shifts[2, 0] = -1.0  # row 0 uncovered
    shifts[3, 0] = -2.0  # rows 0-1 uncovered
    labels = np.zeros((h, w), np.uint16)
    labels[:2, 2:6] = 1
    path = tmp_path / "m.tif"
    with MovieWriter(path, movie.shape, np.float32, frame_rate_hz=10, pixel_size_um=1) as wr:
        wr.write(movie)
    with open_movie(path) as m:
        naive = extract_traces(m, labels, np, chunk_frames=4)
        traces = extract_traces(m, labels, np, chunk_frames=4, coverage=Coverage(shifts, (h, w)))
    assert naive[3, 0] < 0
    np.testing.assert_allclose(traces[:, 0], 100.0)


def test_global_intensity_fit_ignores_a_wave():
    """Frames = gain x reference + offset, plus a wave lighting up a third of the field at
    dF/F 1: the robust fit returns the gain and offset, not the wave."""
    rng = np.random.default_rng(0)
    ref = rng.uniform(50, 500, (64, 64)).astype(np.float32)
    gain = np.array([1.0, 0.7, 0.5, 1.2], np.float32)
    offset = np.array([0.0, 30.0, -20.0, 5.0], np.float32)
    frames = gain[:, None, None] * ref + offset[:, None, None]
    frames[1:3, :, :22] += gain[1:3, None, None] * ref[:, :22]  # the wave
    frames += rng.normal(0, 2, frames.shape).astype(np.float32)
    g, o = intensity_affine(frames, ref)
    np.testing.assert_allclose(g, gain, rtol=0.01)
    np.testing.assert_allclose(o, offset, atol=3.0)
