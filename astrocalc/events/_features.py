"""Per-event measurements on a smoothed dF/F trace."""

from __future__ import annotations

import numpy as np


def _crossing(trace: np.ndarray, level: float, start: int, stop: int, step: int) -> float:
    """Fractional frame where ``trace`` first crosses ``level`` walking from start towards
    stop (exclusive) by ``step``; linear interpolation between frames."""
    i = start
    while i != stop:
        j = i + step
        if j == stop or not (0 <= j < len(trace)):
            return float(i)
        a, b = trace[i], trace[j]
        if (a - level) * (b - level) <= 0 and a != b:
            return i + step * (level - a) / (b - a)
        i = j
    return float(i)


def event_features(
    sm: np.ndarray,
    raw: np.ndarray,
    onset: int,
    peak: int,
    end: int,
    *,
    frame_rate_hz: float,
    pre_s: float = 2.0,
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
    fs = frame_rate_hz
    pre = sm[max(0, onset - int(pre_s * fs)) : onset]
    base = float(np.median(pre)) if len(pre) else 0.0
    amp = float(sm[peak] - base)
    if amp <= 0:
        return {
            "amplitude_dff": amp,
            "rise_s": np.nan,
            "decay_s": np.nan,
            "duration_s": (end - onset + 1) / fs,
            "auc_dff_s": float(raw[onset : end + 1].sum() / fs),
            "rise_start_frame": float(onset),
        }
    rel = sm - base
    left = max(0, onset - int(pre_s * fs))
    t10 = _crossing(rel, 0.1 * amp, peak, left - 1, -1)
    t90 = _crossing(rel, 0.9 * amp, peak, left - 1, -1)
    right = min(len(sm), end + 1 + int(5 * fs))
    h_left = _crossing(rel, 0.5 * amp, peak, left - 1, -1)
    h_right = _crossing(rel, 0.5 * amp, peak, right, 1)
    decay = np.nan
    seg_end = right
    down = rel[peak:seg_end]
    below = np.flatnonzero(down < 0.2 * amp)
    stop = below[0] if len(below) else len(down)
    use = np.flatnonzero((down[:stop] <= 0.8 * amp) & (down[:stop] >= 0.2 * amp))
    if len(use) >= 3:
        slope = np.polyfit(use / fs, np.log(down[use]), 1)[0]
        decay = float(-1.0 / slope) if slope < 0 else np.nan
    return {
        "amplitude_dff": amp,
        "rise_s": float(max(t90 - t10, 0.0) / fs),
        "decay_s": decay,
        "duration_s": float((h_right - h_left) / fs),
        "auc_dff_s": float(raw[onset : end + 1].sum() / fs),
        "rise_start_frame": float(t10),
    }
