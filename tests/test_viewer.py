"""napari-astrocalc (astrocalc.viewer): a results folder as layers, events lit at their
frames, the marks table and compare's use of it; the plugin in a real napari window (on a
virtual X display) where napari and Xvfb are installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import numpy as np
import pandas as pd
import pytest
import tifffile

from astrocalc import config, layout
from astrocalc.compare import recording_summary
from astrocalc.errors import InputError
from astrocalc.pipeline import run_correlation, run_events, run_motion, run_segmentation
from astrocalc.viewer import (
    Results,
    event_marks,
    read_marks,
    review_summary,
    set_mark,
    write_marks,
)


@pytest.fixture(scope="module")
def results(small_movie, tmp_path_factory):
    """The small recording through motion, segmentation, events (pixel events included)
    and correlation."""
    path, _ = small_movie
    out = tmp_path_factory.mktemp("viewer") / "rec"
    cfg = config.defaults()
    run_motion(path, out, config=cfg, frame_rate_hz=10.0, pixel_size_um=0.4)
    for stage in (run_segmentation, run_events, run_correlation):
        stage(out, config=cfg)
    return out


def test_layers_light_each_event_from_onset_to_end(results):
    with Results.read(results) as r:
        layers = {kw["name"]: (data, kind) for data, kw, kind in r.layers()}
        _check_layers(r, layers, results)


def _check_layers(r, layers, results):
    rois = tifffile.imread(layout.path(results, "segmentation/rois.tif"))
    table = pd.read_csv(layout.path(results, "segmentation/rois.csv"))
    assert layers["corrected movie"][0].shape == (300, *rois.shape)
    # the compartments' label layers together are the ROI labels, each ROI in its own
    by_compartment = [n for n in layers if n.startswith("ROIs: ")]
    assert sorted(by_compartment) == sorted(f"ROIs: {c}" for c in set(table.compartment))
    union = sum(np.asarray(layers[n][0]) for n in by_compartment)
    np.testing.assert_array_equal(union, rois)
    for n in by_compartment:
        ids = set(np.unique(layers[n][0])) - {0}
        assert ids == set(table.roi_id[table.compartment == n[6:]]), n
    # an ROI event's ROI carries its id at its peak; its pixels are free after its end
    events = pd.read_csv(layout.path(results, "events/events.csv"))
    assert len(events) > 5
    lit = layers["ROI events"][0]
    for e in events.itertuples():
        at_peak = lit[e.peak_frame]
        assert (at_peak[rois == e.roi_id] > 0).all()
        assert e.event_id in at_peak[rois == e.roi_id] or _overlapped(events, e)
        later = events[(events.roi_id == e.roi_id) & (events.end_frame > e.end_frame)]
        if e.end_frame + 1 < 300 and not (later.onset_frame <= e.end_frame + 1).any():
            assert not (lit[e.end_frame + 1] == e.event_id).any()
    # a pixel event's footprint pixels carry its id over their own onset-to-end frames
    fp = pd.read_csv(layout.path(results, "events/pixel_footprints.csv"))
    pixel = layers["pixel events"][0]
    for _, rows in list(fp.groupby("event_id"))[:10]:
        t = int(np.ceil(rows.onset_s.max() * 10.0))
        inside = rows[(rows.onset_s * 10.0 <= t) & (rows.end_s * 10.0 >= t)]
        frame = pixel[t]
        assert (frame[inside.y, inside.x] > 0).all()
    stack = pixel[5:9]
    np.testing.assert_array_equal(stack[2], pixel[7])
    # the map of r with one ROI: every ROI's pixels at its entry of the matrix
    ids = np.array(pd.read_csv(layout.path(results, "correlation/correlation.csv")).roi_id)
    matrix = np.load(layout.path(results, "correlation/correlation.npy"))
    r = r.correlation_map(int(ids[1]))
    for k, rid in enumerate(ids):
        np.testing.assert_allclose(r[rois == rid], matrix[1, k], rtol=1e-6)
    assert np.isnan(r[rois == 0]).all()


def _overlapped(events, e):
    """Whether another event of the same ROI is in progress at e's peak (then it shows)."""
    same = events[(events.roi_id == e.roi_id) & (events.event_id != e.event_id)]
    return ((same.onset_frame <= e.peak_frame) & (same.end_frame >= e.peak_frame)).any()


