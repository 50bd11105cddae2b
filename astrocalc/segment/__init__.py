"""Segmentation: summary images, microdomain ROIs from the footprints of events, soma and
process masks, neuropil-corrected traces."""

from ._activity import ActivityMaps, activity_maps
from ._compartments import (
    PROCESS,
    SOMA,
    astrocyte_mask,
    attach_soma,
    structural_masks,
    structure_mask,
)
from ._event_footprints import Hit, RiseHits, microdomain_regions, rois_from_hits, window_hits
from ._neuropil import corrected_traces, less_neuropil, neuropil_rings
from ._rois import (
    adjacent_pairs,
    events_needed,
    events_per_region,
    merge_correlated,
    on_faint_processes,
)
from ._segment import Segmentation, roi_table, segment_movie
from ._traces import RoiAverager, extract_traces

__all__ = [
    "PROCESS",
    "SOMA",
    "ActivityMaps",
    "Hit",
    "RiseHits",
    "RoiAverager",
    "Segmentation",
    "activity_maps",
    "adjacent_pairs",
    "attach_soma",
    "corrected_traces",
    "events_needed",
    "events_per_region",
    "extract_traces",
    "less_neuropil",
    "merge_correlated",
    "microdomain_regions",
    "neuropil_rings",
    "on_faint_processes",
    "roi_table",
    "rois_from_hits",
    "segment_movie",
    "structural_masks",
    "structure_mask",
    "astrocyte_mask",
    "window_hits",
]
