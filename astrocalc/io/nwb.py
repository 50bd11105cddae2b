"""A results folder as an NWB file (Neurodata Without Borders, via pynwb): ROIs, dF/F
traces and calcium events, for DANDI and the tools that read NWB.

Layout (NWB 2 ophys conventions):

- ``processing/ophys/ImageSegmentation/PlaneSegmentation``: one row per ROI of
  ``segmentation/rois.csv`` with its pixel mask (from ``rois.tif``), centroid, area and
  compartment (``roi_id`` keeps astrocalc's ids);
- ``processing/ophys/Fluorescence/dff``: ``RoiResponseSeries`` of ``events/traces.csv``
  (frames x ROIs, unit dF/F, the recording's frame rate), written in blocks of frames;
- ``intervals/calcium_events``: ``TimeIntervals``, one row per event of
  ``events/events.csv`` in order of onset (start at onset, stop at the end frame, every
  column kept);
- ``acquisition``: when the input was an NWB file (and is still where it was), its imaging
  series, as an HDF5 external link to that file (not copied), which the segmentation names
  as its reference images;
- ``general/subject`` and the session's metadata (:data:`METADATA`), from the sample
  sheet's columns or the command line; DANDI requires the subject's id, species, sex and
  age (or date of birth).

pynwb is an optional extra (``pip install 'astrocalc[nwb]'``).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import tifffile

from ..errors import InputError
from ..layout import EXPORT_NWB
from .formats import NwbMovie, kind, split_dataset
from .outputs import partial_path, remove_stale_partials

log = logging.getLogger(__name__)

TRACE_ROWS = 2000  # frames of traces.csv per block written

# the metadata an NWB file can carry beyond the results: name -> what it holds. The same
# names are sample-sheet columns and (with - for _) options of `astrocalc export-nwb`.
METADATA = {
    "subject_id": "the animal's identifier (DANDI: required)",
    "species": "Latin binomial, e.g. Mus musculus (DANDI: required)",
    "sex": "M, F, U (unknown) or O (other) (DANDI: required)",
    "age": "ISO 8601 duration, e.g. P21D for postnatal day 21 (DANDI: age or date_of_birth)",
    "date_of_birth": "ISO 8601 date",
    "genotype": "e.g. GFAP-Cre x Ai95 (GCaMP6f)",
    "strain": "e.g. C57BL/6J",
    "session_id": "identifier of the recording session",
    "session_description": "what was recorded (default: astrocalc's results of the input)",
    "experimenter": "who recorded, 'Last, First'; several separated by ;",
    "lab": "the lab",
    "institution": "the institution",
    "experiment_description": "the experiment",
    "location": "the imaged brain region; for mice a term of the Allen CCF, e.g. VISp or CA1",
}
SUBJECT_KEYS = ("subject_id", "species", "sex", "age", "date_of_birth", "genotype", "strain")
DANDI_REQUIRED = ("subject_id", "species", "sex")


def _pynwb():
    try:
        import pynwb
    except ImportError:
        raise InputError(
            "export-nwb needs pynwb; install it with: pip install 'astrocalc[nwb]'"
        ) from None
    return pynwb


def missing_for_dandi(metadata: dict) -> list[str]:
    """The metadata DANDI requires that ``metadata`` lacks."""
    missing = [k for k in DANDI_REQUIRED if not metadata.get(k)]
    if not (metadata.get("age") or metadata.get("date_of_birth")):
        missing.append("age (or date_of_birth)")
    return missing


def export_nwb(
    results: str | Path,
    target: str | Path,
    *,
    overwrite: bool = False,
    metadata: dict | None = None,
) -> Path:
    """Write the ROIs, dF/F traces and events of ``results`` to the NWB file ``target``,
    with the subject and session ``metadata`` (names of :data:`METADATA`)."""
    metadata = {k: str(v) for k, v in (metadata or {}).items() if v not in (None, "")}
    unknown = sorted(set(metadata) - set(METADATA))
    if unknown:
        raise InputError(f"NWB metadata: unknown name(s) {', '.join(unknown)}; expected "
                         f"{', '.join(METADATA)}")  # fmt: skip
    pynwb = _pynwb()
    results, target = Path(results), Path(target)
    if target.exists() and not overwrite:
        raise InputError(f"{target}: already exists (pass --overwrite to replace it)")
    run = json.loads(EXPORT_NWB.input(results, "run.json").read_text())
    rois = pd.read_csv(EXPORT_NWB.input(results, "segmentation/rois.csv"))
    labels = tifffile.imread(EXPORT_NWB.input(results, "segmentation/rois.tif"))
    events = pd.read_csv(EXPORT_NWB.input(results, "events/events.csv"))
    traces_csv = EXPORT_NWB.input(results, "events/traces.csv")

    session = {
        k: metadata[k]
        for k in ("session_id", "lab", "institution", "experiment_description")
        if k in metadata
    }
    if "experimenter" in metadata:
        session["experimenter"] = [e.strip() for e in str(metadata["experimenter"]).split(";")]
    subject = {k: str(metadata[k]) for k in SUBJECT_KEYS if k in metadata}
    if "date_of_birth" in subject:
        try:
            subject["date_of_birth"] = datetime.fromisoformat(subject["date_of_birth"])
        except ValueError:
            raise InputError(
                f"NWB metadata: date_of_birth {subject['date_of_birth']!r}; expected an ISO "
                "8601 date such as 2026-03-01"
            ) from None
        if subject["date_of_birth"].tzinfo is None:
            subject["date_of_birth"] = subject["date_of_birth"].replace(tzinfo=UTC)
    nwb = pynwb.NWBFile(
        session_description=metadata.get(
            "session_description",
            f"astrocalc {run['astrocalc_version']} results of {run['input']}",
        ),
        identifier=run["sha256"],
        session_start_time=datetime.fromisoformat(run["start"]).astimezone(UTC),
        source_script=f"astrocalc {run['astrocalc_version']} export-nwb",
        source_script_file_name="astrocalc",
        notes=json.dumps({"seed": run["seed"], "config": run["config"]}),
        keywords=["astrocytes", "calcium imaging", "astrocalc"],
        subject=pynwb.file.Subject(**subject) if subject else None,
        **session,
    )
    # one build manager for the source and the new file: pynwb then writes the source's
    # series as a link into that file (pynwb's documented way to link across files)
    manager = pynwb.get_manager()
    source_io, acquired = _source_series(pynwb, run["input"], manager)
    try:
        if acquired is not None:
            nwb.add_acquisition(acquired)
        ophys = nwb.create_processing_module(name="ophys", description="astrocalc ROIs and dF/F")
        table = _plane_segmentation(
            nwb,
            ophys,
            run,
            rois,
            labels,
            location=metadata.get("location", _source_location(acquired)),
            reference=acquired,
        )
        fs = float(run["frame_rate_hz"])
        if len(rois):
            _dff_series(ophys, table, traces_csv, rois, frame_rate_hz=fs)
        nwb.add_time_intervals(_event_intervals(events, frame_rate_hz=fs))

        remove_stale_partials(target)
        tmp = partial_path(target).with_suffix(".nwb")
        try:
            with pynwb.NWBHDF5IO(str(tmp), "w", manager=manager) as io:
                io.write(nwb, link_data=True)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    finally:
        if source_io is not None:
            source_io.close()
    return target


def _source_location(series) -> str:
    """The brain region of the acquired series' imaging plane, where the input said."""
    plane = getattr(series, "imaging_plane", None)  # OnePhotonSeries and TwoPhotonSeries
    return str(getattr(plane, "location", None) or "unknown")


