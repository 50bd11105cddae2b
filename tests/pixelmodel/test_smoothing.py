import numpy as np
import pytest
from scipy import ndimage

from astrocalc.pixelmodel import smooth_space
from astrocalc.pixelmodel._smoothing import smooth_frames


@pytest.mark.parametrize("sigma", [0.4, 1.5, 7.5])
def test_compiled_smoothing_is_scipys_gaussian(sigma):
    """The compiled float32 filter is scipy's Gaussian with edges extended (mode
    "nearest", radius 4 sigma), to float32 rounding, on frames that are not square and
    smaller than the kernel along one side; in place too."""
    rng = np.random.default_rng(0)
    frames = rng.random((3, 23, 40), dtype=np.float32)
    frames[1, :, :5] += 5.0  # a step at the edge: the extension matters
    ref = ndimage.gaussian_filter(frames.astype(np.float64), (0, sigma, sigma), mode="nearest")
    out = smooth_space(frames, sigma, np)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref, rtol=0, atol=2e-6 * np.abs(ref).max())
    np.testing.assert_array_equal(smooth_frames(frames, sigma, frames.copy()), out)
    same = frames.copy()
    np.testing.assert_array_equal(smooth_frames(same, sigma, same), out)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])  # compiled, scipy's filter
def test_smooth_space_in_place(dtype):
    frames = np.random.default_rng(1).random((5, 20, 31)).astype(dtype)
    want = smooth_space(frames, 1.5, np)
    same = frames.copy()
    assert smooth_space(same, 1.5, np, out=same) is same
    np.testing.assert_array_equal(same, want)
    other = np.empty_like(frames)
    np.testing.assert_array_equal(smooth_space(frames, 0.0, np, out=other), frames)


def test_compiled_covered_smoothing_is_the_array_steps(monkeypatch):
    """Smoothing over the covered pixels in one compiled loop gives what the array steps
    (the CuPy path, here on NumPy with scipy's filter) give, to float32 rounding: frames
    with a band uncovered at the top, at the left, both, and none."""
    from astrocalc.pixelmodel import _smoothing, smooth_covered

    rng = np.random.default_rng(1)
    n, h, w = 4, 30, 36
    frames = (100 + 10 * rng.standard_normal((n, h, w))).astype(np.float32)
    level = frames.mean(axis=0)
    rows, cols = np.ones((n, h), bool), np.ones((n, w), bool)
    rows[0, :4] = rows[2, :6] = False
    cols[1, :3] = cols[2, :2] = False
    level_smooth = smooth_space(level[None], 1.5, np)[0]
    kw = dict(level=level, level_smooth=level_smooth)
    compiled = smooth_covered(frames, 1.5, np, rows, cols, **kw)
    monkeypatch.setattr(_smoothing, "compiled", lambda *a: False)
    arrays = smooth_covered(frames, 1.5, np, rows, cols, **kw)
    np.testing.assert_allclose(compiled, arrays, rtol=0, atol=1e-4)
    assert not np.allclose(compiled[0], smooth_space(frames[:1], 1.5, np)[0], atol=1e-2)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_compiled_box_mean_in_time_is_the_array_sums(monkeypatch, k):
    """The compiled box mean over k frames gives the array code's result bit for bit (the
    same sums in the same order), blocks shorter than the box included."""
    from astrocalc.pixelmodel import _smoothing, smooth_time

    rng = np.random.default_rng(2)
    for n in (1, 4, 40):
        block = rng.standard_normal((n, 7, 9)).astype(np.float32)
        compiled = smooth_time(block, k, np)
        with monkeypatch.context() as m:
            m.setattr(_smoothing, "compiled", lambda *a: False)
            arrays = smooth_time(block, k, np)
        np.testing.assert_array_equal(compiled, arrays)
    ref = ndimage.uniform_filter1d(block.astype(np.float64), k, axis=0, mode="nearest")
    np.testing.assert_allclose(compiled, ref, atol=1e-5)
