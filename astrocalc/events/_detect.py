"""Event detection on dF/F traces: smoothing, robust noise, hysteresis thresholds."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

SPLIT_RELATIVE_DIP = 0.25


def smooth(dff: np.ndarray, sigma_frames: float) -> np.ndarray:
    """Gaussian smoothing along time (axis 0)."""
    if sigma_frames <= 0:
        return dff.astype(np.float64)
    return ndimage.gaussian_filter1d(dff.astype(np.float64), sigma_frames, axis=0, mode="nearest")


def smoothing_gain(sigma_frames: float) -> float:
    """SD of unit white noise after :func:`smooth`."""
    impulse = np.zeros(int(8 * max(sigma_frames, 1)) * 2 + 1)
    impulse[len(impulse) // 2] = 1
    return float(np.sqrt((smooth(impulse[:, None], sigma_frames) ** 2).sum()))


def robust_noise(smoothed: np.ndarray, raw: np.ndarray, sigma_frames: float) -> np.ndarray:
    """Noise SD of each smoothed trace (T, N) -> (N,).

    The larger of two estimates: the spread of the lower half of the smoothed trace
    (median minus 15.87th percentile, one SD for Gaussian noise; events are positive and
    widen only the upper half; this holds for temporally correlated noise and whatever
    the baseline's level), and the white-noise SD from first differences of the raw trace
    scaled by the smoothing gain.
    """
    low, mid = np.percentile(smoothed, [15.87, 50], axis=0)
    return np.maximum(mid - low, white_noise(raw, sigma_frames)) + 1e-12


def white_noise(raw: np.ndarray, sigma_frames: float) -> np.ndarray:
    """White-noise SD of traces (T, ...) after Gaussian smoothing by ``sigma_frames``, from
    their frame-to-frame differences (MAD): events, being slow, barely enter it."""
    d = np.diff(raw, axis=0)
    mad = np.median(np.abs(d - np.median(d, axis=0)), axis=0)
    return 1.4826 * mad / np.sqrt(2) * smoothing_gain(sigma_frames)


def hysteresis_runs(
    trace: np.ndarray, *, high: float, low: float, min_frames: int, split_prominence: float
) -> list[tuple[int, int, int]]:
    """Events in one smoothed trace as (onset, peak, end) frames (end inclusive).

    A run is a stretch above ``low`` that reaches ``high`` and lasts ``min_frames``.
    A run holding several peaks, each rising at least ``split_prominence`` and
    ``SPLIT_RELATIVE_DIP`` of its height above the trough that separates them, is split at
    the troughs (events in quick succession).
    """
    from scipy.signal import find_peaks  # deferred: scipy.signal takes ~1 s to import

    above = trace > low
    if not above.any():
        return []
    edges = np.diff(np.concatenate([[0], above.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    out = []
    for s, e in zip(starts, stops, strict=True):
        seg = trace[s:e]
        if seg.max() <= high or e - s < min_frames:
            continue
        peaks, props = find_peaks(seg, prominence=split_prominence, height=high)
        # a noise dip on a prolonged plateau is not a new event: the trough must also drop
        # by a share of the peak's height
        peaks = peaks[props["prominences"] >= SPLIT_RELATIVE_DIP * seg[peaks]]
        if len(peaks) == 0:
            peaks = np.array([int(np.argmax(seg))])
        bounds = [0]
        for a, b in zip(peaks[:-1], peaks[1:], strict=True):
            bounds.append(a + int(np.argmin(seg[a : b + 1])))
        bounds.append(e - s)
        for k, p in enumerate(peaks):
            lo, hi = bounds[k] + (1 if k else 0), bounds[k + 1]
            if hi - lo >= min_frames or len(peaks) == 1:
                out.append((s + lo, s + int(p), s + hi - 1))
    return out


def detect(
    dff: np.ndarray,
    *,
    frame_rate_hz: float,
    smooth_s: float,
    high_sd: float,
    low_sd: float,
    min_duration_s: float,
) -> tuple[list[tuple[int, int, int, int]], np.ndarray, np.ndarray]:
    """Detect events in every ROI trace.

    Parameters
    ----------
    dff : array (T, N)
        dF/F traces.
    frame_rate_hz : float
        Frames per second.
    smooth_s : float
        Gaussian smoothing sigma (s).
    high_sd, low_sd : float
        Hysteresis thresholds in noise SD of the smoothed trace.
    min_duration_s : float
        Shortest event (s) above the low threshold.

    Returns
    -------
    events : list of (roi_index, onset, peak, end)
        Frames, 0-based, end inclusive; roi_index is the column in ``dff``.
    smoothed : array (T, N)
    noise : array (N,)
        SD of the smoothed traces.
    """
    sigma = smooth_s * frame_rate_hz
    sm = smooth(dff, sigma)
    noise = robust_noise(sm, dff, sigma)
    min_frames = max(1, int(round(min_duration_s * frame_rate_hz)))
    events = []
    for j in range(dff.shape[1]):
        for onset, peak, end in hysteresis_runs(
            sm[:, j],
            high=high_sd * noise[j],
            low=low_sd * noise[j],
            min_frames=min_frames,
            split_prominence=high_sd * noise[j],
        ):
            events.append((j, onset, peak, end))
    return events, sm, noise
