import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from astrocalc.backend import to_numpy
from astrocalc.correlate import (
    benjamini_hochberg,
    circular_shift_pvalues,
    cluster_order,
    co_event_fraction,
    pair_blocks,
    pairs_table,
    pearson_matrix,
    upper_triangle,
)


def _ar1(rng, n, k, phi=0.95):
    """Autocorrelated traces (slow, like calcium signals)."""
    x = np.zeros((n, k))
    e = rng.standard_normal((n, k))
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return x


@settings(max_examples=30, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(5, 40), st.integers(2, 6)),
        elements=st.floats(-1e3, 1e3, allow_nan=False),
    )
)
def test_pearson_properties(x):
    r = pearson_matrix(x)
    assert np.allclose(r, r.T)
    assert (np.abs(r) <= 1 + 1e-12).all()
    const = np.ptp(x, axis=0) == 0
    np.testing.assert_array_equal(np.diag(r), np.where(const, 0.0, 1.0))
    ok = ~const & (x.std(axis=0) > 1e-6 * (np.abs(x).max(axis=0) + 1))
    if ok.sum() >= 2:
        np.testing.assert_allclose(r[np.ix_(ok, ok)], np.corrcoef(x[:, ok].T), atol=1e-6)


def test_planted_correlations_are_recovered_and_flagged(xp):
    """Pairs (0,1) r = 0.6 and (2,3) r = 0.3 on autocorrelated traces; the rest independent."""
    rng = np.random.default_rng(7)
    n, k = 4000, 8
    base = _ar1(rng, n, k)
    base /= base.std(axis=0)
    x = base.copy()
    for (a, b), r in (((0, 1), 0.6), ((2, 3), 0.3)):
        x[:, b] = r * base[:, a] + np.sqrt(1 - r * r) * base[:, b]
    r_hat = to_numpy(pearson_matrix(xp.asarray(x)))
    assert abs(r_hat[0, 1] - np.corrcoef(x[:, 0], x[:, 1])[0, 1]) < 1e-9
    p = to_numpy(circular_shift_pvalues(xp.asarray(x), min_shift_frames=200))
    ia, ib = np.triu_indices(k, 1)
    q = benjamini_hochberg(p[ia, ib])
    flagged = {(int(a), int(b)) for a, b, s in zip(ia, ib, q < 0.05, strict=True) if s}
    assert flagged == {(0, 1), (2, 3)}
    assert abs(r_hat[0, 1] - 0.6) < 0.1 and abs(r_hat[2, 3] - 0.3) < 0.1


def test_null_is_calibrated_for_autocorrelated_independent_traces():
    """With independent slow traces, p-values are not small: a naive t-test would flag many."""
    rng = np.random.default_rng(1)
    x = _ar1(rng, 3000, 30, phi=0.98)
    p = circular_shift_pvalues(x, min_shift_frames=150)
    ia, ib = np.triu_indices(30, 1)
    share = (p[ia, ib] < 0.05).mean()
    assert 0.0 < share < 0.12


def test_benjamini_hochberg_known_values():
    p = np.array([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(benjamini_hochberg(p), [0.02, 0.04, 0.04, 0.02])


def test_benjamini_hochberg_leaves_untested_pairs_out():
    """A NaN p (a constant trace) stays NaN and does not change the other q-values."""
    p = np.array([0.01, np.nan, 0.04, 0.03, 0.005])
    q = benjamini_hochberg(p)
    assert np.isnan(q[1])
    np.testing.assert_allclose(q[[0, 2, 3, 4]], [0.02, 0.04, 0.04, 0.02])


def test_cluster_order_groups_correlated_rois():
    r = np.eye(6)
    for group in ((0, 3, 5), (1, 2, 4)):
        for a in group:
            for b in group:
                if a != b:
                    r[a, b] = 0.8
    order, clusters = cluster_order(r, threshold=0.5)
    assert sorted(order.tolist()) == list(range(6))
    assert len(set(clusters[[0, 3, 5]])) == 1 and len(set(clusters[[1, 2, 4]])) == 1
    assert clusters[0] != clusters[1]
    pos = np.argsort(order)
    assert np.ptp(pos[[0, 3, 5]]) == 2  # each group is contiguous in the order


def test_co_event_fraction_and_pairs_table():
    assert co_event_fraction(np.array([1.0, 10.0]), np.array([1.5, 30.0]), 1.0) == 0.5
    assert np.isnan(co_event_fraction(np.zeros(0), np.zeros(0), 1.0))
    r = np.array([[1, 0.5, 0.1], [0.5, 1, 0.2], [0.1, 0.2, 1]])
    p = np.array([[0, 0.001, 0.5], [0.001, 0, 0.3], [0.5, 0.3, 0]])
    events = pd.DataFrame({"roi_id": [1, 2, 3], "onset_s": [5.0, 5.5, 50.0]})
    t = pairs_table(
        r,
        p,
        np.array([1, 2, 3]),
        np.array([[0, 0], [3, 4], [0, 10]]),
        pixel_size_um=0.5,
        events=events,
        co_event_window_s=1.0,
    )
    assert t[["roi_a", "roi_b"]].values.tolist() == [[1, 2], [1, 3], [2, 3]]
    np.testing.assert_allclose(t.distance_um, [2.5, 5.0, 0.5 * np.hypot(3, 6)])
    assert t.co_event_fraction.tolist() == [1.0, 0.0, 0.0]
    assert t.significant.tolist() == [True, False, False]


def test_pair_blocks_split_rows_without_changing_the_table():
    """pairs.csv written in blocks of whole rows is the one-block table, q over all pairs."""
    rng = np.random.default_rng(3)
    n = 9
    r = rng.uniform(-1, 1, (n, n))
    r = (r + r.T) / 2
    p = rng.uniform(0, 1, (n, n))
    p = (p + p.T) / 2
    p[2, 5] = p[5, 2] = np.nan  # an untested pair
    kwargs = dict(
        pixel_size_um=0.5,
        co_event=rng.uniform(0, 1, (n, n)),
        extra={"sttc": r * 2},
    )
    ids, centroids = np.arange(10, 10 + n), rng.uniform(0, 50, (n, 2))
    whole = pd.concat(list(pair_blocks(r, p, ids, centroids, **kwargs)), ignore_index=True)
    parts = list(pair_blocks(r, p, ids, centroids, rows_per_block=7, **kwargs))
    assert len(parts) > 3
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole, check_exact=True)
    ia, ib = np.triu_indices(n, 1)
    assert whole[["roi_a", "roi_b"]].to_numpy().tolist() == np.c_[ids[ia], ids[ib]].tolist()
    np.testing.assert_allclose(whole.q, benjamini_hochberg(p[ia, ib]))
    np.testing.assert_array_equal(upper_triangle(p), p[ia, ib])
    assert not whole.significant[whole.p.isna()].any()


def test_display_matrix_is_the_block_means_of_the_ordered_matrix():
    from astrocalc.plots.correlation import display_matrix

    rng = np.random.default_rng(4)
    r = rng.uniform(-1, 1, (25, 25))
    order = rng.permutation(25)
    np.testing.assert_array_equal(display_matrix(r, order, max_size=30), r[np.ix_(order, order)])
    shown = display_matrix(r, order, max_size=10)  # blocks of 3: 9 x 9, the last of 1
    assert shown.shape == (9, 9)
    ordered = r[np.ix_(order, order)]
    assert shown[0, 0] == pytest.approx(ordered[:3, :3].mean())
    assert shown[2, 8] == pytest.approx(ordered[6:9, 24:].mean())
