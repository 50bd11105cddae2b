"""Compiled (numba) loops of event detection and measurement: the hysteresis runs of
:func:`astrocalc.events.hysteresis_runs` and the measurements of
:func:`astrocalc.events.event_features`, over all traces and events at once. In Python
they cost a function call per run and per event, which dominated the events stage and,
on thousands of simulated traces per candidate, the fit."""

from __future__ import annotations

import numpy as np

from ..models._li_rinzel_numba import jit

# columns of :func:`measure`'s result
FEATURES = ("amplitude_dff", "rise_s", "decay_s", "duration_s", "auc_dff_s", "rise_start_frame")


@jit(nogil=True)
def _local_maxima(x):  # pragma: no cover - compiled
    """Indices of the local maxima of ``x`` (not its ends); a flat top counts once, at its
    middle (rounded down) - the definition of scipy.signal.find_peaks."""
    out = np.empty(max(x.shape[0] // 2, 1), np.int64)
    k, i, last = 0, 1, x.shape[0] - 1
    while i < last:
        if x[i - 1] < x[i]:
            ahead = i + 1
            while ahead < last and x[ahead] == x[i]:
                ahead += 1
            if x[ahead] < x[i]:
                out[k] = (i + ahead - 1) // 2
                k += 1
                i = ahead
        i += 1
    return out[:k]


@jit(nogil=True)
def _prominence(x, peak):  # pragma: no cover - compiled
    """Height of ``x[peak]`` above the higher of the lowest points on either side before
    ``x`` rises above the peak (or ends): scipy.signal.peak_prominences without a window."""
    top = x[peak]
    left = top
    i = peak
    while i >= 0 and x[i] <= top:
        left = min(left, x[i])
        i -= 1
    right = top
    i = peak
    while i < x.shape[0] and x[i] <= top:
        right = min(right, x[i])
        i += 1
    return top - max(left, right)


@jit(nogil=True)
def _runs(trace, column, high, low, min_frames, split, rel_dip, out, k):  # pragma: no cover
    """Append the events of one trace to ``out`` (rows: ``column``, onset, peak, end) from
    row ``k``; returns the new row count and ``out`` (grown as needed)."""
    n = trace.shape[0]
    s = 0
    while s < n:
        if trace[s] <= low:
            s += 1
            continue
        e = s
        while e < n and trace[e] > low:
            e += 1
        seg = trace[s:e]
        if seg.max() > high and e - s >= min_frames:
            candidates = _local_maxima(seg)
            peaks = np.empty(candidates.shape[0] + 1, np.int64)
            m = 0
            for p in candidates:
                if seg[p] >= high:
                    prom = _prominence(seg, p)
                    if prom >= split and prom >= rel_dip * seg[p]:
                        peaks[m] = p
                        m += 1
            if m == 0:
                peaks[0] = np.argmax(seg)
                m = 1
            lo = 0
            for j in range(m):
                if j + 1 < m:
                    a, b = peaks[j], peaks[j + 1]
                    hi = a + np.argmin(seg[a : b + 1])
                else:
                    hi = e - s
                first = lo + (1 if j else 0)
                if hi - first >= min_frames or m == 1:
                    if k == out.shape[0]:
                        grown = np.empty((2 * out.shape[0], 4), np.int64)
                        grown[:k] = out
                        out = grown
                    out[k, 0] = column
                    out[k, 1] = s + first
                    out[k, 2] = s + peaks[j]
                    out[k, 3] = s + hi - 1
                    k += 1
                lo = hi
        s = e
    return k, out


@jit(nogil=True)
def runs(sm, high, low, min_frames, split, rel_dip):  # pragma: no cover - compiled
    """Events (K, 4) int64 of every column of ``sm`` (T, N): column, onset, peak, end
    (frames, end inclusive), by column then time; thresholds per column."""
    out = np.empty((1024, 4), np.int64)
    k = 0
    for j in range(sm.shape[1]):
        trace = np.ascontiguousarray(sm[:, j])
        k, out = _runs(trace, j, high[j], low[j], min_frames, split[j], rel_dip, out, k)
    return out[:k].copy()


@jit(nogil=True)
def _crossing(x, level, start, stop, step):  # pragma: no cover - compiled
    """Fractional index where ``x`` first crosses ``level`` walking from ``start`` towards
    ``stop`` (exclusive) by ``step``; linear interpolation between samples."""
    i = start
    while i != stop:
        j = i + step
        if j == stop or j < 0 or j >= x.shape[0]:
            return float(i)
        a, b = x[i], x[j]
        if (a - level) * (b - level) <= 0 and a != b:
            return i + step * (level - a) / (b - a)
        i = j
    return float(i)


@jit(nogil=True)
def measure(sm, raw, events, frame_rate_hz, pre_frames, post_frames):  # pragma: no cover
    """:data:`FEATURES` (K, 6) of events (K, 4: column, onset, peak, end) on the smoothed
    ``sm`` and raw ``raw`` dF/F (T, N); see :func:`astrocalc.events.event_features`."""
    fs = frame_rate_hz
    n_t = sm.shape[0]
    out = np.empty((events.shape[0], 6))
    for r in range(events.shape[0]):
        j, onset, peak, end = events[r, 0], events[r, 1], events[r, 2], events[r, 3]
        x = np.ascontiguousarray(sm[:, j])
        left = max(0, onset - pre_frames)
        base = np.median(x[left:onset]) if onset > left else 0.0
        amp = x[peak] - base
        auc = 0.0
        for t in range(onset, end + 1):
            auc += raw[t, j]
        out[r, 0] = amp
        out[r, 4] = auc / fs
        if amp <= 0:
            out[r, 1] = np.nan
            out[r, 2] = np.nan
            out[r, 3] = (end - onset + 1) / fs
            out[r, 5] = onset
            continue
        rel = x - base
        t10 = _crossing(rel, 0.1 * amp, peak, left - 1, -1)
        t90 = _crossing(rel, 0.9 * amp, peak, left - 1, -1)
        right = min(n_t, end + 1 + post_frames)
        h_left = _crossing(rel, 0.5 * amp, peak, left - 1, -1)
        h_right = _crossing(rel, 0.5 * amp, peak, right, 1)
        # decay: log-linear least squares over the fall from 80 % to 20 % of the amplitude
        n_use, sx, sy, sxx, sxy = 0, 0.0, 0.0, 0.0, 0.0
        for t in range(peak, right):
            v = rel[t]
            if v < 0.2 * amp:
                break
            if v <= 0.8 * amp:
                u = (t - peak) / fs
                ly = np.log(v)
                n_use += 1
                sx += u
                sy += ly
                sxx += u * u
                sxy += u * ly
        decay = np.nan
        if n_use >= 3:
            slope = (n_use * sxy - sx * sy) / (n_use * sxx - sx * sx)
            if slope < 0:
                decay = -1.0 / slope
        out[r, 1] = max(t90 - t10, 0.0) / fs
        out[r, 2] = decay
        out[r, 3] = (h_right - h_left) / fs
        out[r, 5] = t10
    return out


@jit(nogil=True)
def distinct_in_windows(codes, lo, hi):  # pragma: no cover - compiled
    """For each window ``lo[k]:hi[k]`` of ``codes`` (non-negative ints), how many distinct
    codes it holds."""
    seen = np.full(codes.max() + 1 if codes.shape[0] else 1, -1, np.int64)
    out = np.empty(lo.shape[0], np.int64)
    for k in range(lo.shape[0]):
        n = 0
        for p in range(lo[k], hi[k]):
            if seen[codes[p]] != k:
                seen[codes[p]] = k
                n += 1
        out[k] = n
    return out


@jit(nogil=True)
def cover(n_frames, n_columns, column, start, stop):  # pragma: no cover - compiled
    """Bool (n_frames, n_columns): True on frames ``start[k]:stop[k]`` of column
    ``column[k]`` for every k (a cumulative sum of +1/-1 edges over the whole array took
    far longer than setting the few frames covered)."""
    out = np.zeros((n_frames, n_columns), np.bool_)
    for k in range(column.shape[0]):
        for t in range(max(start[k], 0), min(stop[k], n_frames)):
            out[t, column[k]] = True
    return out


@jit(nogil=True)
def smooth_frames(x, w, out):  # pragma: no cover - compiled
    """``scipy.ndimage.gaussian_filter1d(x, axis=0, mode="nearest")`` of ``x`` (T, N),
    C-ordered, in float64 into ``out``, with the half kernel ``w`` (centre, then one
    side): scipy's sums in scipy's order (the centre, then the pairs of taps from the
    outermost in), so the values are scipy's bit for bit; all columns of a frame at once."""
    t, n = x.shape
    r = w.shape[0] - 1
    for i in range(t):
        o = out[i]
        mid = x[i]
        for c in range(n):
            o[c] = np.float64(mid[c]) * w[0]
        for j in range(r, 0, -1):
            a = w[j]
            lo, hi = x[max(i - j, 0)], x[min(i + j, t - 1)]
            for c in range(n):
                o[c] += (np.float64(lo[c]) + np.float64(hi[c])) * a
