import numpy as np
import pandas as pd
import pytest

from astrocalc import config
from astrocalc.events import (
    EVENT_COLUMNS,
    classify,
    coactive_rois,
    delta_f_over_f,
    detect,
    detect_in_traces,
    event_features,
    find_events,
    find_events_side_by_side,
)
from astrocalc.events._detect import smooth as detect_smooth
from astrocalc.events._dff import default_floor
from astrocalc.events._events import MAX_BASELINE_PASSES, event_mask
from astrocalc.pixelmodel import running_baseline
from astrocalc.synth import _kernel_features, event_kernel

FS = 10.0
CONF = config.defaults()


def _trace(onsets_s, amp=1.0, rise=0.25, decay=1.2, n=1200, noise=0.05, seed=0):
    t = np.arange(n) / FS
    x = sum(amp * event_kernel(t - o, rise, decay) for o in onsets_s)
    return x + np.random.default_rng(seed).normal(0, noise, n)


def test_planted_events_are_found_with_their_onsets():
    onsets = [10.0, 30.0, 33.5, 70.0, 100.0]
    dff = _trace(onsets)[:, None]
    found, _, _ = detect(
        dff, frame_rate_hz=FS, smooth_s=0.3, high_sd=4, low_sd=1.5, min_duration_s=0.5
    )
    got = np.array([on for _, on, _, _ in found]) / FS
    assert len(got) == len(onsets)  # 30.0 and 33.5 are split at the trough between them
    np.testing.assert_allclose(got, onsets, atol=0.5)


def test_an_event_in_progress_at_the_first_frame_is_not_reported():
    """The recording starts 1 s into an event (no onset to measure): of the events of
    ``find_events`` only the later one (40 s) is reported; ``detect`` finds both."""
    t = np.arange(1200) / FS
    x = event_kernel(t + 1.0, 0.25, 3.0) + event_kernel(t - 40.0, 0.25, 3.0)
    f = 100 * (1 + x + np.random.default_rng(2).normal(0, 0.02, len(t)))
    result = find_events(f[:, None], np.array([1]), frame_rate_hz=FS)
    assert result.events.onset_s.to_numpy() == pytest.approx([40.0], abs=0.5)
    found, _, _ = detect(
        result.dff, frame_rate_hz=FS, smooth_s=0.3, high_sd=4, low_sd=1.5, min_duration_s=0.5
    )
    assert [on for _, on, _, _ in found][0] == 0


def test_noise_alone_gives_no_event():
    dff = np.random.default_rng(3).normal(0, 0.1, (6000, 3))
    found, _, _ = detect(
        dff, frame_rate_hz=FS, smooth_s=0.3, high_sd=4, low_sd=1.5, min_duration_s=0.5
    )
    assert len(found) == 0


def test_features_of_a_known_kernel():
    rise_tau, decay = 0.25, 1.5
    x = _trace([20.0], amp=2.0, rise=rise_tau, decay=decay, noise=0.0)
    t_rise, fwhm, _ = _kernel_features(rise_tau, decay)
    f = event_features(x, x, onset=199, peak=int(np.argmax(x)), end=320, frame_rate_hz=FS)
    assert f["amplitude_dff"] == pytest.approx(2.0, rel=0.02)
    assert f["rise_s"] == pytest.approx(t_rise, abs=1 / FS)
    assert f["duration_s"] == pytest.approx(fwhm, abs=1 / FS)
    assert f["decay_s"] == pytest.approx(decay, rel=0.1)
    assert f["auc_dff_s"] == pytest.approx(x[199:321].sum() / FS)


def test_local_and_global():
    roi = np.array([1, 2, 3, 4, 1, 2])
    onset = np.array([10.0, 10.5, 11.0, 11.2, 50.0, 80.0])
    n = coactive_rois(roi, onset, window_s=2.0)
    assert n.tolist() == [4, 4, 4, 4, 1, 1]
    assert classify(n, 4, global_fraction=0.5).tolist() == ["global"] * 4 + ["local"] * 2


def test_event_table_columns_and_per_roi_rates():
    c = config.defaults()["events"]
    traces = 100 * (1 + np.column_stack([_trace([10, 40, 80], seed=1), _trace([], seed=2)]))
    result = find_events(traces, np.array([5, 9]), frame_rate_hz=FS, settings=c)
    assert list(result.events.columns) == EVENT_COLUMNS  # the contract list: test_pipeline
    assert result.events.roi_id.tolist() == [5, 5, 5]
    per = result.per_roi.set_index("roi_id")
    assert per.loc[5, "n_events"] == 3 and per.loc[9, "n_events"] == 0
    assert per.loc[5, "rate_per_min"] == pytest.approx(3 / 2.0)