def _source_series(pynwb, movie: str, manager):
    """(open reader, series) of the NWB imaging series a recording was read from (the one
    the motion stage read: ``file.nwb`` or ``file.nwb:NAME``), or (None, None) when the
    input was not NWB or the file is no longer there (then nothing is linked)."""
    if kind(movie) != "nwb":
        return None, None
    path, _ = split_dataset(movie)
    if not path.is_file():
        log.warning("NWB: the input %s is gone; the export holds no link to it", path)
        return None, None
    source = NwbMovie(movie)  # the same choice of series as the motion stage's
    name = source.name
    source.close()
    io = pynwb.NWBHDF5IO(str(path), "r", manager=manager)
    return io, io.read().acquisition[name]


def _plane_segmentation(
    nwb, ophys, run: dict, rois: pd.DataFrame, labels: np.ndarray, *, location: str, reference
):
    """The imaging plane and one row per ROI, with its pixel mask and rois.csv columns;
    ``reference``: the acquired series it was segmented from, or None."""
    from pynwb.ophys import ImageSegmentation, OpticalChannel

    px = float(run["pixel_size_um"])
    plane = nwb.create_imaging_plane(
        name="plane",
        optical_channel=OpticalChannel(
            name="calcium", description="calcium indicator channel", emission_lambda=np.nan
        ),
        description=f"motion-corrected movie {run['input']}",
        device=nwb.create_device(name="microscope", description="as in the input movie"),
        excitation_lambda=np.nan,
        # the indicator the fit was told the recording used (config fit.indicator)
        indicator=str(run["config"].get("fit", {}).get("indicator", "unknown (GCaMP-type)")),
        location=str(location),
        imaging_rate=float(run["frame_rate_hz"]),
        grid_spacing=[px, px],
        grid_spacing_unit="micrometers",
    )
    segmentation = ImageSegmentation()
    ophys.add(segmentation)
    table = segmentation.create_plane_segmentation(
        name="PlaneSegmentation",
        description="astrocalc microdomain, process and soma ROIs (segmentation/rois.csv)",
        imaging_plane=plane,
        reference_images=reference,
    )
    roi_columns = {
        "roi_id": ("astrocalc ROI id", np.int64),
        "compartment": ("microdomain, process or soma", str),
        "area_um2": ("area (um^2)", np.float64),
        "centroid_y_px": ("centroid row (pixels)", np.float64),
        "centroid_x_px": ("centroid column (pixels)", np.float64),
    }
    _add_columns(table, roi_columns, empty=not len(rois))
    # every ROI's pixels from one sort of the label image
    flat = labels.ravel()
    order = np.argsort(flat, kind="stable")
    bounds = np.searchsorted(flat[order], rois.roi_id.to_numpy())
    ends = np.searchsorted(flat[order], rois.roi_id.to_numpy(), side="right")
    for row, lo, hi in zip(rois.itertuples(), bounds, ends, strict=True):
        ys, xs = np.unravel_index(order[lo:hi], labels.shape)
        table.add_roi(
            pixel_mask=[(int(x), int(y), 1.0) for y, x in zip(ys, xs, strict=True)],
            roi_id=int(row.roi_id),
            compartment=str(row.compartment),
            area_um2=float(row.area_um2),
            centroid_y_px=float(row.y),
            centroid_x_px=float(row.x),
        )
    return table


