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