def test_marks_are_kept_and_used_by_compare(results, tmp_path):
    folder = tmp_path / "rec"
    shutil.copytree(results, folder)
    events = pd.read_csv(layout.path(folder, "events/events.csv"))
    before = review_summary(event_marks(folder, events))
    assert before["n_events_reviewed"] == 0 and np.isnan(before["reviewed_precision"])
    marks = read_marks(folder)
    for k, real in ((0, False), (1, True), (2, True), (0, True), (3, False)):
        marks = set_mark(marks, events.iloc[k], real)  # (event 0 marked twice: the last holds)
    write_marks(folder, marks)
    again = read_marks(folder)
    assert again.event_id.tolist() == events.event_id[:4].tolist()
    assert again["mark"].tolist() == [True, True, True, False]
    summary = review_summary(event_marks(folder, events))
    assert summary == {
        "n_events_reviewed": 4,
        "n_events_marked_false": 1,
        "reviewed_precision": 0.75,
    }
    # the compare step's row of this recording carries the same counts, and its event
    # statistics leave out the event marked false (ROI's rate scaled by the share kept)
    row = recording_summary(folder)
    assert {k: row[k] for k in summary} == summary
    false = events.iloc[3]
    per_roi = pd.read_csv(layout.path(folder, "events/events_per_roi.csv")).set_index("roi_id")
    rate = per_roi.rate_per_min.copy()
    n = per_roi.n_events[false.roi_id]
    rate[false.roi_id] *= (n - 1) / n
    assert row["n_events"] == len(events) - 1
    assert row["event_rate_per_min"] == pytest.approx(rate.mean(), rel=1e-12)
    kept = events.drop(index=3)
    assert row["share_global_events"] == pytest.approx((kept.kind == "global").mean())
    # a mark whose event no longer exists as marked (the events stage was rerun) is not
    # counted; a table that is not a marks table gives one line naming it
    shifted = events.assign(peak_frame=events.peak_frame + 1)
    assert review_summary(event_marks(folder, shifted))["n_events_reviewed"] == 0
    (folder / layout.EVENT_MARKS.path).write_text("event_id,mark\n1,maybe\n")
    with pytest.raises(InputError, match=r"event_marks\.csv: missing column\(s\) roi_id"):
        read_marks(folder)


# -- the plugin in napari


@pytest.fixture(scope="module")
def display():
    """An X display for napari's window: the session's, or a virtual one (Xvfb)."""
    pytest.importorskip("napari")
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    if shutil.which("Xvfb") is None:
        pytest.skip("no display and no Xvfb (Debian: apt-get install xvfb)")
    number = next(n for n in range(90, 200) if not os.path.exists(f"/tmp/.X{n}-lock"))
    xvfb = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not os.path.exists(f"/tmp/.X11-unix/X{number}") and time.monotonic() < deadline:
        time.sleep(0.05)
    os.environ["DISPLAY"] = f":{number}"
    try:
        yield os.environ["DISPLAY"]
    finally:
        del os.environ["DISPLAY"]
        xvfb.terminate()
        xvfb.wait()


# napari and the libraries under it (pydantic models, its Qt set-up) warn of their own APIs
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
def test_napari_opens_results_and_reviews_events(display, results, tmp_path):
    import napari

    from astrocalc.viewer._widget import CORRELATION_LAYER, EventReview

    folder = tmp_path / "rec"
    shutil.copytree(results, folder)
    viewer = napari.Viewer(show=False)
    try:
        viewer.open(str(folder), plugin="astrocalc")
        names = [layer.name for layer in viewer.layers]
        assert names[0] == "corrected movie" and "ROI events" in names
        assert "pixel events" in names and any(n.startswith("ROIs: ") for n in names)
        assert viewer.layers["corrected movie"].scale[1] == pytest.approx(0.4)
        widget = EventReview(viewer)
        viewer.window.add_dock_widget(widget, name="Event review")
        events = pd.read_csv(layout.path(folder, "events/events.csv"))
        first = events.sort_values(["onset_frame", "roi_id"]).iloc[0]
        widget.next()
        # the viewer is at the event's peak, its ROI lit in the event layer, its trace shown
        assert viewer.dims.current_step[0] == first.peak_frame
        shown = np.asarray(viewer.layers["ROI events"]._slice.image.view)
        rois = tifffile.imread(layout.path(folder, "segmentation/rois.tif"))
        assert (shown[rois == first.roi_id] > 0).all()
        assert f"ROI {first.roi_id}" in widget.label.text()
        ax = widget.figure.axes[0]
        with Results.read(folder) as r:
            np.testing.assert_allclose(ax.lines[0].get_ydata(), r.trace(first.roi_id))
            np.testing.assert_allclose(
                viewer.layers[CORRELATION_LAYER].data, r.correlation_map(int(first.roi_id))
            )
        # marked false: saved, and the widget moved on to the next event
        widget.mark(False)
        marks = read_marks(folder)
        assert marks.event_id.tolist() == [first.event_id] and not marks["mark"].iloc[0]
        assert widget.index == 1
        # a click on an ROI shows that ROI's trace
        other = int(rois[rois > 0].max())
        y, x = np.argwhere(rois == other).mean(axis=0).round().astype(int)
        while rois[y, x] != other:
            y, x = np.argwhere(rois == other)[0]
        layer = next(
            la for la in viewer.layers if la.name.startswith("ROIs: ") and (la.data == other).any()
        )
        click = type("Click", (), {"position": (y * 0.4, x * 0.4)})()
        widget._clicked(layer, click)
        assert widget.roi_id == other and f"ROI {other}" in widget.label.text()
        # the correlation matrix marks the selected ROI; a click on a column selects its ROI
        with Results.read(folder) as r:
            ids = r.correlation_ids
        row, column = widget._selected_lines
        k = int(np.flatnonzero(ids == other)[0])
        assert row.get_ydata()[0] == column.get_xdata()[0] == k
        matrix_ax = widget.matrix_figure.axes[0]
        press = type("Press", (), {"inaxes": matrix_ax, "xdata": 0.2, "ydata": k})()
        widget._matrix_clicked(press)
        assert widget.roi_id == ids[0] and column.get_xdata()[0] == 0
        shot = viewer.screenshot(canvas_only=False, flash=False)
        assert shot.shape[2] == 4 and shot[..., :3].std() > 10  # drawn, not blank
    finally:
        viewer.close()
