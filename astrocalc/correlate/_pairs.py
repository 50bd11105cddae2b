"""Tidy pair table: r, p, q, distance and event co-occurrence for every ROI pair."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..backend import to_numpy
from ._measures import near_count_blocks, near_counts
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


def co_event_matrix(events: pd.DataFrame, roi_ids: np.ndarray, *, window_s: float, near=None):
    """:func:`co_event_fraction` of every pair of ROIs at once, (N, N), from the events
    table (``roi_id``, ``onset_s``); no loop over pairs. ``near``: the events'
    :func:`near_counts` (window ``window_s``) when already at hand."""
    roi, times = event_positions(events, roi_ids)
    n = len(roi_ids)
    if near is None:
        near = near_counts(roi, times, n, window=window_s)
    counts = np.bincount(roi, minlength=n).astype(float)
    out = np.empty((n, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        for rows, block, block_t in near_count_blocks(near):
            total = counts[rows, None] + counts[None, :]
            out[rows] = np.where(total > 0, (block + block_t) / total, np.nan)
    return out


PAIR_COLUMNS = [
    "roi_a",
    "roi_b",
    "r",
    "p",
    "distance_um",
    "co_event_fraction",
    "q",
    "significant",
]


def pair_blocks(
    r,
    p,
    roi_ids: np.ndarray,
    centroids_px: np.ndarray,
    *,
    pixel_size_um: float,
    co_event: np.ndarray,
    alpha: float = 0.05,
    q: np.ndarray | None = None,
    distance_um: np.ndarray | None = None,
    extra: dict | None = None,
    rows_per_block: int = 1_000_000,
):
    """pairs.csv in blocks: DataFrames of consecutive pairs (a < b, row-major over a), so a
    recording with millions of pairs is written without the whole table in memory.

    Columns: :data:`PAIR_COLUMNS`, then one per entry of ``extra`` ({name: (N, N) matrix,
    or None for a column of NaN}). ``co_event`` is the (N, N) :func:`co_event_matrix`.
    ``q`` is the Benjamini-Hochberg adjusted p over all pairs and ``distance_um`` the
    centroid distances (each computed unless given, in the order of
    :func:`upper_triangle`); ``significant`` is q < alpha.
    """
    r, p = to_numpy(r), to_numpy(p)
    ids = np.asarray(roi_ids)
    n = len(ids)
    if q is None:
        q = to_numpy(benjamini_hochberg(upper_triangle(p)))
    if distance_um is None:
        distance_um = pair_distances(centroids_px, pixel_size_um)
    if not len(q):
        yield pd.DataFrame({c: [] for c in PAIR_COLUMNS + list(extra or {})})
        return
    done, a = 0, 0
    while a < n - 1:
        # whole rows of the upper triangle: row a holds n - 1 - a pairs
        stop, count = a, 0
        while stop < n - 1 and (count == 0 or count + n - 1 - stop <= rows_per_block):
            count += n - 1 - stop
            stop += 1
        ia = np.concatenate([np.full(n - 1 - i, i) for i in range(a, stop)])
        ib = np.concatenate([np.arange(i + 1, n) for i in range(a, stop)])
        block_q = q[done : done + count]
        table = pd.DataFrame(
            {
                "roi_a": ids[ia],
                "roi_b": ids[ib],
                "r": r[ia, ib],
                "p": p[ia, ib],
                "distance_um": distance_um[done : done + count],
                "co_event_fraction": co_event[ia, ib],
                "q": block_q,
                "significant": block_q < alpha,
            }
        )
        for name, matrix in (extra or {}).items():
            table[name] = np.nan if matrix is None else to_numpy(matrix)[ia, ib]
        yield table
        done += count
        a = stop


def upper_triangle(matrix: np.ndarray) -> np.ndarray:
    """The strict upper triangle, row-major (the order of np.triu_indices(n, 1)), without
    an (N, N) index or mask."""
    n = matrix.shape[0]
    out = np.empty(n * (n - 1) // 2, dtype=matrix.dtype)
    start = 0
    for i in range(n - 1):
        out[start : start + n - 1 - i] = matrix[i, i + 1 :]
        start += n - 1 - i
    return out


def pair_distances(centroids_px: np.ndarray, pixel_size_um: float) -> np.ndarray:
    """Distance (um) between the centroids of every pair, in :func:`upper_triangle` order."""
    c = np.asarray(centroids_px, float)
    n = len(c)
    out = np.empty(n * (n - 1) // 2)
    start = 0
    for i in range(n - 1):
        out[start : start + n - 1 - i] = np.hypot(*(c[i + 1 :] - c[i]).T) * pixel_size_um
        start += n - 1 - i
    return out


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
    """The whole pairs.csv table at once (see :func:`pair_blocks`)."""
    co = co_event_matrix(events, roi_ids, window_s=co_event_window_s)
    return pd.concat(
        list(
            pair_blocks(
                r,
                p,
                roi_ids,
                centroids_px,
                pixel_size_um=pixel_size_um,
                co_event=co,
                alpha=alpha,
                extra=extra,
            )
        ),
        ignore_index=True,
    )
