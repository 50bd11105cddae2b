"""Events: dF/F, detection, features, local vs global; pixel-level events."""

from ._classify import classify, coactive_rois
from ._detect import detect, hysteresis_runs, robust_noise, smooth, smoothing_gain
from ._dff import delta_f_over_f
from ._events import (
    EVENT_COLUMNS,
    EventResult,
    detect_in_traces,
    find_events,
    find_events_side_by_side,
    per_roi_summary,
)
from ._features import event_features
from ._pixel_events import (
    FOOTPRINT_COLUMNS,
    PIXEL_EVENT_COLUMNS,
    PixelEvents,
    detect_pixel_events,
)

__all__ = [
    "EVENT_COLUMNS",
    "FOOTPRINT_COLUMNS",
    "PIXEL_EVENT_COLUMNS",
    "PixelEvents",
    "detect_pixel_events",
    "EventResult",
    "classify",
    "coactive_rois",
    "delta_f_over_f",
    "detect",
    "detect_in_traces",
    "event_features",
    "find_events",
    "find_events_side_by_side",
    "hysteresis_runs",
    "per_roi_summary",
    "robust_noise",
    "smooth",
    "smoothing_gain",
]
