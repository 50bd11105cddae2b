"""Scores of results against ground truth (synthetic movies): ROI matching, event F1.

Used by the accuracy tests and the benchmarks; pure functions on arrays and tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment


def in_corrected_frame(truth) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic recording's truth labels and soma mask (either generator's), moved into
    the frame of its motion-corrected movie.

    The truth is drawn in the field's own coordinates; motion correction aligns every frame
    to the recording's median position, so the corrected movie shows the field displaced by
    the median of the true shifts (``truth.shifts``, content displacement per frame). A
    recording that drifted 2 px on average would otherwise have every ROI scored 2 px off
    its microdomain, which small microdomains do not survive (IoU < 0.3)."""
    dy, dx = np.rint(np.median(np.asarray(truth.shifts, float), axis=0)).astype(int)
    return _moved(truth.labels, dy, dx), _moved(truth.soma_mask, dy, dx)


def _moved(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``image``'s content moved by (dy, dx) whole pixels, zero where it leaves none."""
    out = np.zeros_like(image)
    h, w = image.shape
    out[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = image[
        max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


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


def roi_scores(truth_labels: np.ndarray, labels: np.ndarray, rois: pd.DataFrame) -> dict:
    """Segmentation scores: microdomain recall (IoU >= 0.3, one-to-one), median IoU of the
    matches, ROI precision (share of ROIs on a true microdomain or the soma), and ``pairs``
    (true domain id -> found ROI id; 0 is the soma, paired with the first soma ROI)."""
    matches = match_rois(truth_labels, labels, min_iou=0.3)
    pairs = dict(zip(matches.true_id.tolist(), matches.found_id.tolist(), strict=True))
    soma_ids = rois.roi_id[rois.compartment == "soma"].tolist()
    if soma_ids:
        pairs[0] = soma_ids[0]
    on_truth = set(matches.found_id) | set(soma_ids)
    return {
        "n_rois": int(labels.max()),
        "microdomain_recall": len(matches) / max(int(truth_labels.max()), 1),
        "median_iou": float(matches.iou.median()) if len(matches) else np.nan,
        "roi_precision": len(on_truth) / max(int(labels.max()), 1),
        "pairs": pairs,
    }


def score_pixel_events(
    truth_events: pd.DataFrame,
    truth_labels: np.ndarray,
    soma_mask: np.ndarray,
    events: pd.DataFrame,
    footprints: pd.DataFrame,
    *,
    tolerance_s: float = 1.5,
) -> dict:
    """Scores of pixel-level events, which need no ROI: a true event is found when a pixel
    event covers part of its microdomain's label (or of the soma) and starts within
    ``tolerance_s`` of it. A pixel event may find the events of several microdomains (a
    wave over them); each true event is found once, by the closest onset. Precision: the
    share of pixel events that find at least one true event.

    Returns n_true, n_found, recall, precision, f1, median_onset_error_s.
    """
    covered = {}
    for k, g in footprints.groupby("event_id"):
        ids = set(np.unique(truth_labels[g.y.to_numpy(), g.x.to_numpy()]).tolist()) - {0}
        if soma_mask[g.y.to_numpy(), g.x.to_numpy()].any():
            ids.add(0)
        covered[k] = ids
    onsets = dict(zip(events.event_id, events.onset_s, strict=True))
    used, errors = set(), []
    for row in truth_events.itertuples():
        best = None
        for k, ids in covered.items():
            d = abs(onsets[k] - row.onset_s)
            if row.domain_id in ids and d <= tolerance_s and (best is None or d < best[0]):
                best = (d, k)
        if best is not None:
            used.add(best[1])
            errors.append(best[0])
    n_true, n_found = len(truth_events), len(events)
    recall = len(errors) / n_true if n_true else 0.0
    precision = len(used) / n_found if n_found else 0.0
    return {
        "n_true": n_true,
        "n_found": n_found,
        "recall": recall,
        "precision": precision,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "median_onset_error_s": float(np.median(errors)) if errors else np.nan,
    }


def threshold_events(dff: np.ndarray, roi_ids, *, frame_rate_hz: float, k: float = 3.0):
    """The plain detector used as a baseline in the benchmarks: runs of frames where an
    ROI's dF/F exceeds its mean plus ``k`` SD over the whole recording. Onset is the first
    frame of a run, amplitude its largest dF/F. Returns a table (roi_id, onset_s,
    amplitude_dff)."""
    rows = []
    for j, roi in enumerate(roi_ids):
        x = dff[:, j]
        above = np.r_[False, x > x.mean() + k * x.std(), False]
        edges = np.diff(above.astype(np.int8))
        for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            rows.append((int(roi), a / frame_rate_hz, float(x[a:b].max())))
    return pd.DataFrame(rows, columns=["roi_id", "onset_s", "amplitude_dff"])


def roi_footprints(labels: np.ndarray, events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ROI events as footprint detections for :func:`score_pixel_events`: each event of
    events.csv (``roi_id``, ``onset_s``) covers its ROI's pixels. Returns (events with an
    ``event_id`` per row, footprints (event_id, y, x)), so that ROI events and pixel events
    (and a peer's detections) are scored by one ROI-free rule."""
    ys, xs = np.nonzero(labels)
    ids = labels[ys, xs]
    order = np.argsort(ids, kind="stable")
    ys, xs, ids = ys[order], xs[order], ids[order]
    bounds = np.searchsorted(ids, np.arange(1, int(labels.max()) + 2))
    det = pd.DataFrame({"event_id": np.arange(len(events)), "onset_s": events.onset_s.to_numpy()})
    parts = []
    for k, roi in enumerate(events.roi_id.to_numpy(int)):
        a, b = bounds[roi - 1], bounds[roi]
        parts.append(pd.DataFrame({"event_id": k, "y": ys[a:b], "x": xs[a:b]}))
    footprints = pd.concat(parts) if parts else pd.DataFrame(columns=["event_id", "y", "x"])
    return det, footprints


def roi_placement(
    labels: np.ndarray,
    mean_image: np.ndarray,
    sd_image: np.ndarray,
    step_sd_image: np.ndarray | None = None,
) -> dict:
    """Where ROIs lie on a recording without ground truth (a real one).

    Returns ``sd_ratio``: median temporal SD of the pixels in ROIs over that of the pixels
    in none (ROIs on active structures have the larger SD); ``sd_ratio_bound``: the same
    ratio had the ROIs been the field's highest-SD pixels, as many as they cover (no ROI
    set of that area reaches more); ``dark_share``: share of ROI pixels in the darkest
    quartile of the mean image (ROIs on dim background have a large share);
    ``field_share``: share of the field in ROIs.

    With ``step_sd_image`` (:func:`step_sd`: the SD of white noise alone), also
    ``sd_over_noise_in`` and ``sd_over_noise_out``: the median of SD / step SD in and
    outside ROIs, 1 where a pixel holds white noise only. Shot noise grows with
    brightness and is white, so on a bright structure it raises ``sd_ratio`` whether or
    not anything happens there; calcium events, slower than a frame, raise SD / step SD
    at any brightness.
    """
    inside = labels > 0
    keys = ["sd_ratio", "sd_ratio_bound", "dark_share"]
    if step_sd_image is not None:
        keys += ["sd_over_noise_in", "sd_over_noise_out"]
    if not inside.any() or inside.all():
        return {**dict.fromkeys(keys, np.nan), "field_share": float(inside.mean())}
    dark = mean_image <= np.percentile(mean_image, 25)
    top = np.zeros(sd_image.size, bool)
    top[np.argsort(sd_image, axis=None, kind="stable")[-int(inside.sum()) :]] = True
    top = top.reshape(sd_image.shape)
    out = {
        "sd_ratio": _median_ratio(sd_image, inside),
        "sd_ratio_bound": _median_ratio(sd_image, top),
        "dark_share": float(dark[inside].mean()),
        "field_share": float(inside.mean()),
    }
    if step_sd_image is not None:
        units = sd_image / np.maximum(step_sd_image, np.finfo(np.float64).tiny)
        out["sd_over_noise_in"] = float(np.median(units[inside]))
        out["sd_over_noise_out"] = float(np.median(units[~inside]))
    return out


def step_sd(frames: np.ndarray) -> np.ndarray:
    """(Y, X) SD of each pixel's frame-to-frame differences over sqrt(2): the SD of white
    noise alone, the ``step_sd_image`` of :func:`roi_placement`."""
    return np.diff(frames, axis=0).std(axis=0) / np.sqrt(2)


def _median_ratio(image: np.ndarray, inside: np.ndarray) -> float:
    return float(np.median(image[inside]) / np.median(image[~inside]))


def score_detection(
    truth,
    labels: np.ndarray,
    rois: pd.DataFrame,
    events: pd.DataFrame,
    pixel_events: pd.DataFrame,
    pixel_footprints: pd.DataFrame,
    *,
    tolerance_s: float = 1.5,
) -> dict:
    """Segmentation and both event levels of one recording against its truth (either
    generator's: ``labels``, ``soma_mask``, ``events``, ``shifts``; moved into the
    corrected movie's frame by :func:`in_corrected_frame`), every event level by the one
    ROI-free rule of :func:`score_pixel_events` (ROI events with their ROI as footprint).

    Returns microdomain_recall, roi_precision, roi_event_f1, roi_event_recall,
    roi_event_precision, pixel_event_f1, pixel_event_recall, pixel_event_precision.
    """
    truth_labels, soma_mask = in_corrected_frame(truth)
    seg = roi_scores(truth_labels, labels, rois)
    det, fp = roi_footprints(labels, events)
    roi = score_pixel_events(
        truth.events, truth_labels, soma_mask, det, fp, tolerance_s=tolerance_s
    )
    pixel = score_pixel_events(
        truth.events,
        truth_labels,
        soma_mask,
        pixel_events,
        pixel_footprints,
        tolerance_s=tolerance_s,
    )
    return {
        "microdomain_recall": seg["microdomain_recall"],
        "roi_precision": seg["roi_precision"],
        **{f"roi_event_{k}": roi[k] for k in ("f1", "recall", "precision")},
        **{f"pixel_event_{k}": pixel[k] for k in ("f1", "recall", "precision")},
    }
