"""Correlation matrices of many ROIs over long recordings, accumulated chunk by chunk over
time, with p-values that allow for each trace's autocorrelation.

Memory is a few N x N matrices plus one chunk of frames, whatever the length: 5,000 ROIs
take 200 MB per float64 matrix. The exact circular-shift null of :func:`circular_shift_
pvalues` needs every pair's whole cross-correlation function (N^2 T work), which is out of
reach at this size; here each pair's r is tested against the variance it has under
independence given the two traces' autocorrelations (Bartlett 1935 J R Stat Soc 98:536;
Pyper & Peterman 1998 Can J Fish Aquat Sci 55:2127):
var(r) = (1 + 2 sum_k rho_a(k) rho_b(k)) / T over lags k = 1..K, for all pairs at once by
one matrix product of the autocorrelation functions.
"""

from __future__ import annotations

import math

from ..backend import array_namespace, scipy_module


class StreamingCorrelation:
    """Accumulates what the Pearson matrix and the autocorrelation-aware null need.

    Parameters
    ----------
    n_rois : int
    max_lag : int
        Autocorrelation lags kept (frames); cover the traces' memory (a few event
        durations).
    xp : module
        Array backend.

    Feed consecutive chunks of frames (T_chunk, N) with :meth:`add`, then :meth:`finish`.
    The data are shifted by the first chunk's mean before the sums (no cancellation when
    means are large against the fluctuations).
    """

    def __init__(self, n_rois: int, *, max_lag: int, xp):
        self.xp = xp
        self.n = n_rois
        self.max_lag = max_lag
        self.t = 0
        self.shift = None
        self.s1 = xp.zeros(n_rois, xp.float64)
        self.s2 = xp.zeros((n_rois, n_rois), xp.float64)
        self.lagged = xp.zeros((max_lag, n_rois), xp.float64)  # sum_t x_t x_{t+k}, k = 1..K
        self.tail = None  # the last max_lag frames of the previous chunk

    def add(self, chunk) -> None:
        xp = self.xp
        x = xp.asarray(chunk, dtype=xp.float64)
        if self.shift is None:
            self.shift = x.mean(axis=0)
        x = x - self.shift
        self.t += x.shape[0]
        self.s1 += x.sum(axis=0)
        for i in range(0, self.n, 512):  # in row blocks: no (N, N) temporary
            self.s2[i : i + 512] += x[:, i : i + 512].T @ x
        joined = x if self.tail is None else xp.concatenate([self.tail, x])
        start = 0 if self.tail is None else len(self.tail)
        # products whose later frame lies in this chunk: each pair of frames counted once
        for k in range(1, self.max_lag + 1):
            first = max(start, k)
            if first < len(joined):
                self.lagged[k - 1] += (joined[first - k : len(joined) - k] * joined[first:]).sum(
                    axis=0
                )
        self.tail = joined[-self.max_lag :] if self.max_lag else None

    def finish(self, *, block: int = 512):
        """Returns (r, p): the Pearson matrix and two-sided p-values (normal approximation
        with the autocorrelation-corrected variance); 0 r and NaN p for constant traces,
        diagonal r = 1 and p = 0. Works in place on the accumulated sums, a block of rows
        at a time, so the peak is two N x N matrices."""
        xp = self.xp
        t = self.t
        mean = self.s1 / t
        var = xp.diagonal(self.s2).copy() / t - mean**2
        ok = var > 1e-12 * (xp.abs(mean) + 1) ** 2
        sd = xp.sqrt(xp.where(ok, var, 1.0))
        # autocorrelation of each trace at lags 1..K about its mean; the two partial sums
        # of the lag-k products are taken as (T - k) * mean (exact up to the edges)
        k = xp.arange(1, self.max_lag + 1, dtype=xp.float64)[:, None]
        acov = (self.lagged - (t - k) * mean[None] ** 2) / t
        rho = xp.where(ok[None], acov / (sd**2)[None], 0.0)  # (K, N)
        r = self.s2  # reused: the sums are not needed after this
        p = rho.T @ rho  # sum_k rho_a(k) rho_b(k), turned into p below
        for i in range(0, self.n, block):
            j = min(i + block, self.n)
            rows = r[i:j]
            rows /= t
            rows -= mean[i:j, None] * mean[None, :]
            rows /= sd[i:j, None] * sd[None, :]
            xp.clip(rows, -1.0, 1.0, out=rows)
            rows[~(ok[i:j, None] & ok[None, :])] = 0.0
            sd_r = xp.sqrt(xp.maximum(1.0 + 2.0 * p[i:j], 1e-6) / t)
            p[i:j] = _two_sided_normal(xp.abs(rows) / sd_r, xp)
            p[i:j][~(ok[i:j, None] & ok[None, :])] = xp.nan
        idx = xp.arange(self.n)
        r[idx, idx] = xp.where(ok, 1.0, 0.0)
        p[idx, idx] = xp.where(ok, 0.0, xp.nan)
        self.s2 = None
        return r, p


def _two_sided_normal(z, xp):
    """2 * (1 - Phi(z)) for z >= 0."""
    return scipy_module(xp, "special").erfc(z / math.sqrt(2.0))


def streaming_correlation(chunks, n_rois: int, *, max_lag: int, xp=None):
    """r and p of traces given as an iterable of (T_chunk, N) chunks; see
    :class:`StreamingCorrelation`."""
    acc = None
    for chunk in chunks:
        if acc is None:
            acc = StreamingCorrelation(n_rois, max_lag=max_lag, xp=xp or array_namespace(chunk))
        acc.add(chunk)
    if acc is None:
        raise ValueError("no frames")
    return acc.finish()
