"""Accuracy on recordings of the independent generator (astrocalc.evalsynth), which
astrocalc was not developed on, next to the same measures on astrocalc.synth's.

The seeds here are held out: development looked only at other seeds of the evaluation
generator (docs/accuracy.md). Every event level is scored by one ROI-free rule (a true
event is found by a detection whose footprint overlaps its microdomain and whose onset is
within 1.5 s).

Issue 15 asks for microdomain recall and ROI precision >= 0.9, ROI-event F1 >= 0.9 and
pixel-event F1 >= 0.85 on both a synchronous and an asynchronous recording, and event F1
>= 0.9 on the 8-bit export too, and the two recordings' ROI-event F1 within 0.05; the
bounds below are those goals, which these recordings meet (docs/accuracy.md).
"""

from __future__ import annotations

import pandas as pd
import pytest
import tifffile

from astrocalc import config, evalsynth, layout
from astrocalc.pipeline import run_events, run_motion, run_segmentation
from astrocalc.scoring import score_detection

# held-out recordings: >= 70 % and <= 20 % of microdomain events in waves, and an 8-bit
# export with every frame stretched to 0-255 (as video exports are)
RECORDINGS = {
    "synchronous": {"synchrony": 0.85, "seed": 21},
    "asynchronous": {"synchrony": 0.15, "seed": 22},
    "8-bit export": {"synchrony": 0.3, "seed": 24, "export": "uint8"},
}
# lower bounds: issue 15's goals. Measured (docs/accuracy.md): microdomain recall 1.00,
# ROI precision 0.93-1.00; ROI-event F1 0.968, 0.933, 0.962 and pixel-event F1 0.894,
# 0.913, 0.942 (synchronous, asynchronous, 8-bit export)
MIN = {"microdomain_recall": 0.9, "roi_precision": 0.9}
MIN_EVENT_F1 = {name: (0.9, 0.85) for name in RECORDINGS}
# issue 15's goal. Measured 0.035 since steps are sought on frames aligned to a fraction
# of a pixel (0.088 before: asynchronous 0.878; docs/accuracy.md)
MAX_SYNCHRONY_GAP = 0.05


def _run(movie, out):
    conf = config.defaults()
    out.mkdir()
    run_motion(movie, out, config=conf)
    run_segmentation(out, config=conf)
    run_events(out, config=conf)
    ev = out / "events"
    return (
        tifffile.imread(layout.path(out, "segmentation/rois.tif")),
        pd.read_csv(layout.path(out, "segmentation/rois.csv")),
        pd.read_csv(ev / "events.csv"),
        pd.read_csv(ev / "pixel_events.csv"),
        pd.read_csv(ev / "pixel_footprints.csv"),
    )


@pytest.fixture(scope="module")
def scores(tmp_path_factory):
    base = tmp_path_factory.mktemp("evalsynth")
    out = {}
    for i, (name, settings) in enumerate(RECORDINGS.items()):
        movie = base / f"recording{i}.tif"
        truth = evalsynth.write(movie, **settings)
        out[name] = (truth, score_detection(truth, *_run(movie, base / f"recording{i}")))
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
    roi_event, pixel_event = MIN_EVENT_F1[name]
    assert s["roi_event_f1"] >= roi_event, s
    assert s["pixel_event_f1"] >= pixel_event, s


@pytest.mark.slow
def test_event_accuracy_does_not_depend_on_synchrony(scores):
    """The young-vs-old comparison is a synchronous-vs-asynchronous one: ROI-event F1 of
    the two recordings within MAX_SYNCHRONY_GAP."""
    gap = abs(scores["synchronous"][1]["roi_event_f1"] - scores["asynchronous"][1]["roi_event_f1"])
    assert gap <= MAX_SYNCHRONY_GAP, {k: v[1] for k, v in scores.items()}
