"""The compiled rank opening and the running baseline's blocks against scipy's filters."""

import numpy as np
import pytest
from scipy import ndimage

from astrocalc.pixelmodel import _baseline, _rank
from astrocalc.pixelmodel._baseline import RunningBaseline


def scipy_opening(window, w, rank):
    size = (w,) + (1,) * (window.ndim - 1)
    low = ndimage.rank_filter(window, rank, size=size, mode="nearest")
    return ndimage.rank_filter(low, w - 1 - rank, size=size, mode="nearest")[w:-w]


@pytest.mark.parametrize("w, rank", [(15, 3), (9, 0), (9, 8), (3, 1), (1, 0)])
def test_compiled_opening_is_scipys_bit_for_bit(w, rank):
    if not _rank.available():
        pytest.skip("numba is not installed")
    rng = np.random.default_rng(w + rank)
    window = rng.normal(size=(2 * w + 23, 9, 150)).astype(np.float32)
    window[:, :3] = np.round(window[:, :3])  # ties: the same value entering and leaving
    assert _rank.compiled(window)
    expected = scipy_opening(window, w, rank)
    np.testing.assert_array_equal(_rank.rank_opening(window, w, rank), expected)


def test_blocks_in_any_order_give_the_one_pass_baseline(monkeypatch):
    rng = np.random.default_rng(5)
    n_bins, bin_frames = 90, 4
    binned = rng.gamma(2.0, size=(n_bins, 6, 7)) + np.linspace(9, 5, n_bins)[:, None, None]
    binned = binned.astype(np.float32)
    kwargs = dict(bin_frames=bin_frames, n_frames=n_bins * bin_frames, window_frames=60,
                  percentile=20)  # fmt: skip
    whole = RunningBaseline(binned, **kwargs)
    reference = whole.values(0, n_bins)  # one piece: longer than a block
    monkeypatch.setattr(_baseline, "BLOCK_BYTES", 1)  # the smallest blocks, 16 bins
    blocks = RunningBaseline(binned, **kwargs)
    assert blocks.block_bins == _baseline.MIN_BLOCK_BINS
    for j0 in rng.permutation(n_bins - 3):  # calls straddling blocks, back and forth
        np.testing.assert_array_equal(blocks.values(j0, j0 + 3), reference[j0 : j0 + 3])
    assert len(blocks._blocks) <= 2


def test_mean_of_blocks_is_the_sum_of_groups(monkeypatch):
    """The baseline's mean, taken from its filtering blocks, equals the float64 sums of
    its groups of bins filtered in one piece, to the bit (segmentation's max - mean image
    depends on it): groups across blocks, a short last group."""
    rng = np.random.default_rng(6)
    n_bins = 150
    monkeypatch.setattr(_baseline, "BLOCK_BYTES", 1)  # blocks of 16 bins
    size = (n_bins, 9, 8)
    binned = (rng.gamma(2.0, size=size) * 10 ** rng.uniform(-6, 6, size)).astype(np.float32)
    base = RunningBaseline(binned, bin_frames=4, n_frames=4 * n_bins, window_frames=60,
                           percentile=20)  # fmt: skip
    assert base.block_bins < 64 < n_bins  # groups span blocks, the last group is short
    values = base.values(0, n_bins)
    for group in (64, 50):
        total = sum(
            values[j0 : j0 + group].sum(axis=0, dtype=np.float64) for j0 in range(0, n_bins, group)
        )
        np.testing.assert_array_equal(base.mean(block=group), (total / n_bins).astype(np.float32))
