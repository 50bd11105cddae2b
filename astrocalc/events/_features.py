"""Per-event measurements on a smoothed dF/F trace."""

from __future__ import annotations

import numpy as np

from ._kernels import FEATURES, measure

PRE_S = 2.0  # the median of this long before the onset (s) is an event's own baseline
POST_S = 5.0  # the half-maximum and decay are looked for up to this long after the end (s)


def event_features(
    sm: np.ndarray,
    raw: np.ndarray,
    onset: int,
    peak: int,
    end: int,
    *,
    frame_rate_hz: float,
    pre_s: float = PRE_S,
) -> dict:
    """Amplitude, rise, decay, duration and area of one event.

    Parameters
    ----------
    sm : array (T,)
        Smoothed dF/F of the ROI.
    raw : array (T,)
        Unsmoothed dF/F (for the area).
    onset, peak, end : int
        Frames from detection (end inclusive).
    frame_rate_hz : float
        Frames per second.
    pre_s : float
        Window before onset (s) whose median is the event's own baseline.

    Returns
    -------
    dict with amplitude_dff (peak minus pre-event baseline), rise_s (10-90 %),
    decay_s (exponential time constant, log-linear fit from 80 % to 20 % on the way
    down; NaN when too short), duration_s (full width at half maximum), auc_dff_s, and
    rise_start_frame (fractional frame where the rise passes 10 % of the amplitude).
    """
    events = np.array([[0, onset, peak, end]], np.int64)
    row = measure(
        np.ascontiguousarray(sm, np.float64).reshape(-1, 1),
        np.ascontiguousarray(raw, np.float64).reshape(-1, 1),
        events,
        float(frame_rate_hz),
        int(pre_s * frame_rate_hz),
        int(POST_S * frame_rate_hz),
    )[0]
    return {name: float(v) for name, v in zip(FEATURES, row, strict=True)}
