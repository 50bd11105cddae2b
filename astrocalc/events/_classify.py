"""Local vs global events: how many ROIs start an event at about the same time."""

from __future__ import annotations

import numpy as np

from ._kernels import distinct_in_windows


def coactive_rois(roi: np.ndarray, onset_s: np.ndarray, *, window_s: float) -> np.ndarray:
    """For each event, the number of distinct ROIs (its own included) with an event whose
    onset lies within ``window_s`` of its onset."""
    roi = np.asarray(roi)
    onset_s = np.asarray(onset_s, float)
    order = np.argsort(onset_s, kind="stable")
    t, r = onset_s[order], roi[order]
    lo = np.searchsorted(t, t - window_s, side="left")
    hi = np.searchsorted(t, t + window_s, side="right")
    codes = np.unique(r, return_inverse=True)[1].astype(np.int64)
    counts = distinct_in_windows(codes, lo.astype(np.int64), hi.astype(np.int64)).astype(int)
    out = np.empty_like(counts)
    out[order] = counts
    return out


def classify(n_rois: np.ndarray, total_rois: int, *, global_fraction: float) -> np.ndarray:
    """'global' where at least ``global_fraction`` of all ROIs are co-active, else 'local'."""
    is_global = np.asarray(n_rois) >= max(2, global_fraction * total_rois)
    return np.where(is_global, "global", "local")
