"""Scores of results against ground truth (synthetic movies): ROI matching, event F1.

Used by the accuracy tests and the benchmarks; pure functions on arrays and tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment


def iou_matrix(truth: np.ndarray, found: np.ndarray) -> np.ndarray:
    """IoU between every true label (rows, 1..n) and found label (columns, 1..m)."""
    n, m = int(truth.max()), int(found.max())
    joint = np.zeros((n + 1, m + 1), np.int64)
    np.add.at(joint, (truth.ravel(), found.ravel()), 1)
    a = joint.sum(axis=1)[1:, None]
    b = joint.sum(axis=0)[None, 1:]
    inter = joint[1:, 1:]
    return inter / np.maximum(a + b - inter, 1)


def match_rois(truth: np.ndarray, found: np.ndarray, *, min_iou: float = 0.3) -> pd.DataFrame:
    """One-to-one matching of true and found ROIs maximising IoU (Hungarian).

    Returns a table (true_id, found_id, iou) of matches with IoU >= ``min_iou``.
    """
    iou = iou_matrix(truth, found)
    if iou.size == 0:
        return pd.DataFrame(columns=["true_id", "found_id", "iou"])
    rows, cols = linear_sum_assignment(-iou)
    keep = iou[rows, cols] >= min_iou
    return pd.DataFrame(
        {"true_id": rows[keep] + 1, "found_id": cols[keep] + 1, "iou": iou[rows, cols][keep]}
    )


def match_events(
    true_onsets_s: np.ndarray, found_onsets_s: np.ndarray, *, tolerance_s: float
) -> list[tuple[int, int]]:
    """Greedy one-to-one matching of onsets within ``tolerance_s`` (closest pairs first)."""
    t = np.asarray(true_onsets_s, float)
    f = np.asarray(found_onsets_s, float)
    if not len(t) or not len(f):
        return []
    d = np.abs(t[:, None] - f[None, :])
    pairs = np.argwhere(d <= tolerance_s)
    pairs = pairs[np.argsort(d[pairs[:, 0], pairs[:, 1]], kind="stable")]
    used_t, used_f, out = set(), set(), []
    for i, j in pairs:
        if i not in used_t and j not in used_f:
            used_t.add(i)
            used_f.add(j)
            out.append((int(i), int(j)))
    return out


def f1(n_true: int, n_found: int, n_matched: int) -> float:
    precision = n_matched / n_found if n_found else 0.0
    recall = n_matched / n_true if n_true else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score_events(
    truth_events: pd.DataFrame,
    found_events: pd.DataFrame,
    roi_pairs: dict[int, int],
    *,
    tolerance_s: float = 1.5,
) -> dict:
    """Event detection scores over the whole recording.

    Parameters
    ----------
    truth_events : DataFrame
        With ``domain_id`` (0 = soma), ``onset_s``, ``amplitude_dff``.
    found_events : DataFrame
        events.csv (``roi_id``, ``onset_s``, ``amplitude_dff``).
    roi_pairs : dict
        True domain id -> found ROI id (from :func:`match_rois`, plus the soma).
    tolerance_s : float
        Largest onset difference of a match (s).

    Returns
    -------
    dict: n_true, n_found, n_matched, precision, recall, f1, median_onset_error_s,
    median_amplitude_error (relative), and ``pairs`` (list of (true index, found index)).
    """
    matched = []
    for true_id, found_id in roi_pairs.items():
        t = truth_events[truth_events.domain_id == true_id]
        f = found_events[found_events.roi_id == found_id]
        for i, j in match_events(
            t.onset_s.to_numpy(), f.onset_s.to_numpy(), tolerance_s=tolerance_s
        ):
            matched.append((t.index[i], f.index[j]))
    n_true, n_found, n_m = len(truth_events), len(found_events), len(matched)
    ti = [a for a, _ in matched]
    fi = [b for _, b in matched]
    onset_err = np.abs(
        found_events.loc[fi, "onset_s"].to_numpy() - truth_events.loc[ti, "onset_s"].to_numpy()
    )
    amp_t = truth_events.loc[ti, "amplitude_dff"].to_numpy()
    amp_err = np.abs(found_events.loc[fi, "amplitude_dff"].to_numpy() - amp_t) / amp_t
    return {
        "n_true": n_true,
        "n_found": n_found,
        "n_matched": n_m,
        "precision": n_m / n_found if n_found else 0.0,
        "recall": n_m / n_true if n_true else 0.0,
        "f1": f1(n_true, n_found, n_m),
        "median_onset_error_s": float(np.median(onset_err)) if n_m else np.nan,
        "median_amplitude_error": float(np.median(amp_err)) if n_m else np.nan,
        "pairs": matched,
    }
