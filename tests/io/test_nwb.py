"""astrocalc export-nwb, read back with pynwb: the same ROIs, traces and events."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import tifffile

from astrocalc import config, layout, synth
from astrocalc.io.nwb import export_nwb
from astrocalc.pipeline import run_all
from tests.conftest import short_fit

pynwb = pytest.importorskip("pynwb", reason="pynwb not installed (extra 'nwb')")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """A small recording's finished results folder (the export needs nothing more)."""
    base = tmp_path_factory.mktemp("nwb")
    synth.write(
        base / "movie.tif",
        shape=(64, 64),
        n_frames=600,
        n_domains=10,
        synchrony=0.3,
        event_rate_per_min=10.0,
        seed=5,
    )
    return run_all(base / "movie.tif", base / "out", config=short_fit(config.defaults()))


def export(results, *extra):
    return subprocess.run(
        [sys.executable, "-m", "astrocalc", "export-nwb", "--out", str(results), *extra],
        capture_output=True,
        text=True,
    )


@pytest.mark.slow
def test_export_reads_back_with_pynwb(results):
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
        events = events.sort_values("onset_s", kind="stable")  # NWB wants time order
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


@pytest.mark.slow
def test_export_is_accepted_by_dandi_checks(results, tmp_path):
    """Subject and session from the sample sheet (a numeric subject id among them) and the
    command line: the file passes nwbinspector, the DANDI archive's checker, without a
    CRITICAL or BEST_PRACTICE_VIOLATION, and its events are in time order."""
    nwbinspector = pytest.importorskip("nwbinspector")
    sheet = tmp_path / "samples.tsv"
    sheet.write_text(
        "sample\tpath\tframe_rate_hz\tpixel_size_um\tsubject_id\tspecies\tsex\tage\t"
        "experimenter\tlocation\n"
        "young\tdemo.tif\t10\t0.4\t12\tMus musculus\tF\tP14D\tDoe, Jane; Roe, Max\tCA1\n"
    )
    target = tmp_path / "young.nwb"
    r = export(results, "--nwb", str(target), "--samples", str(sheet), "--sample", "young",
               "--institution", "Somewhere University")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "DANDI" not in r.stderr  # nothing DANDI requires is missing
    messages = list(nwbinspector.inspect_nwbfile(nwbfile_path=str(target)))
    bad = [m for m in messages if m.importance.name in ("CRITICAL", "BEST_PRACTICE_VIOLATION")]
    assert not bad, [(m.importance.name, m.message) for m in bad]
    with pynwb.NWBHDF5IO(str(target), "r") as io:
        nwb = io.read()
        assert (nwb.subject.subject_id, nwb.subject.age, nwb.subject.sex) == ("12", "P14D", "F")
        assert list(nwb.experimenter) == ["Doe, Jane", "Roe, Max"]
        assert nwb.institution == "Somewhere University"
        starts = nwb.intervals["calcium_events"].start_time[:]
        assert len(starts) > 10 and (np.diff(starts) >= 0).all()
    # without a subject the file is written, and one warning line says what DANDI needs
    r = export(results, "--nwb", str(tmp_path / "bare.nwb"))
    assert r.returncode == 0
    assert (
        [ln for ln in r.stderr.splitlines() if "DANDI" in ln]
        == [ln for ln in r.stderr.splitlines() if "no subject_id, species, sex, age" in ln]
        != []
    )


@pytest.mark.slow
def test_a_recording_from_nwb_is_linked_in_the_export(results, tmp_path):
    """The fixture's movie as an NWB TwoPhotonSeries written by pynwb: `run_all` on it
    gives the TIFF's ROIs and events, and its export links the acquired series (an HDF5
    external link into the input file, not a copy; read back through pynwb as the same
    frames), names it as the segmentation's reference images, and passes nwbinspector."""
    h5py = pytest.importorskip("h5py")
    nwbinspector = pytest.importorskip("nwbinspector")
    from tests.io.test_formats import _write_nwb

    frames = tifffile.imread(results.parent / "movie.tif")
    movie = _write_nwb(frames, tmp_path / "movie.nwb")
    out = run_all(movie, tmp_path / "out", config=short_fit(config.defaults()))
    for table in ("segmentation/rois.csv", "events/events.csv"):
        pd.testing.assert_frame_equal(
            pd.read_csv(layout.path(out, table)), pd.read_csv(layout.path(results, table))
        )
    target = tmp_path / "linked.nwb"
    subject = ["--subject-id", "7", "--species", "Mus musculus", "--sex", "F", "--age", "P30D"]
    # without --location the input's ("cortex", not an Allen CCF term DANDI checks for)
    export_nwb(out, tmp_path / "default.nwb")
    with pynwb.NWBHDF5IO(str(tmp_path / "default.nwb"), "r") as io:
        assert io.read().imaging_planes["plane"].location == "cortex"
    r = export(out, "--nwb", str(target), *subject, "--location", "CA1")
    assert r.returncode == 0, r.stderr
    with h5py.File(target, "r") as f:
        link = f["acquisition"].get("TwoPhotonSeries", getlink=True)
        assert isinstance(link, h5py.ExternalLink), type(link)
        assert link.filename.endswith("movie.nwb")
    with pynwb.NWBHDF5IO(str(target), "r") as io:
        nwb = io.read()
        series = nwb.acquisition["TwoPhotonSeries"]
        np.testing.assert_array_equal(series.data[:], frames.transpose(0, 2, 1))
        segmentation = nwb.processing["ophys"]["ImageSegmentation"]["PlaneSegmentation"]
        (reference,) = segmentation.reference_images
        assert reference.name == "TwoPhotonSeries" and reference.data[5, 3, 4] == frames[5, 4, 3]
    messages = list(nwbinspector.inspect_nwbfile(nwbfile_path=str(target)))
    bad = [m for m in messages if m.importance.name in ("CRITICAL", "BEST_PRACTICE_VIOLATION")]
    assert not bad, [(m.importance.name, m.message) for m in bad]