def _all_columns_every_pass(traces, c):
    """The baseline passes of ``detect_in_traces`` done plainly: every pass recomputes
    every trace's baseline and detection (the reference for the pass that redoes only the
    traces whose dF/F changed)."""
    exclude = None
    for _ in range(MAX_BASELINE_PASSES):
        dff, _ = delta_f_over_f(
            traces,
            window_frames=c["baseline_window_s"] * FS,
            percentile=c["baseline_percentile"],
            offset=c["offset"],
            exclude=exclude,
        )
        found, sm, noise = detect(
            dff,
            frame_rate_hz=FS,
            smooth_s=c["smooth_s"],
            high_sd=c["high_threshold_sd"],
            low_sd=c["low_threshold_sd"],
            min_duration_s=c["min_duration_s"],
        )
        mask = event_mask(found, dff.shape, frame_rate_hz=FS)
        if exclude is not None and (mask == exclude).all():
            break
        exclude = mask
    return dff, found, sm, noise


def _mixed_traces():
    """12 traces, every third with events lasting most of a minute (they take several
    baseline passes)."""
    rng = np.random.default_rng(4)
    traces = []
    for j in range(12):
        onsets = np.sort(rng.uniform(5, 110, rng.integers(0, 6)))
        decay = 1.2 if j % 3 else 25.0
        traces.append(100 * (1 + _trace(onsets, amp=rng.uniform(0.3, 2), decay=decay, seed=j)))
    return np.stack(traces, axis=1)


@pytest.mark.parametrize("floored", [False, True])
def test_passes_redo_only_changed_traces_with_the_same_results(floored):
    """dF/F, events, smoothed traces and noise of :func:`_mixed_traces` exactly as passes
    over all traces give them; also with one trace so dim that F0's floor (5 % of the
    brightest median F0) holds it up, the brightest one's baseline, and so the floor,
    moving between passes."""
    traces = _mixed_traces()
    if floored:
        traces[:, 1] *= 0.01
        # the brightest, raised by overlapping events over most of the recording: its
        # median F0 falls as they leave the baseline
        traces[:, 3] = 300 * (1 + _trace(np.arange(20, 90, 6.0), amp=0.6, decay=25.0, seed=3))
        f0 = running_baseline(
            traces,
            window_frames=CONF["events"]["baseline_window_s"] * FS,
            percentile=CONF["events"]["baseline_percentile"],
        )
        assert default_floor(f0) > f0[:, 1].max()
    got = detect_in_traces(traces, frame_rate_hz=FS, settings=CONF["events"])
    want = _all_columns_every_pass(traces, CONF["events"])
    assert len(want[1]) >= 10
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)


def test_default_floor_is_five_percent_of_the_brightest_median_where_it_matters():
    rng = np.random.default_rng(3)
    f0 = (1.0 + 0.1 * rng.random((50, 6))).astype(np.float32)
    assert default_floor(f0) is None  # no F0 under 5 % of the largest: nothing to hold up
    f0[:, 2] = 0.01
    f0[:10, 4] = 9.0  # the largest F0, not the largest median
    want = 0.05 * float(np.median(f0, axis=0).max())
    assert default_floor(f0) == want
    f0[3, 0] = np.nan
    assert np.isnan(default_floor(f0))


def test_recordings_detected_side_by_side_give_their_own_events():
    """Three recordings of four traces (:func:`_mixed_traces`) side by side through
    :func:`find_events_side_by_side` (how the fit treats its many model recordings): what
    :func:`find_events` gives each recording alone."""
    traces, ids = _mixed_traces(), np.array([3, 7, 8, 12])
    together = find_events_side_by_side(traces, ids, frame_rate_hz=FS)
    assert len(together) == 3
    for part, got in enumerate(together):
        want = find_events(traces[:, 4 * part : 4 * part + 4], ids, frame_rate_hz=FS)
        assert len(want.events) >= 4
        pd.testing.assert_frame_equal(got.events, want.events)
        for field in ("dff", "noise", "roi_ids"):
            np.testing.assert_array_equal(getattr(got, field), getattr(want, field))
        assert got.duration_s == want.duration_s


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_smoothing_is_scipys_gaussian_filter_bit_for_bit(order, dtype):
    """The compiled temporal smoothing gives ``gaussian_filter1d(axis=0, mode="nearest")``
    in float64 exactly, for traces longer and shorter than the kernel, in either order."""
    from scipy import ndimage

    rng = np.random.default_rng(11)
    for shape, sigma in [((400, 7), 5.0), ((6, 3), 5.0), ((50, 2), 0.7), ((1, 4), 2.0)]:
        x = np.asarray(rng.standard_normal(shape).astype(dtype), order=order)
        want = ndimage.gaussian_filter1d(x.astype(np.float64), sigma, axis=0, mode="nearest")
        np.testing.assert_array_equal(detect_smooth(x, sigma), want)
