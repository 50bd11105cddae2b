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
    return pd.DataFrame({"true_id": rows[keep] + 1, "found_id": cols[keep] + 1,
                         "iou": iou[rows, cols][keep]})


def match_events(true_onsets_s: np.ndarray, found_onsets_s: np.ndarray, *,
                 tolerance_s: float) -> list[tuple[int, int]]:
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
