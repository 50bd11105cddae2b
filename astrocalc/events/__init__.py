"""Events: baseline, dF/F, detection, features, local vs global."""

from ._baseline import RunningBaseline, bin_means, bin_size, running_baseline
from ._classify import classify, coactive_rois
from ._detect import detect, hysteresis_runs, robust_noise, smooth
from ._dff import delta_f_over_f
from ._events import (
    EVENT_COLUMNS,
    EventResult,
    detect_in_traces,
    find_events,
    per_roi_summary,
)
from ._features import event_features

__all__ = [
    "EVENT_COLUMNS",
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
    "hysteresis_runs",
    "per_roi_summary",
    "robust_noise",
    "running_baseline",
    "smooth",
]
