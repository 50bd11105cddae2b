"""Significance of correlations against a circular-shift null, over all admissible lags."""

from __future__ import annotations

from ..backend import array_namespace, fft_options, scipy_module
from ._pearson import zscore


def circular_shift_pvalues(traces, *, min_shift_frames: int, block: int | None = None):
    """Two-sided p-value of every pairwise Pearson r against circularly shifted surrogates.

    Parameters
    ----------
    traces : array (T, N)
        dF/F traces.
    min_shift_frames : int
        Shifts shorter than this (frames) are excluded from the null: they keep the events
        aligned. Use more than an event's duration.
    block : int, optional
        ROIs per block of the computation (memory: a few arrays of block x N x T values);
        default: as many as keep one such array near 8 M values (64 MB), at most 32.

    Returns
    -------
    p : array (N, N)
        ``(1 + #{k : |r_k| >= |r_0|}) / (1 + n_lags)`` where ``r_k`` is the correlation
        after shifting one trace circularly by ``k`` frames, for every admissible shift
        ``min_shift_frames <= k <= T - min_shift_frames``. Each trace keeps its own
        autocorrelation, so slow calcium signals do not pass for synchrony. Computed
        exactly (every shift, no random draws) from the circular cross-correlation in the
        Fourier domain. Diagonal entries are 0.

    Notes
    -----
    The circular-shift (rotation) surrogate is the standard null for time series with
    autocorrelation (e.g. Harris et al. 2003 Nature 424:552; used for astrocyte ROI pairs
    in Bindocci et al. 2017).
    """
    xp = array_namespace(traces)
    fft = scipy_module(xp, "fft")
    z = zscore(traces)
    t, n = z.shape
    # the admissible shifts are one run of lags: a view, not a copy, of each block
    admissible = slice(max(min_shift_frames, 0), t - min_shift_frames + 1)
    n_lags = len(range(t)[admissible])
    if n_lags < 1:
        raise ValueError(f"min_shift_frames={min_shift_frames} leaves no shift for {t} frames")
    if block is None:
        block = int(max(1, min(32, (1 << 23) // max(n * t, 1))))
    spec = fft.rfft(z, axis=0, **fft_options(xp))  # (F, N)
    p = xp.zeros((n, n), dtype=xp.float64)
    r0 = (z.T @ z) / t
    for a in range(0, n, block):
        b = min(a + block, n)
        # circular cross-correlation of rows a:b with all columns: (b-a, N, T)
        cross = (
            fft.irfft(spec[:, a:b, None].conj() * spec[:, None, :], n=t, axis=0, **fft_options(xp))
            / t
        )
        shifted = xp.abs(cross[admissible], out=cross[admissible])
        exceed = (shifted >= xp.abs(r0[a:b])[None] - 1e-12).sum(axis=0)
        del cross, shifted
        p[a:b] = (1.0 + exceed) / (1.0 + n_lags)
    p = xp.minimum(p, p.T)  # the two rotation directions give the same set; symmetrise rounding
    idx = xp.arange(n)
    p[idx, idx] = 0.0
    return p


def benjamini_hochberg(p):
    """Benjamini-Hochberg adjusted p-values (q) of a 1-D array of p-values. NaN p (pairs
    that could not be tested, e.g. a constant trace) stay NaN and do not count among the
    tests."""
    xp = array_namespace(p)
    p = xp.asarray(p, dtype=xp.float64)
    out = xp.full_like(p, xp.nan)
    untested = xp.isnan(p)
    if bool(untested.any()):
        order = xp.flatnonzero(~untested)
        order = order[xp.argsort(p[order])]
    else:  # the usual case, without the index copies (millions of pairs)
        order = xp.argsort(p)
    del untested
    m = int(order.shape[0])
    if m == 0:
        return out
    ranked = p[order]
    ranked *= m
    ranked /= xp.arange(1, m + 1, dtype=xp.float64)
    ranked = xp.minimum.accumulate(ranked[::-1])[::-1]
    out[order] = xp.minimum(ranked, 1.0)
    return out
