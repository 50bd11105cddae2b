import numpy as np
import pytest

from astrocalc import backend


def test_numpy_namespace_and_roundtrip():
    a = np.arange(4.0)
    assert backend.array_namespace(a) is np
    assert backend.to_numpy(a) is a or np.array_equal(backend.to_numpy(a), a)
    assert backend.scipy_module(np, "fft").__name__ == "scipy.fft"
    assert backend.resolve("numpy") is np


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="backend: expected one of"):
        backend.resolve("torch")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(4, 48, 48), (3, 45, 50), (2, 2, 21, 9)])
def test_irfft2_is_scipys_bit_for_bit(dtype, shape):
    from scipy import fft

    spec = fft.rfft2(np.random.default_rng(0).standard_normal(shape).astype(dtype))
    h, w = shape[-2:]
    # full size, and a low-frequency crop (phase correlation's smaller inverse)
    for s, part in (((h, w), spec), ((h // 2, w // 2), spec[..., : h // 2, : w // 4 + 1])):
        want = fft.irfft2(part, s=s)
        assert backend.irfft2(part, s).dtype == want.dtype
        np.testing.assert_array_equal(backend.irfft2(part, s), want)
        # one core per batch inside the thread pool
        got = backend.map_threads(lambda _, p=part, s=s: backend.irfft2(p, s), [0, 1])
        for g in got:
            np.testing.assert_array_equal(g, want)
        # a few rows alone, wrapping around row 0 as phase correlation's window does
        rows = np.r_[s[0] - 3 : s[0], 0:4]
        np.testing.assert_array_equal(backend.irfft2(part, s, rows=rows), want[..., rows, :])


def test_auto_works_without_a_gpu():
    xp = backend.resolve("auto")
    assert xp is np or backend.cupy_usable()


@pytest.mark.gpu
def test_cupy_and_numpy_agree(xp):
    """The same science functions on both backends give the same numbers."""
    from astrocalc.correlate import pearson_matrix
    from astrocalc.motion import make_template, phase_correlation
    from astrocalc.synth import make_movie

    if xp is np:
        pytest.skip("compares CuPy against NumPy")
    movie, _ = make_movie(shape=(64, 64), n_frames=40, seed=3)
    ref = movie[:20].mean(axis=0).astype(np.float32)
    cpu = phase_correlation(movie, make_template(ref), max_shift_px=8)
    gpu = phase_correlation(xp.asarray(movie), make_template(xp.asarray(ref)), max_shift_px=8)
    np.testing.assert_allclose(backend.to_numpy(gpu), cpu, atol=0.01)
    traces = np.random.default_rng(0).standard_normal((200, 12))
    np.testing.assert_allclose(
        backend.to_numpy(pearson_matrix(xp.asarray(traces))), pearson_matrix(traces), atol=1e-6
    )
