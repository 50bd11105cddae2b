import numpy as np
import pandas as pd
import pytest

from astrocalc import config
from astrocalc.fit import (
    MEASURES,
    PARAMETERS,
    ForwardModel,
    Recording,
    calibrate_indicator,
    event_statistics,
    fit_parameters,
    forward_statistics,
    observed_recording,
    observed_statistics,
)
from astrocalc.models import GCAMP6F

C = config.defaults()
KW = dict(model=C["model"], events=C["events"])
TRUE = {
    "local_rate_per_min": 2.0,
    "shared_rate_per_min": 0.5,
    "ip3_pulse_uM": 0.6,
    "coupling_per_s": 0.05,
}


def test_event_statistics_global_rule():
    """Four microdomains, global at half of them: the two events with a partner within
    2 s are global, the lone one is local; rates are per microdomain, silent ones too."""
    s = event_statistics(
        np.array([1, 2, 3]),
        np.array([10.0, 11.0, 30.0]),
        np.array([1.0, 2.0, 3.0]),
        np.array([0.5, 1.0, 2.0]),
        n_rois=4,
        recording_s=60.0,
        pairwise_r=np.array([0.1, np.nan, 0.3]),
        coactive_window_s=2.0,
        global_fraction=0.5,
    )
    assert dict(zip(MEASURES, s, strict=True)) == pytest.approx(
        {
            "local_rate_per_min": 0.25,
            "global_rate_per_min": 0.5,
            "mean_pairwise_r": 0.2,
            "median_duration_s": 2.0,
            "median_amplitude_dff": 1.0,
        }
    )


def test_observed_statistics_use_microdomains_only():
    rois = pd.DataFrame({"roi_id": [1, 2, 3, 4, 5], "compartment": ["microdomain"] * 4 + ["soma"]})
    per_roi = pd.DataFrame(
        {
            "roi_id": [1, 2, 3, 4, 5],
            "rate_per_min": [1.0, 2.0, 0.0, 0.0, 1.0],
            "noise_sd_dff": [0.1, 0.2, 0.1, 0.1, 0.3],
        }
    )
    events = pd.DataFrame(
        {
            "roi_id": [1, 2, 2, 5],
            "onset_s": [5.0, 5.5, 40.0, 40.2],
            "amplitude_dff": [1.0, 2.0, 3.0, 4.0],
            "duration_s": [1.0, 1.0, 2.0, 3.0],
        }
    )
    pairs = pd.DataFrame({"roi_a": [1, 1, 2], "roi_b": [2, 5, 5], "r": [0.2, 0.9, 0.9]})
    s = observed_statistics(
        per_roi, rois, events, pairs, duration_s=60.0, events_config=C["events"]
    )
    assert s["n_microdomains"] == 4 and s["n_events"] == 3
    # global: at least 2 of the 4 microdomains within 2 s (the two at 5 s); the soma's
    # event at 40.2 s does not make the microdomain event at 40 s global
    assert s["local_rate_per_min"] == pytest.approx(0.25)
    assert s["global_rate_per_min"] == pytest.approx(0.5)
    assert s["mean_pairwise_r"] == pytest.approx(0.2)
    assert s["median_amplitude_dff"] == pytest.approx(2.0)
    rec = observed_recording(per_roi, rois, duration_s=60.0, frame_rate_hz=5.0)
    assert rec == Recording(4, 60.0, 5.0, (0.1, 0.2, 0.1, 0.1))


def test_indicator_calibration_matches_the_amplitude():
    rec = Recording(n_domains=10, duration_s=120.0, frame_rate_hz=5.0, noise_sd_dff=(0.05,))
    amp = MEASURES.index("median_amplitude_dff")
    forward = calibrate_indicator(0.6, ForwardModel(rec, 3, seed=2, **KW), TRUE)
    assert np.nanmean(forward([TRUE])[0, :, amp]) == pytest.approx(0.6, rel=0.1)
    assert forward.indicator.dff_saturation != GCAMP6F.dff_saturation


@pytest.fixture(scope="module")
def recovered():
    """One model recording of known parameters (its own seed) is fitted from a start
    off by 1.6x in local rate, 0.6x in shared rate and 1.4x in pulse."""
    rec = Recording(n_domains=20, duration_s=300.0, frame_rate_hz=5.0, noise_sd_dff=(0.05,))
    observed = forward_statistics([TRUE], rec, n_astrocytes=1, seed=99, **KW)[0, 0, :4]
    start = dict(TRUE, local_rate_per_min=3.2, shared_rate_per_min=0.3, ip3_pulse_uM=0.84)
    return fit_parameters(observed, ForwardModel(rec, 6, seed=0, **KW), start)


def test_fit_recovers_the_identifiable_parameters(recovered):
    assert "coupling_per_s" not in recovered.fitted
    assert {"local_rate_per_min", "ip3_pulse_uM"} <= set(recovered.fitted)
    for name in recovered.fitted:
        lo, hi = recovered.ci95[name]
        assert lo <= TRUE[name] <= hi, (name, recovered.values[name], lo, hi)
        assert recovered.values[name] == pytest.approx(TRUE[name], rel=0.2), name
    assert recovered.values["coupling_per_s"] == TRUE["coupling_per_s"]  # kept, not fitted
    assert recovered.chi2 < 12  # chi-square with at most 4 degrees of freedom, p ~ 0.02
    assert recovered.history[-1][0] < recovered.history[0][0]
    report = recovered.report()
    assert set(report["statistics"]) == set(MEASURES[:4]) and report["fitted"]
    assert set(PARAMETERS) == set(recovered.values)
