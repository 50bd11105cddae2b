"""Tidy pair table: r, p, q, distance and event co-occurrence for every ROI pair."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..backend import to_numpy
from ._measures import near_counts
from ._null import benjamini_hochberg


def co_event_fraction(onsets_a: np.ndarray, onsets_b: np.ndarray, window_s: float) -> float:
    """Share of the two ROIs' events that have an event of the other ROI with an onset
    within ``window_s``: (events of a near one of b + events of b near one of a) /
    (events of a + events of b). NaN when neither ROI has an event."""
    a, b = np.sort(onsets_a), np.sort(onsets_b)
    if len(a) + len(b) == 0:
        return np.nan

    def near(x, y):
        if not len(x) or not len(y):
            return 0
        i = np.searchsorted(y, x)
        left = np.abs(x - y[np.clip(i - 1, 0, len(y) - 1)])
        right = np.abs(y[np.clip(i, 0, len(y) - 1)] - x)
        return int((np.minimum(left, right) <= window_s).sum())

    return (near(a, b) + near(b, a)) / (len(a) + len(b))


def event_positions(events: pd.DataFrame, roi_ids: np.ndarray):
    """(0-based position of each event's ROI in ``roi_ids``, its onset in s), for the
    events of those ROIs (events table: ``roi_id``, ``onset_s``)."""
    index = {int(i): k for k, i in enumerate(roi_ids)}
    known = events.roi_id.isin(index)
    return (
        events.roi_id[known].map(index).to_numpy(np.int64),
        events.onset_s[known].to_numpy(float),
    )


def co_event_matrix(events: pd.DataFrame, roi_ids: np.ndarray, *, window_s: float):
    """:func:`co_event_fraction` of every pair of ROIs at once, (N, N), from the events
    table (``roi_id``, ``onset_s``); no loop over pairs."""
    roi, times = event_positions(events, roi_ids)
    near = near_counts(roi, times, len(roi_ids), window=window_s).toarray()
    counts = np.bincount(roi, minlength=len(roi_ids)).astype(float)
    total = counts[:, None] + counts[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (near + near.T) / total, np.nan)


def pairs_table(
    r,
    p,
    roi_ids: np.ndarray,
    centroids_px: np.ndarray,
    *,
    pixel_size_um: float,
    events: pd.DataFrame,
    co_event_window_s: float,
    alpha: float = 0.05,
    extra: dict | None = None,
) -> pd.DataFrame:
    """pairs.csv: roi_a, roi_b, r, p, distance_um, co_event_fraction, q, significant, then
    one column per matrix of ``extra`` ({name: (N, N) array}).

    ``q`` is the Benjamini-Hochberg adjusted p over all pairs; ``significant`` is q < alpha.
    """
    r, p = to_numpy(r), to_numpy(p)
    n = len(roi_ids)
    ia, ib = np.triu_indices(n, k=1)
    dist = np.hypot(*(centroids_px[ia] - centroids_px[ib]).T) * pixel_size_um
    co = co_event_matrix(events, roi_ids, window_s=co_event_window_s)[ia, ib]
    q = to_numpy(benjamini_hochberg(p[ia, ib])) if len(ia) else np.zeros(0)
    table = pd.DataFrame(
        {
            "roi_a": np.asarray(roi_ids)[ia],
            "roi_b": np.asarray(roi_ids)[ib],
            "r": r[ia, ib],
            "p": p[ia, ib],
            "distance_um": dist,
            "co_event_fraction": co,
            "q": q,
            "significant": q < alpha,
        }
    )
    for name, matrix in (extra or {}).items():
        table[name] = to_numpy(matrix)[ia, ib]
    return table
