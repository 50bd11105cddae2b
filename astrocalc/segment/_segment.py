"""The segmentation stage on a motion-corrected movie: from pixels to labelled ROIs."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage

from ..backend import to_numpy
from ..pixelmodel import fit_pixel_model, model_settings, running_baseline
from ..settings import EventSettings, Sampling, SegmentationSettings
from ._activity import ActivityMaps, activity_maps
from ._compartments import SOMA, attach_soma, structural_masks, structure_mask
from ._event_footprints import RiseHits, microdomain_regions
from ._neuropil import corrected_traces
from ._rois import events_needed, events_per_region, merge_correlated, on_faint_processes

log = logging.getLogger(__name__)


@dataclass
class Segmentation:
    labels: np.ndarray  # (Y, X) uint32, 1..N
    compartments: list[str]  # compartment of ROI i + 1
    masks: np.ndarray  # (Y, X) uint8: 1 soma, 2 process (structural)
    maps: ActivityMaps

    @property
    def summary(self) -> np.ndarray:
        """(3, Y, X) float32: mean, max-minus-mean, local correlation (CONTRACT.md)."""
        m = self.maps
        return np.stack([m.mean, m.max_minus_mean, m.local_corr]).astype(np.float32)


def segment_movie(
    movie,
    xp,
    *,
    sampling: Sampling,
    settings: SegmentationSettings | dict | None = None,
    events: EventSettings | dict | None = None,
    chunk_frames: int,
    coverage=None,
    source: str | None = None,
) -> Segmentation:
    """Find microdomain, process and soma ROIs in a motion-corrected movie.

    Parameters
    ----------
    movie : astrocalc.io.Movie
        Motion-corrected movie (T, Y, X).
    xp : module
        Array backend.
    sampling : Sampling
        Frame rate and pixel size.
    settings : SegmentationSettings or mapping, optional
        The ``segmentation`` section of the config (:meth:`Section.of`: schema defaults
        for what a mapping leaves out).
    events : EventSettings or mapping, optional
        The ``events`` section: a region of activity is kept only if its mean trace holds
        at least one event by the event detector, so ROIs and events agree.
    chunk_frames : int
        Frames per streamed chunk.
    coverage : astrocalc.motion.Coverage, optional
        Which pixels of each frame hold recorded data after motion correction: a pixel is
        active only in the frames that cover it, and ROIs lie where at least half of the
        frames do, up to the field's edge. None: every pixel of every frame.
    source : str, optional
        The recording's name in messages (default: the movie's path). A recording
        without any ROI (no activity and no soma) gives empty labels and a warning.
    """
    c, events = SegmentationSettings.of(settings), EventSettings.of(events)
    fs, px = sampling.frame_rate_hz, sampling.pixel_size_um
    model = fit_pixel_model(
        movie,
        xp,
        chunk_frames=chunk_frames,
        **model_settings(c, sampling),
    )
    min_px = max(sampling.area_px(c.min_area_um2), 2, c.min_area_px)
    split_px = sampling.px(c.split_distance_um)
    hits = RiseHits(
        to_numpy(model.sd),
        to_numpy(model.mean_raw),
        window_frames=sampling.frames(c.event_window_s),
        threshold_sd=c.active_threshold_sd,
        split_px=split_px,
        footprint_fraction=c.footprint_fraction,
        min_px=min_px,
        median=to_numpy(model.median),
    )
    maps = activity_maps(
        movie,
        model,
        chunk_frames=chunk_frames,
        threshold_sd=c.active_threshold_sd,
        min_active_frames=sampling.frames(c.min_active_s),
        coverage=None if coverage is None else coverage.inset(2 * model.sigma_px),
        hits=hits,
    )
    footprint_px = max(sampling.area_px(c.min_area_um2), 2)
    masks = structural_masks(maps.mean, soma_radius_px=sampling.px(c.soma_radius_um))
    structure = structure_mask(masks, margin_um=c.structure_margin_um, pixel_size_um=px)
    found = hits.finish()
    regions = microdomain_regions(
        found,
        movie.shape[1:],
        split_px=split_px,
        min_px=min_px,
        allowed=_allowed(structure if c.structure_only else None, coverage),
    )
    if c.structure_only:
        anywhere = microdomain_regions(
            found,
            movie.shape[1:],
            split_px=split_px,
            min_px=min_px,
            allowed=_allowed(None, coverage),
        )
        regions = on_faint_processes(
            anywhere,
            regions,
            maps.mean,
            structure,
            pixel_size_um=px,
            min_contrast_sd=c.faint_process_contrast_sd,
        )
    if regions.max() > 0:
        # neuropil-corrected as in the events stage, so that a region is kept for its own
        # events, not for background fluctuations it shares with its surroundings
        traces = corrected_traces(
            movie,
            regions,
            masks > 0,
            xp,
            pixel_size_um=px,
            coefficient=events.neuropil_coefficient,
            chunk_frames=chunk_frames,
            coverage=coverage,
        )
        n_events = events_per_region(traces, frame_rate_hz=fs, settings=events)
        keep = n_events >= events_needed(
            regions, structure, off_structure_min_events=c.off_structure_min_events
        )
        mapping = np.zeros(len(keep) + 1, np.uint32)
        mapping[1:][keep] = np.arange(1, keep.sum() + 1)
        regions, traces = mapping[regions], traces[:, keep]
    if regions.max() > 1:
        base = running_baseline(
            traces,
            window_frames=sampling.frame_span(c.baseline_window_s),
            percentile=c.baseline_percentile,
        )
        regions = merge_correlated(regions, traces - base, merge_r=c.merge_r, on_soma=masks == SOMA)
    labels, compartments = attach_soma(
        regions,
        masks,
        min_area_px=footprint_px,
        max_microdomain_area_px=sampling.area_px(c.max_microdomain_area_um2),
    )
    if labels.max() == 0:
        log.warning(
            "%s: no ROI found (no pixel was active above %s noise SD for %s s, and no soma "
            "in the mean image); the tables that follow are empty",
            source or movie.path,
            c.active_threshold_sd,
            c.min_active_s,
        )
    return Segmentation(labels, compartments, masks, maps)


def _allowed(structure, coverage):
    """Where ROIs may lie: on the structure (or anywhere) and covered by enough frames."""
    if coverage is None:
        return structure
    usable = coverage.usable()
    return usable if structure is None else structure & usable


def roi_table(labels: np.ndarray, compartments: list[str], *, pixel_size_um: float) -> pd.DataFrame:
    """rois.csv: roi_id, y, x (centroid, pixels), area_px, area_um2, compartment."""
    ids = np.arange(1, int(labels.max()) + 1)
    centres = np.array(ndimage.center_of_mass(labels > 0, labels, ids)).reshape(-1, 2)
    area = np.bincount(labels.ravel(), minlength=len(ids) + 1)[1:]
    return pd.DataFrame(
        {
            "roi_id": ids,
            "y": centres[:, 0],
            "x": centres[:, 1],
            "area_px": area,
            "area_um2": area * pixel_size_um**2,
            "compartment": compartments,
        }
    )
