"""Observed event statistics of a recording, the targets of the model fit."""

from __future__ import annotations

import numpy as np
import pandas as pd


def observed_statistics(
    per_roi: pd.DataFrame,
    rois: pd.DataFrame,
    events: pd.DataFrame,
    pairs: pd.DataFrame,
    *,
    seed: int = 0,
    n_boot: int = 2000,
) -> dict:
    """Summary statistics of microdomain activity.

    Parameters
    ----------
    per_roi : DataFrame
        events_per_roi.csv.
    rois : DataFrame
        rois.csv (for the compartment of each ROI).
    events : DataFrame
        events.csv.
    pairs : DataFrame
        pairs.csv.
    seed, n_boot : int
        Bootstrap over microdomains for the confidence interval of the mean rate.

    Returns
    -------
    dict with n_microdomains, rate_per_min (mean over microdomains) and its 95 % CI,
    share_global, median amplitude / duration of microdomain events, mean pairwise r.
    """
    md_ids = rois.loc[rois.compartment == "microdomain", "roi_id"]
    if len(md_ids) == 0:  # no microdomain: fall back to every ROI
        md_ids = rois.roi_id
    rates = per_roi.set_index("roi_id").loc[md_ids, "rate_per_min"].to_numpy(float)
    rng = np.random.default_rng(seed)
    boot = rng.choice(rates, size=(n_boot, len(rates))).mean(axis=1)
    md_events = events[events.roi_id.isin(md_ids)]
    return {
        "n_microdomains": int(len(md_ids)),
        "rate_per_min": float(rates.mean()),
        "rate_per_min_ci95": [float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))],
        "share_global": float((md_events.kind == "global").mean()) if len(md_events) else 0.0,
        "median_amplitude_dff": float(md_events.amplitude_dff.median()) if len(md_events) else None,
        "median_duration_s": float(md_events.duration_s.median()) if len(md_events) else None,
        "mean_pairwise_r": float(pairs.r.mean()) if len(pairs) else None,
        "n_events": int(len(md_events)),
    }
