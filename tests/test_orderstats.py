import numpy as np
import pytest

from astrocalc.orderstats import column_median, column_percentiles


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("t", [1, 2, 7, 600, 601])
def test_column_statistics_are_numpys_value_for_value(t, dtype):
    """The compiled selection gives NumPy's medians and linear percentiles bit for bit
    (dtype included), whatever the length's parity, with ties, and NaN where a column
    holds one; across block boundaries (33 columns: blocks of 16)."""
    rng = np.random.default_rng(t)
    x = rng.standard_normal((t, 33)).astype(dtype)
    x[:, ::3] = np.round(x[:, ::3] * 2)  # many ties
    x[t // 2, 20] = np.nan
    median, expected = column_median(x), np.median(x, axis=0)
    assert median.dtype == expected.dtype
    np.testing.assert_array_equal(median, expected)
    q = [0.0, 15.87, 50.0, 97.5, 100.0]
    got, want = column_percentiles(x, q), np.percentile(x, q, axis=0)
    assert got.dtype == want.dtype and got.shape == want.shape == (5, 33)
    np.testing.assert_array_equal(got, want)
    assert np.isnan(median[20]) and np.isnan(got[:, 20]).all()


def test_column_statistics_of_no_values_are_nan():
    assert np.isnan(column_median(np.zeros((0, 3), np.float32))).all()
    assert np.isnan(column_percentiles(np.zeros((0, 2)), [50])).all()


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_column_statistics_of_awkward_columns_are_numpys(order, dtype):
    """Long columns with a heavy upper tail (events), constant columns, infinite values and
    a span beyond float64's range give NumPy's values, from C- and F-ordered arrays."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3001, 40))
    x[:, :20] += (rng.random((3001, 20)) < 0.05) * rng.exponential(30.0, (3001, 20))
    x[:, 20] = 1.5
    x[:, 21] = -0.0
    x[7, 22], x[9, 23], x[11, 24] = np.inf, -np.inf, np.nan
    if dtype == np.float64:
        x[:, 25] *= 1e307  # hi - lo overflows
    x = np.asarray(x.astype(dtype), order=order)
    np.testing.assert_array_equal(column_median(x), np.median(x, axis=0))
    q = [2.5, 15.87, 50.0, 60.0, 99.9]
    np.testing.assert_array_equal(column_percentiles(x, q), np.percentile(x, q, axis=0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_median_and_percentile_along_any_axis_are_numpys(axis, keepdims, dtype):
    """The NumPy-like entry points: any axis of a 3-D array, one percentile or several,
    keepdims, dtype and shape as NumPy's; integers go to NumPy itself."""
    from astrocalc.orderstats import median, percentile

    rng = np.random.default_rng(7)
    x = rng.standard_normal((9, 40, 6)).astype(dtype)
    np.testing.assert_array_equal(
        median(x, axis, keepdims), np.median(x, axis=axis, keepdims=keepdims)
    )
    for q in (60.0, [15.87, 50.0], np.array(97.5)):
        got, want = (
            percentile(x, q, axis, keepdims),
            np.percentile(x, q, axis=axis, keepdims=keepdims),
        )
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    ints = rng.integers(0, 9, (5, 4))
    np.testing.assert_array_equal(median(ints, axis), np.median(ints, axis=axis))


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("t", [0, 1, 6, 999, 1000])
def test_median_and_mad_are_the_two_medians(t, dtype, order):
    """The fused median and median absolute deviation give the values of two
    :func:`column_median` calls, NaN columns, ties and a heavy tail included."""
    from astrocalc.orderstats import column_median_and_mad

    rng = np.random.default_rng(t)
    x = rng.standard_normal((t, 21))
    x[:, :7] += (rng.random((t, 7)) < 0.1) * 25.0
    x[:, 8] = np.round(x[:, 8])
    if t:
        x[t // 2, 9] = np.nan
    x = np.asarray(x.astype(dtype), order=order)
    m, mad = column_median_and_mad(x)
    want = column_median(x)
    np.testing.assert_array_equal(m, want)
    np.testing.assert_array_equal(mad, column_median(np.abs(x - want)))
    assert mad.dtype == dtype
