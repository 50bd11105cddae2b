"""Pearson correlation matrix of ROI traces: z-score, then one matrix product."""

from __future__ import annotations

from ..backend import array_namespace


def _constant_columns(x):
    """Bool (N,): columns of ``x`` (T, N) with a single value (none for N = 0)."""
    if x.shape[1] == 0:
        return array_namespace(x).zeros(0, dtype=bool)
    return x.max(axis=0) == x.min(axis=0)


def zscore(traces):
    """Columns of ``traces`` (T, N) scaled to mean 0 and unit variance (constant -> 0)."""
    xp = array_namespace(traces)
    x = xp.asarray(traces, dtype=xp.float64)
    constant = _constant_columns(x)
    x = x - x.mean(axis=0)
    sd = xp.sqrt((x * x).mean(axis=0))
    return x / xp.where((sd > 0) & ~constant, sd, xp.inf)


def pearson_matrix(traces):
    """Pearson r between every pair of columns of ``traces`` (T, N) -> (N, N).

    Symmetric with a unit diagonal (0 on the diagonal of a constant trace).
    """
    xp = array_namespace(traces)
    z = zscore(traces)
    r = (z.T @ z) / z.shape[0]
    r = xp.clip((r + r.T) / 2, -1.0, 1.0)
    constant = _constant_columns(xp.asarray(traces))
    diag = xp.where(constant, 0.0, 1.0)
    idx = xp.arange(r.shape[0])
    r[idx, idx] = diag
    return r
