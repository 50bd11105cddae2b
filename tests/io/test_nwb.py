"""astrocalc export-nwb, read back with pynwb: the same ROIs, traces and events."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import tifffile

from astrocalc import layout

pynwb = pytest.importorskip("pynwb", reason="pynwb not installed (extra 'nwb')")


def export(results, *extra):
    return subprocess.run(
        [sys.executable, "-m", "astrocalc", "export-nwb", "--out", str(results), *extra],
        capture_output=True,
        text=True,
    )


@pytest.mark.slow
def test_export_reads_back_with_pynwb(demo_runs):
    results, _ = demo_runs["young"]
    r = export(results)
    assert r.returncode == 0, r.stderr
    rois = pd.read_csv(layout.path(results, "segmentation/rois.csv"))
    labels = tifffile.imread(layout.path(results, "segmentation/rois.tif"))
    traces = pd.read_csv(layout.path(results, "events/traces.csv"))
    events = pd.read_csv(layout.path(results, "events/events.csv"))
    assert len(rois) > 3 and len(events) > 10
    with pynwb.NWBHDF5IO(str(layout.path(results, "astrocalc.nwb")), "r") as io:
        nwb = io.read()
        table = nwb.processing["ophys"]["ImageSegmentation"]["PlaneSegmentation"]
        assert table["roi_id"][:].tolist() == rois.roi_id.tolist()
        assert table["compartment"][:].tolist() == rois.compartment.tolist()
        for k, roi in enumerate(rois.roi_id):
            mask = np.zeros(labels.shape, bool)
            for x, y, _ in table["pixel_mask"][k]:
                mask[int(y), int(x)] = True
            np.testing.assert_array_equal(mask, labels == roi)
        dff = nwb.processing["ophys"]["Fluorescence"]["dff"]
        assert dff.rate == pytest.approx(1 / traces.time_s.diff().median())
        expected = traces[[f"roi_{i}" for i in rois.roi_id]].to_numpy(np.float32)
        np.testing.assert_array_equal(dff.data[:], expected)
        intervals = nwb.intervals["calcium_events"].to_dataframe()
        assert len(intervals) == len(events)
        np.testing.assert_allclose(intervals.start_time, events.onset_s)
        assert intervals.roi_id.tolist() == events.roi_id.tolist()
        assert intervals.kind.tolist() == events.kind.tolist()
    # an existing file is not replaced silently
    again = export(results)
    assert again.returncode == 2 and "--overwrite" in again.stderr


def test_export_needs_finished_results(tmp_path):
    r = export(tmp_path)
    assert r.returncode == 2
    assert "run.json: not found" in r.stderr
    assert not list(tmp_path.iterdir())
