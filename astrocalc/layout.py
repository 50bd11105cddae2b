"""The results layout: every stage, its command, the config sections it uses, the files it
reads and the files it writes.

This is the one home of those names. The stages resolve the files they read through it
(:meth:`Stage.input`) and check what they wrote against it (:meth:`Stage.check_written`);
the Snakemake rules take their inputs, outputs and config from it; the NWB exporter, the
comparison, tests and benchmarks name files through :func:`path`; and the file tree of
``docs/CONTRACT.md`` is generated from it (:mod:`astrocalc.docs`).

Paths are relative to one recording's results folder (``results/{sample}`` in the
workflow, ``--out`` on the command line), except those the comparison writes, which are
relative to its own folder (``results/compare``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import InputError


@dataclass(frozen=True)
class File:
    """One file a stage writes."""

    path: str  # relative to the results folder (the compare folder for compare's files)
    about: str  # what it holds: the contract's description
    # "section.key": written only when that setting is true; "section.key=value": only
    # when it has that value; "" always
    when: str = ""
    figure: str = ""  # category of Snakemake's report the figure is shown under
    directory: bool = False  # a folder of files (a Zarr store), declared as one

    def written(self, config: dict | None) -> bool:
        if not self.when:
            return True
        if config is None:
            return False
        setting, _, value = self.when.partition("=")
        section, key = setting.split(".")
        return str(config[section][key]) == value if value else bool(config[section][key])


@dataclass(frozen=True)
class Stage:
    """One step of the pipeline: ``astrocalc {command}`` reads ``reads`` and writes
    ``writes`` into ``folder`` (``""``: the results folder itself)."""

    name: str
    command: str
    about: str
    sections: tuple[str, ...]  # the config sections it uses: a change reruns it
    reads: tuple[str, ...]  # files of earlier stages, relative to the results folder
    writes: tuple[File, ...]
    folder: str = ""

    def files(self, config: dict | None = None) -> tuple[File, ...]:
        """The files written under ``config`` (without one: those always written)."""
        return tuple(f for f in self.writes if f.written(config))

    def input(self, out: str | Path, rel: str, *, required: bool = True) -> Path | None:
        """``out/rel``, a file this stage reads, which must exist (else None, where it
        is not ``required``)."""
        if rel not in self.reads:
            raise KeyError(
                f"{rel}: not declared as read by the {self.name} stage (astrocalc/layout.py)"
            )
        f = Path(out) / rel
        if not f.exists() and not required:
            return None
        if not f.exists():
            raise InputError(
                f"{f}: not found; expected the output of `astrocalc {producer(rel).command}` "
                "in this results folder"
            )
        return f

    def corrected_movie(self, out: str | Path) -> Path:
        """The motion stage's corrected movie in ``out``, in the format it was written in
        (``motion.corrected_format``: the stages after motion do not read that section)."""
        for rel in CORRECTED.values():
            f = self.input(out, rel, required=False)
            if f is not None:
                return f
        return self.input(out, CORRECTED["tiff"])  # not found: says so

    def check_written(self, folder: Path, config: dict | None) -> None:
        """Fail where the files in ``folder`` (the stage's output, before it is moved into
        place) are not exactly those declared: the layout and the code must not drift."""
        base = Path(self.folder)
        declared = {str(Path(f.path).relative_to(base)) for f in self.files(config)}
        stores = [Path(f.path).relative_to(base) for f in self.files(config) if f.directory]

        def declared_as(rel: Path) -> str:  # a file of a store counts as the store
            return str(next((d for d in stores if d in rel.parents), rel))

        found = {declared_as(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
        if found != declared:
            raise RuntimeError(
                f"{self.name} stage wrote files not declared in astrocalc/layout.py "
                f"({sorted(found - declared)}) or left out declared ones "
                f"({sorted(declared - found)})"
            )


# the corrected movie by its format (motion.corrected_format): one of them is written
CORRECTED = {"tiff": "motion/corrected.tif", "ome-zarr": "motion/corrected.ome.zarr"}

MOTION = Stage(
    "motion",
    "motion",
    "rigid or piecewise-rigid motion correction",
    ("backend", "chunk_frames", "memory_mb", "motion"),
    (),  # the movie, named on the command line (the sample sheet's path in the workflow)
    (
        File(
            "motion/corrected.tif",
            "motion-corrected movie, (T, Y, X), same shape as the input (BigTIFF when over "
            "4 GB), float32, calibrated",
            when="motion.corrected_format=tiff",
        ),
        File(
            "motion/corrected.ome.zarr",
            "the same movie as OME-Zarr (OME-NGFF 0.5 on Zarr v3, one resolution level "
            "'0', axes t, y, x scaled in seconds and micrometers; chunks of whole frames, "
            "Blosc-compressed), instead of corrected.tif",
            when="motion.corrected_format=ome-zarr",
            directory=True,
        ),
        File(
            "motion/shifts.csv",
            "frame, dy, dx, corr (rigid shift per frame in pixels, see Shift convention), "
            "corr_before, flagged, interpolated; gain, offset where frames are normalised "
            "(frame ~ gain x corrected + offset, removed from corrected.tif); step with "
            "motion.remove_steps (a sudden change of laser power or gain at this frame)",
        ),
        File(
            "motion/shifts_piecewise.npy",
            "(T, n_blocks_y, n_blocks_x, 2) total (rigid + block) displacement of each block",
            when="motion.piecewise",
        ),
        File(
            "motion/blocks.csv",
            "block, y0, y1, x0, x1: each block's pixel range",
            when="motion.piecewise",
        ),
        File("motion/reference.tif", "the template the movie was registered to, (Y, X) float32"),
        File(
            "motion/qc.png",
            "shifts over time, mean image before and after, residual metric",
            figure="Motion",
        ),
        File(
            "motion/stage.json",
            "provenance (see stage.json below); recording: input path, sha256, shape, "
            "dtype, frame_rate_hz, pixel_size_um; qc: shift and correlation summaries, "
            "intensity_normalized, step_frames",
        ),
    ),
    folder="motion",
)

SEGMENTATION = Stage(
    "segmentation",
    "segment",
    "ROIs (microdomains, processes, soma) from the corrected movie",
    ("backend", "chunk_frames", "memory_mb", "segmentation", "events"),
    (*CORRECTED.values(), "motion/shifts.csv", "motion/stage.json"),
    (
        File(
            "segmentation/rois.tif",
            "label image (Y, X), uint16 or uint32, 0 = background, 1..N = ROI ids",
        ),
        File(
            "segmentation/rois.csv",
            "roi_id, y, x, area_px, area_um2, compartment (soma | process | microdomain | unknown)",
        ),
        File(
            "segmentation/summary.tif",
            "(3, Y, X) float32: mean, max-minus-mean, local correlation",
        ),
        File(
            "segmentation/compartments.tif",
            "(Y, X) uint8 structural masks: 0 background, 1 soma, 2 process",
        ),
        File("segmentation/activity.tif", "(Y, X) float32 share of frames each pixel was active"),
        File(
            "segmentation/global.csv",
            "frame, time_s, gain, offset: each frame's frame-wide change against the "
            "resting image (dF ~ (gain - 1) x rest + offset; 1 and 0 where there is none), "
            "taken out of the ROI traces",
        ),
        File("segmentation/rois.zip", "ImageJ/Fiji ROI set (one polygon per ROI)"),
        File(
            "segmentation/rois.png",
            "ROI outlines by compartment over the summary image, with scale bar",
            figure="Segmentation",
        ),
        File(
            "segmentation/stage.json",
            "provenance; n_rois, compartments, uncovered_px, frame_wide_gain_range",
        ),
    ),
    folder="segmentation",
)

EVENTS = Stage(
    "events",
    "events",
    "dF/F traces of the ROIs, their events, and pixel-level events",
    ("backend", "chunk_frames", "memory_mb", "segmentation", "events", "pixel_events"),
    (
        *CORRECTED.values(),
        "motion/shifts.csv",
        "motion/stage.json",
        "segmentation/rois.tif",
        "segmentation/compartments.tif",
        "segmentation/summary.tif",
    ),
    (
        File("events/traces.csv", "frame, time_s, then one dF/F column per ROI named roi_<id>"),
        File(
            "events/events.csv",
            "event_id, roi_id, onset_frame, peak_frame, end_frame, onset_s, amplitude_dff, "
            "duration_s, rise_s, decay_s, auc_dff_s, n_rois, kind (local | global)",
        ),
        File(
            "events/events_per_roi.csv",
            "roi_id, n_events, rate_per_min, mean_amplitude_dff, ..., noise_sd_dff (SD of "
            "the ROI's smoothed dF/F)",
        ),
        File(
            "events/pixel_events.csv",
            "pixel-level spatiotemporal events, one row per event (columns below)",
            when="pixel_events.enabled",
        ),
        File(
            "events/pixel_footprints.csv",
            "the footprint and onset map of every pixel event, one row per (event, pixel) "
            "(columns below)",
            when="pixel_events.enabled",
        ),
        File(
            "events/pixel_events.png",
            "pixel events: footprints over the mean image, onsets over time",
            when="pixel_events.enabled",
        ),
        File("events/stage.json", "provenance; n_events, n_global, n_pixel_events"),
    ),
    folder="events",
)

CORRELATION = Stage(
    "correlation",
    "correlate",
    "pairwise correlation of the ROI traces, its null, clusters and figures",
    ("backend", "correlation"),
    (
        "events/traces.csv",
        "events/events.csv",
        "segmentation/rois.tif",
        "segmentation/rois.csv",
        "segmentation/summary.tif",
        "motion/stage.json",
    ),
    (
        File(
            "correlation/correlation.csv",
            'square matrix of Pearson r between ROI dF/F traces; header "roi_id" then '
            "the ids, first column the ids",
        ),
        File(
            "correlation/correlation_null.csv",
            "same shape: p of each r against a circular-shift (or autocorrelation-"
            "preserving surrogate) null",
        ),
        File(
            "correlation/pairs.csv",
            "roi_a, roi_b, r, p, distance_um, co_event_fraction, q (Benjamini-Hochberg), "
            "significant (q < 0.05), sttc (spike time tiling coefficient of event onsets, "
            "window correlation.co_event_window_s), lagged_r (peak r over lags up to "
            "correlation.max_lag_s), lag_s (its lag; > 0 when roi_b follows roi_a)",
        ),
        File("correlation/sttc.csv", "sttc as a square matrix, laid out like correlation.csv"),
        File("correlation/lagged_r.csv", "lagged_r as a square matrix"),
        File("correlation/lag_s.csv", "lag_s as a square matrix"),
        *(
            File(
                f"correlation/{name}.npy",
                f"{name}.csv as a float32 (N, N) NumPy array, rows and columns in the order "
                "of rois.csv (under half the CSV's size, no parsing)",
            )
            for name in ("correlation", "correlation_null", "sttc", "lagged_r", "lag_s")
        ),
        File(
            "correlation/clusters.csv",
            "roi_id, cluster, order (position in the clustered heat map)",
        ),
        File(
            "correlation/r_vs_distance.csv",
            "distance_um (bin centre), mean_r, n_pairs, fitted_r",
        ),
        File(
            "correlation/correlation.png",
            "heat map, rows ordered by clustering, colour bar; ROI map coloured by cluster",
            figure="Correlation",
        ),
        File("correlation/correlation.svg", "the same, editable text"),
        File("correlation/correlation.pdf", "the same as PDF"),
        File(
            "correlation/panel.png",
            "ROIs by cluster, example dF/F traces with co-active events shaded, clustered matrix",
            figure="Correlation",
        ),
        File("correlation/panel.svg", "the same, editable text"),
        File("correlation/panel.pdf", "the same as PDF"),
        File(
            "correlation/r_vs_distance.png",
            "r against centroid distance with the fitted exponential decay",
            figure="Correlation",
        ),
        File("correlation/r_vs_distance.svg", "the same, editable text"),
        File("correlation/r_vs_distance.pdf", "the same as PDF"),
        File(
            "correlation/stage.json",
            "provenance; null (circular | autocorrelation), decay_length_um, "
            "traces_in_memory, lagged (false: lagged_r and lag_s written as NaN)",
        ),
    ),
    folder="correlation",
)

FIT = Stage(
    "fit",
    "fit",
    "event statistics of the microdomains fitted by the astrocyte model",
    ("backend", "seed", "events", "model", "fit"),
    (
        "events/events_per_roi.csv",
        "events/events.csv",
        "events/traces.csv",
        "segmentation/rois.csv",
        "correlation/pairs.csv",
        "motion/stage.json",
    ),
    (
        File(
            "fit/statistics.json",
            "the observed statistics fitted (microdomain ROIs only; docs/model-fit.md)",
        ),
        File(
            "fit/parameters.json",
            "fitted parameters, each {value, unit, ci95, level, identified, source}; "
            "input_rate_per_min, input_correlation, indicator, simulated_recording, fit "
            "(chi2, p_value, converged, observed and simulated statistics), "
            "predictive_check (p_value, describes_recording, verdict, per statistic), "
            "identifiability",
        ),
        File("fit/posterior.csv", "posterior draws, one column per fitted parameter"),
        File(
            "fit/fit.png",
            "per statistic the predictive distribution and the observed value",
            figure="Model",
        ),
        File("fit/fit.svg", "the same, editable text"),
        File("fit/fit.pdf", "the same as PDF"),
        File("fit/stage.json", "provenance"),
    ),
    folder="fit",
)

SIMULATION = Stage(
    "simulation",
    "simulate",
    "the fitted astrocyte gating plasticity",
    ("backend", "seed", "model"),
    ("fit/parameters.json", "fit/posterior.csv"),
    (
        File("simulation/compartments.csv", "time_s, then Ca (and IP3) per compartment"),
        File(
            "simulation/plasticity.csv",
            "synapse_id, compartment, w_initial, w_final, ...",
        ),
        File(
            "simulation/posterior.csv",
            "co_permitted_share, mean_dw, mean_gate_open_fraction at the first posterior draws",
        ),
        File(
            "simulation/simulation.png",
            "model calcium with the gate, the plasticity outcome and its intervals",
            figure="Model",
        ),
        File("simulation/simulation.svg", "the same, editable text"),
        File("simulation/simulation.pdf", "the same as PDF"),
        File(
            "simulation/stage.json",
            "provenance; gate_threshold_uM, co_permitted_share, mean_dw, "
            "mean_gate_open_fraction and each one's _ci95 over the posterior draws",
        ),
    ),
    folder="simulation",
)

# the stages that record a stage.json, in the order they run
SCIENCE = (MOTION, SEGMENTATION, EVENTS, CORRELATION, FIT, SIMULATION)

PROVENANCE = Stage(
    "provenance",
    "provenance",
    "run.json from the stages' stage.json",
    (),
    tuple(f"{s.folder}/stage.json" for s in SCIENCE),
    (
        File(
            "run.json",
            "provenance: astrocalc version, the resolved config (each stage's sections), "
            "input path and sha256, shape, frame_rate_hz, pixel_size_um, backend, seed, "
            "start and end, seconds and peak memory (MB, the run's so far) per stage, "
            "motion qc",
        ),
    ),
)

EXPORT_NWB = Stage(
    "export-nwb",
    "export-nwb",
    "ROIs, dF/F traces and events as NWB 2 (not a workflow job)",
    (),
    (
        "run.json",
        "segmentation/rois.csv",
        "segmentation/rois.tif",
        "events/events.csv",
        "events/traces.csv",
    ),
    (
        File(
            "astrocalc.nwb",
            "processing/ophys ImageSegmentation/PlaneSegmentation (roi_id, compartment, "
            "area_um2, centroid_y_px, centroid_x_px), Fluorescence/dff, "
            "intervals/calcium_events (every column of events.csv, in time order), "
            "general/subject and session metadata (astrocalc export-nwb --help); when the "
            "input was NWB, acquisition/ links to its imaging series (not copied)",
        ),
    ),
)

# across recordings: reads each recording's files, writes into its own folder
COMPARE = Stage(
    "compare",
    "compare",
    "recordings compared by a sample-sheet column",
    ("compare_by",),
    (
        "run.json",
        "segmentation/rois.csv",
        "events/events.csv",
        "events/events_per_roi.csv",
        "correlation/pairs.csv",
        "correlation/stage.json",
        "fit/parameters.json",
        "simulation/stage.json",
    ),
    (
        File(
            "summary.csv",
            "one row per recording: sample, group columns, n_rois, n_microdomains, "
            "n_events, event_rate_per_min, share_global_events (without the events "
            "marked false in review/event_marks.csv), mean_pairwise_r, "
            "share_significant_pairs, mean_sttc, decay_length_um, co_permitted_share, "
            "input_correlation, model_predictive_p, n_events_reviewed, "
            "n_events_marked_false, reviewed_precision (review/event_marks.csv), ...",
        ),
        File("tests.csv", "statistic, test, groups, value, p, n"),
        File(
            "condition.csv",
            "group, parameter, level (condition | recording), sample, value, ci95_low, "
            "ci95_high, between_recording_sd_log, n_recordings (docs/model-fit.md)",
        ),
        File("compare.png", "the groups' statistics side by side", figure="Comparison"),
        File("compare.svg", "the same, editable text"),
        File("compare.pdf", "the same as PDF"),
    ),
)

STAGES = {s.name: s for s in (*SCIENCE, PROVENANCE, EXPORT_NWB, COMPARE)}
# written by a person, not by a stage: the events reviewed in napari (astrocalc.viewer),
# which compare reads where present
EVENT_MARKS = File(
    "review/event_marks.csv",
    "event_id, roi_id, peak_frame, mark (true | false): events of events.csv a person "
    "marked in the napari viewer; optional (where present, compare leaves the events "
    "marked false out of its event statistics and counts the marks)",
)
RECORDING_FILES = {f.path: s for s in (*SCIENCE, PROVENANCE, EXPORT_NWB) for f in s.writes}


def producer(rel: str) -> Stage:
    """The stage that writes ``rel`` (relative to a recording's results folder)."""
    return RECORDING_FILES[_declared(rel)]


def written(rel: str, config: dict | None) -> bool:
    """Whether the file ``rel`` of a recording's results is written under ``config``."""
    stage = producer(rel)
    return next(f for f in stage.writes if f.path == rel).written(config)


def path(out: str | Path, rel: str) -> Path:
    """``out/rel`` for a declared file of a recording's results folder."""
    return Path(out) / _declared(rel)


def _declared(rel: str) -> str:
    if rel not in RECORDING_FILES:
        raise KeyError(f"{rel}: not a file of the results layout (astrocalc/layout.py)")
    return rel
