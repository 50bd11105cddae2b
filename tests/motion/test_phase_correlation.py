import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from astrocalc.backend import to_numpy
from astrocalc.motion import make_template, phase_correlation, shift_frames
from astrocalc.synth import make_movie


@pytest.fixture(scope="module")
def texture():
    movie, truth = make_movie(
        shape=(80, 80), n_frames=12, motion_px=0.0, jump_rate_per_min=0, seed=2
    )
    return truth.structure


def _displace(image, shifts, xp=np):
    """Frames whose content sits at (y + dy, x + dx): shift_frames undoes -d, so apply -(-d)."""
    return shift_frames(
        xp.repeat(xp.asarray(image)[None], len(shifts), axis=0), -xp.asarray(shifts)
    )


@settings(max_examples=25, deadline=None)
@given(st.floats(-6, 6), st.floats(-6, 6))
def test_known_shift_comes_back(texture, dy, dx):
    moved = _displace(texture, np.array([[dy, dx]], np.float32))
    est = phase_correlation(moved, make_template(texture), max_shift_px=10)[0]
    np.testing.assert_allclose(est, [dy, dx], atol=0.02)


def test_correction_undoes_the_shift(texture):
    shifts = np.array([[2.3, -1.7], [-0.4, 3.1]], np.float32)
    moved = _displace(texture, shifts)
    back = shift_frames(moved, phase_correlation(moved, make_template(texture), max_shift_px=10))
    core = (slice(8, -8), slice(8, -8))
    for frame in back:
        assert np.abs(frame[core] - texture[core]).max() < 0.01 * texture.max()


def test_search_is_limited_to_max_shift(texture):
    moved = _displace(texture, np.array([[7.0, 0.0]], np.float32))
    est = phase_correlation(moved, make_template(texture), max_shift_px=4)[0]
    assert abs(est[0]) <= 4.5


def test_backends_agree(texture, xp):
    shifts = np.array([[1.25, -0.5], [-2.75, 2.0]], np.float32)
    moved = _displace(texture, shifts, xp)
    est = phase_correlation(moved, make_template(xp.asarray(texture)), max_shift_px=10)
    np.testing.assert_allclose(to_numpy(est), shifts, atol=0.02)


def test_a_frame_is_shifted_alike_whatever_it_is_batched_with(texture, xp):
    """Each frame's padding follows its own shift: the corrected frames do not depend on
    the batches (which follow the number of cores, the chunk size and the backend). A
    batch-wide padding moved values by up to 0.7 % of the range between 1 and 2 cores."""
    frames = xp.repeat(xp.asarray(texture, dtype=xp.float32)[None], 3, axis=0)
    shifts = xp.asarray([[0.3, -0.2], [5.6, 1.2], [-1.4, 0.7]], dtype=xp.float32)
    together = to_numpy(shift_frames(frames, shifts))
    for i in range(3):
        alone = to_numpy(shift_frames(frames[i : i + 1], shifts[i : i + 1]))[0]
        np.testing.assert_allclose(alone, together[i], atol=1e-4 * float(texture.max()))
    if xp is not np:
        on_cpu = shift_frames(to_numpy(frames), to_numpy(shifts))
        np.testing.assert_allclose(together, on_cpu, atol=1e-4 * float(texture.max()))


def test_reference_from_kept_spectra_equals_recomputed(texture, monkeypatch):
    """The reference's rounds reuse each sampled frame's spectrum where it fits in
    memory, else recompute it: the reference is the same either way."""
    from astrocalc.motion import _reference

    rng = np.random.default_rng(0)
    shifts = rng.uniform(-3, 3, (16, 2)).astype(np.float32)
    frames = _displace(texture, shifts) + rng.normal(0, 0.02, (16, 80, 80)).astype(np.float32)
    kept = _reference.make_reference(frames, max_shift_px=6)
    monkeypatch.setattr(_reference, "SPECTRA_CACHE_BYTES", 0)
    np.testing.assert_array_equal(_reference.make_reference(frames, max_shift_px=6), kept)
