"""Events: baseline, dF/F, detection, features, local vs global; pixel-level events."""

from ._baseline import RunningBaseline, bin_means, bin_size, running_baseline
from ._classify import classify, coactive_rois
from ._detect import detect, hysteresis_runs, robust_noise, smooth, smoothing_gain
from ._dff import delta_f_over_f
from ._events import (
    EVENT_COLUMNS,
    EventResult,
    detect_in_traces,
    find_events,
    per_roi_summary,
)
from ._features import event_features
from ._pixel_events import (
    FOOTPRINT_COLUMNS,
    PIXEL_EVENT_COLUMNS,
    PixelEvents,
    detect_pixel_events,
)
from ._pixel_model import (
    CoveredField,
    Neuropil,
    PixelModel,
    fit_pixel_model,
    frame_wide_change,
    less_global,
    neuropil_field,
    smooth_covered,
    smooth_space,
)

__all__ = [
    "EVENT_COLUMNS",
    "FOOTPRINT_COLUMNS",
    "PIXEL_EVENT_COLUMNS",
    "PixelEvents",
    "PixelModel",
    "Neuropil",
    "CoveredField",
    "neuropil_field",
    "smooth_covered",
    "smooth_space",
    "detect_pixel_events",
    "fit_pixel_model",
    "EventResult",
    "RunningBaseline",
    "bin_means",
    "bin_size",
    "classify",
    "coactive_rois",
    "delta_f_over_f",
    "detect",
    "detect_in_traces",
    "event_features",
    "find_events",
    "frame_wide_change",
    "hysteresis_runs",
    "less_global",
    "per_roi_summary",
    "robust_noise",
    "running_baseline",
    "smooth",
    "smoothing_gain",
]