def _dff_series(ophys, table, traces_csv: Path, rois: pd.DataFrame, *, frame_rate_hz: float):
    """traces.csv as a RoiResponseSeries, read and written TRACE_ROWS frames at a time."""
    from hdmf.data_utils import DataChunkIterator
    from pynwb.ophys import Fluorescence

    columns = [f"roi_{i}" for i in rois.roi_id]

    def rows():
        for chunk in pd.read_csv(traces_csv, usecols=columns, chunksize=TRACE_ROWS):
            yield from chunk[columns].to_numpy(np.float32)

    fluorescence = Fluorescence()
    ophys.add(fluorescence)
    fluorescence.create_roi_response_series(
        name="dff",
        description="dF/F of each ROI (events/traces.csv)",
        data=DataChunkIterator(
            data=rows(),
            maxshape=(None, len(rois)),
            dtype=np.dtype("float32"),
            buffer_size=TRACE_ROWS,
        ),
        rois=table.create_roi_table_region(description="every ROI", region=list(range(len(rois)))),
        unit="dF/F",
        rate=frame_rate_hz,
        starting_time=0.0,
    )


def _event_intervals(events: pd.DataFrame, *, frame_rate_hz: float):
    """events.csv as TimeIntervals: onset to the end of the end frame, every column kept."""
    from pynwb.epoch import TimeIntervals

    intervals = TimeIntervals(
        name="calcium_events", description="astrocalc calcium events (events/events.csv)"
    )
    events = events.sort_values("onset_s", kind="stable")  # NWB: intervals in time order
    columns = list(events.columns)
    _add_columns(
        intervals,
        {c: (f"events.csv column {c}", events[c].dtype) for c in columns},
        empty=not len(events),
    )
    for row in events.itertuples(index=False):
        values = row._asdict()
        intervals.add_interval(
            start_time=float(values["onset_s"]),
            stop_time=float((values["end_frame"] + 1) / frame_rate_hz),
            **{c: _plain(values[c]) for c in columns},
        )
    return intervals


def _add_columns(table, columns: dict, *, empty: bool) -> None:
    """Columns (name: (description, dtype)); an empty table needs typed empty data, since
    NWB cannot infer the type of a column without values."""
    for name, (text, dtype) in columns.items():
        if empty:
            dtype = np.dtype("U1") if np.dtype(dtype).kind in "OU" else dtype
            table.add_column(name=name, description=text, data=np.zeros(0, dtype))
        else:
            table.add_column(name=name, description=text)


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
