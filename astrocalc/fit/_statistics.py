"""Observed event statistics of a recording, the targets of the model fit."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..settings import EventSettings
from ._forward import MEASURES, Recording, event_statistics


def microdomain_ids(rois: pd.DataFrame) -> np.ndarray:
    """The microdomain ROIs' ids (every ROI's where none is called a microdomain)."""
    md = rois.loc[rois.compartment == "microdomain", "roi_id"].to_numpy()
    return md if len(md) else rois.roi_id.to_numpy()


def observed_statistics(
    per_roi: pd.DataFrame,
    rois: pd.DataFrame,
    events: pd.DataFrame,
    pairs: pd.DataFrame,
    *,
    duration_s: float,
    event_settings: EventSettings | dict | None = None,
    seed: int = 0,
    n_boot: int = 2000,
) -> dict:
    """Statistics of microdomain activity, measured as :func:`forward_statistics` measures
    them on model astrocytes (microdomain ROIs only: their events, their pairs).

    Parameters
    ----------
    per_roi, rois, events, pairs : DataFrame
        events_per_roi.csv, rois.csv, events.csv, pairs.csv.
    duration_s : float
        Recording length.
    event_settings : EventSettings or mapping, optional
        The ``events`` config section (co-activity window and global fraction).
    seed, n_boot : int
        Bootstrap over microdomains for the confidence interval of the mean rate.

    Returns
    -------
    dict with every name of :data:`MEASURES`, n_microdomains, the rate's 95 % CI and the
    number of microdomain events.
    """
    events_settings = EventSettings.of(event_settings)
    md = microdomain_ids(rois)
    ev = events[events.roi_id.isin(md)]
    both = pairs.roi_a.isin(md) & pairs.roi_b.isin(md)
    values = event_statistics(
        ev.roi_id.to_numpy(),
        ev.onset_s.to_numpy(),
        ev.duration_s.to_numpy(),
        ev.amplitude_dff.to_numpy(),
        n_rois=len(md),
        recording_s=duration_s,
        pairwise_r=pairs.r[both].to_numpy(),
        coactive_window_s=events_settings.coactive_window_s,
        global_fraction=events_settings.global_fraction,
    )
    rates = per_roi.set_index("roi_id").loc[md, "rate_per_min"].to_numpy(float)
    boot = np.random.default_rng(seed).choice(rates, size=(n_boot, len(rates))).mean(axis=1)
    return {
        "n_microdomains": int(len(md)),
        **{
            name: float(v) if np.isfinite(v) else None
            for name, v in zip(MEASURES, values, strict=True)
        },
        "rate_per_min_ci95": [float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))],
        "n_events": int(len(ev)),
    }


def shared_noise(
    dff: np.ndarray, roi_ids: np.ndarray, events: pd.DataFrame, *, frame_rate_hz: float
) -> float:
    """The share of the ROIs' frame-to-frame noise that is common to them: the mean
    correlation between the ROIs' dF/F changes from frame to frame (``dff`` (T, n),
    columns ``roi_ids``), over the frames where neither ROI is in an event (events.csv
    onset_s and duration_s, each widened by its own duration on both sides, so that rise
    and decay stay out) and no global event (``kind`` global: a wave also moves ROIs where
    it stays under the detection threshold) is under way.

    Frame-to-frame changes, because the forward model's noise is white: a common
    fluctuation as fast as the frames (a frame-wide rescaling, shot noise of a shared
    background) is what it adds, while slow shared changes are events or baseline. Pairs
    sharing under 30 such frames are left out; 0 where none is left. Clipped to 0..0.95."""
    t = np.arange(dff.shape[0]) / frame_rate_hz
    free = np.ones(dff.shape, bool)
    column = {int(r): k for k, r in enumerate(roi_ids)}
    for e in events.itertuples():
        during = (t >= e.onset_s - e.duration_s) & (t <= e.onset_s + 2 * e.duration_s)
        if getattr(e, "kind", "local") == "global":
            free[during] = False
        elif (k := column.get(int(e.roi_id))) is not None:
            free[during, k] = False
    step = np.diff(np.asarray(dff, float), axis=0)
    free = free[1:] & free[:-1]
    x = np.where(free, step, np.nan)
    with warnings.catch_warnings():  # an ROI without event-free frames: NaN, unused
        warnings.simplefilter("ignore", RuntimeWarning)
        mean, sd = np.nanmean(x, axis=0), np.nanstd(x, axis=0)
    ok = np.isfinite(sd) & (sd > 0)
    z = np.where(free & ok, (step - np.where(ok, mean, 0)) / np.where(ok, sd, 1), 0.0)
    m = (free & ok).astype(float)
    shared = m.T @ m
    r = (z.T @ z) / np.maximum(shared, 1)
    pair = np.triu(shared >= 30, 1)
    return float(np.clip(r[pair].mean(), 0.0, 0.95)) if pair.any() else 0.0


def observed_recording(
    per_roi: pd.DataFrame,
    rois: pd.DataFrame,
    *,
    duration_s: float,
    frame_rate_hz: float,
    noise_shared: float = 0.0,
) -> Recording:
    """The :class:`Recording` the forward model imitates: microdomain count, length, frame
    rate, each microdomain's noise SD (events_per_roi.csv ``noise_sd_dff``) and the
    share of the noise common to them (:func:`shared_noise`), and where they lie
    (rois.csv centroids in um: the pixel size is area_um2 over area_px)."""
    md = microdomain_ids(rois)
    noise = per_roi.set_index("roi_id").loc[md, "noise_sd_dff"].to_numpy(float)
    return Recording(
        n_domains=int(len(md)),
        duration_s=float(duration_s),
        frame_rate_hz=float(frame_rate_hz),
        noise_sd_dff=tuple(float(x) for x in noise[np.isfinite(noise)]) or (0.05,),
        noise_shared=float(noise_shared),
        positions_um=roi_positions_um(rois.set_index("roi_id").loc[md]),
    )


def roi_positions_um(rois: pd.DataFrame) -> tuple:
    """(x, y) of each ROI's centroid in um, from rois.csv columns (x, y, area_px,
    area_um2); empty where the table lacks them."""
    if not {"x", "y", "area_px", "area_um2"} <= set(rois.columns) or rois.empty:
        return ()
    um = np.sqrt(rois.area_um2.to_numpy(float) / rois.area_px.to_numpy(float))
    xy = np.column_stack([rois.x.to_numpy(float) * um, rois.y.to_numpy(float) * um])
    return tuple((round(float(x), 2), round(float(y), 2)) for x, y in xy)
