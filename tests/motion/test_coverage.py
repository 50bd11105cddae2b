import numpy as np
import pytest

from astrocalc.io import MovieWriter, open_movie
from astrocalc.motion import Coverage, intensity_affine
from astrocalc.pixelmodel import smooth_covered, smooth_space
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


def test_edge_roi_trace_does_not_move_with_its_covered_pixels(tmp_path):
    """An ROI whose edge row is twice as bright as the other: a frame that uncovers the
    bright row still gives the ROI's resting level (not the dim row's), and an event of
    +20 % in every pixel stays +20 % of that level whichever rows a frame covers."""
    t, h, w = 12, 16, 16
    movie = np.full((t, h, w), 10.0, np.float32)
    movie[:, 0], movie[:, 1] = 200.0, 100.0
    movie[6:9, :2] *= 1.2  # an event
    shifts = np.zeros((t, 2))
    shifts[[2, 7], 0] = -1.0  # row 0 uncovered: filled with anything
    movie[[2, 7], 0] = -999.0
    labels = np.zeros((h, w), np.uint16)
    labels[:2, 2:6] = 1
    path = tmp_path / "m.tif"
    with MovieWriter(path, movie.shape, np.float32, frame_rate_hz=10, pixel_size_um=1) as wr:
        wr.write(movie)
    with open_movie(path) as m:
        trace = extract_traces(m, labels, np, chunk_frames=5, coverage=Coverage(shifts, (h, w)))
    expected = np.where(np.isin(np.arange(t), [6, 7, 8]), 180.0, 150.0)
    full = ~np.isin(np.arange(t), [2, 7])
    np.testing.assert_allclose(trace[full, 0], expected[full], rtol=1e-5)
    # the plain mean of the covered row would give 100 and 120; the resting levels are
    # means over the covered frames, event included, hence the small offset
    np.testing.assert_allclose(trace[~full, 0], expected[~full], rtol=0.02)


def test_smoothing_over_covered_pixels_ignores_the_filled_band():
    """The rows a shift leaves without data (filled with anything) do not reach the covered
    pixels beside them, and a covered pixel's value does not move with the band over an
    intensity gradient (a process running off the field): at rest, the covered pixels
    keep the plain smoothing of the resting image; a fully covered frame gets the plain
    smoothing; an event beside the band keeps its height."""
    rng = np.random.default_rng(1)
    h, w = 24, 20
    rest = np.linspace(50, 150, h, dtype=np.float32)[:, None] * np.ones(w, np.float32)
    frames = np.repeat(rest[None], 4, axis=0)
    frames[1, 21:] = -999.0  # rows 21-23 uncovered in frame 1 (motion correction's filling)
    frames[2] = rng.uniform(0, 100, (h, w))
    frames[3, 17:21, 8:12] += 40.0  # an event on the rows beside the uncovered band
    frames[3, 21:] = -999.0
    shifts = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 0.0], [3.0, 0.0]])
    rows, cols = Coverage(shifts, (h, w)).axes(0, 4)
    smooth_rest = smooth_space(rest[None], 1.5, np)[0]
    out = smooth_covered(frames, 1.5, np, rows, cols, level=rest, level_smooth=smooth_rest)
    np.testing.assert_allclose(out[0], smooth_rest, rtol=1e-5)
    np.testing.assert_allclose(out[1, :21], smooth_rest[:21], rtol=1e-5)
    assert smooth_space(frames[1:2], 1.5, np)[0, 20, 0] < 0  # the plain filter mixes them in
    np.testing.assert_allclose(out[2], smooth_space(frames[2:3], 1.5, np)[0], rtol=1e-5)
    inside = (out[3] - smooth_rest)[18:20, 9:11]
    full = smooth_space((frames[3] - rest)[None] * (np.arange(h) < 21)[None, :, None], 1.5, np)[0]
    assert (inside >= full[18:20, 9:11] - 1e-3).all() and inside.min() > 20
    # noise alone: beside the band as noisy as elsewhere, not more (no false events there)
    noise = rng.normal(0, 1, (400, h, w)).astype(np.float32)
    rows, cols = Coverage(np.tile([[3.0, 0.0]], (400, 1)), (h, w)).axes(0, 400)
    zero = np.zeros((h, w), np.float32)
    out = smooth_covered(noise, 1.5, np, rows, cols, level=zero, level_smooth=zero)
    plain_sd = smooth_space(noise, 1.5, np)[:, 8:12, 8:12].std()
    np.testing.assert_allclose(out[:, 20, 4:16].std(), plain_sd, rtol=0.1)


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


@pytest.mark.parametrize("dtype", [np.uint16, np.float32, np.float64])
def test_intensity_fit_bins_are_numpys_block_means(dtype):
    """The compiled bin means behind the frame-wide intensity fit are NumPy's means of
    4 x 4 blocks bit for bit (float32), inside a border, every third bin kept."""
    from astrocalc.motion._intensity import _binned

    rng = np.random.default_rng(1)
    images = rng.gamma(2.0, 300.0, (3, 2, 45, 61)).astype(dtype)
    b, k, hh, ww = 3, 4, 36, 52
    x = images.astype(np.float32)[..., b : b + hh, b : b + ww]
    want = x.reshape(3, 2, hh // k, k, ww // k, k).mean(axis=(-3, -1)).reshape(3, 2, -1)
    np.testing.assert_array_equal(_binned(images, b, k, hh, ww), want)
    np.testing.assert_array_equal(_binned(images, b, k, hh, ww, 3), want[..., ::3])
