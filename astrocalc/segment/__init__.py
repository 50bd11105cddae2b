"""Segmentation: summary images, microdomain ROIs from activity, soma and process masks."""

from ._activity import ActivityMaps, activity_maps
from ._compartments import PROCESS, SOMA, attach_soma, structural_masks, structure_mask
from ._rois import adjacent_pairs, find_active_regions, merge_correlated
from ._segment import Segmentation, roi_table, segment_movie
from ._traces import RoiAverager, extract_traces

__all__ = [
    "PROCESS",
    "SOMA",
    "ActivityMaps",
    "RoiAverager",
    "Segmentation",
    "activity_maps",
    "adjacent_pairs",
    "attach_soma",
    "extract_traces",
    "find_active_regions",
    "merge_correlated",
    "roi_table",
    "segment_movie",
    "structural_masks",
    "structure_mask",
]
