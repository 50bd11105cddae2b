import numpy as np
import pytest
from scipy import ndimage

from astrocalc.pixelmodel import smooth_space
from astrocalc.pixelmodel._gaussian import smooth_frames


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
