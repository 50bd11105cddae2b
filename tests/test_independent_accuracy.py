"""Accuracy on recordings of the independent generator (astrocalc.evalsynth), which
astrocalc was not developed on, next to the same measures on astrocalc.synth's.

The seeds here are held out: development looked only at other seeds of the evaluation
generator (docs/accuracy.md). Every event level is scored by one ROI-free rule (a true
event is found by a detection whose footprint overlaps its microdomain and whose onset is
within 1.5 s).

Issue 15 asks for microdomain recall and ROI precision >= 0.9, ROI-event F1 >= 0.9 and
pixel-event F1 >= 0.85 on both a synchronous and an asynchronous recording; the bounds
below are what astrocalc reaches now, less a margin, so that a regression fails here.
Where they are under the goal (event F1), the goal is not met yet.
"""

from __future__ import annotations

import pandas as pd
import pytest
import tifffile

from astrocalc import config, evalsynth
from astrocalc.pipeline import run_events, run_motion, run_segmentation
from astrocalc.scoring import score_detection

# (synchrony, held-out seed): >= 70 % and <= 20 % of microdomain events in waves
RECORDINGS = {"synchronous": (0.85, 21), "asynchronous": (0.15, 22)}
# lower bounds. Microdomain recall and ROI precision: issue 15's goal, which these held-out
# recordings meet (1.00 and 1.00 in both). Event F1: what they give (ROI-event 0.93 and
# 0.88, pixel-event 0.85 and 0.83; docs/accuracy.md) less a margin, under the goal (0.9
# and 0.85) where it is not met yet
MIN = {
    "microdomain_recall": 0.9,
    "roi_precision": 0.9,
    "roi_event_f1": 0.85,
    "pixel_event_f1": 0.78,
}
MAX_SYNCHRONY_GAP = 0.05  # issue 15's criterion; measured 0.048


def _run(movie, out):
    conf = config.defaults()
    out.mkdir()
    run_motion(movie, out, config=conf)
    run_segmentation(out, config=conf)
    run_events(out, config=conf)
    ev = out / "events"
    return (
        tifffile.imread(out / "segmentation" / "rois.tif"),
        pd.read_csv(out / "segmentation" / "rois.csv"),
        pd.read_csv(ev / "events.csv"),
        pd.read_csv(ev / "pixel_events.csv"),
        pd.read_csv(ev / "pixel_footprints.csv"),
    )


@pytest.fixture(scope="module")
def scores(tmp_path_factory):
    base = tmp_path_factory.mktemp("evalsynth")
    out = {}
    for name, (synchrony, seed) in RECORDINGS.items():
        movie = base / f"{name}.tif"
        truth = evalsynth.write(movie, synchrony=synchrony, seed=seed)
        out[name] = (truth, score_detection(truth, *_run(movie, base / name)))
    return out


@pytest.mark.slow
def test_recordings_are_synchronous_and_asynchronous(scores):
    assert scores["synchronous"][0].wave_share >= 0.7
    assert scores["asynchronous"][0].wave_share <= 0.2


@pytest.mark.slow
@pytest.mark.parametrize("name", list(RECORDINGS))
def test_accuracy_on_the_independent_generator(scores, name):
    _, s = scores[name]
    assert s["microdomain_recall"] >= MIN["microdomain_recall"], s
    assert s["roi_precision"] >= MIN["roi_precision"], s
    assert s["roi_event_f1"] >= MIN["roi_event_f1"], s
    assert s["pixel_event_f1"] >= MIN["pixel_event_f1"], s


@pytest.mark.slow
def test_event_accuracy_does_not_depend_on_synchrony(scores):
    """The young-vs-old comparison is a synchronous-vs-asynchronous one: ROI-event F1 of
    the two recordings within MAX_SYNCHRONY_GAP (issue 15 asks for 0.05)."""
    gap = abs(scores["synchronous"][1]["roi_event_f1"] - scores["asynchronous"][1]["roi_event_f1"])
    assert gap <= MAX_SYNCHRONY_GAP, {k: v[1] for k, v in scores.items()}
