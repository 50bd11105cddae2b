"""The per-pixel model of a motion-corrected movie, shared by segmentation and pixel-level
events so that both threshold the same dF: running baseline (a percentile over a window,
from bin means), noise SD, spatial and temporal smoothing (over the pixels each frame
covers), and the neuropil (background) change taken out."""

from ._baseline import RunningBaseline, bin_means, bin_size, fill_excluded, running_baseline
from ._model import (
    CoveredField,
    Neuropil,
    PixelModel,
    StoredDenoised,
    covered_field,
    fit_pixel_model,
    frame_wide_change,
    less_global,
    model_settings,
    neuropil_field,
    open_runs,
    smooth_covered,
    smooth_space,
    smooth_time,
    state_frames,
)

__all__ = [
    "CoveredField",
    "Neuropil",
    "PixelModel",
    "RunningBaseline",
    "StoredDenoised",
    "bin_means",
    "bin_size",
    "covered_field",
    "fill_excluded",
    "fit_pixel_model",
    "frame_wide_change",
    "less_global",
    "model_settings",
    "neuropil_field",
    "open_runs",
    "running_baseline",
    "smooth_covered",
    "smooth_space",
    "smooth_time",
    "state_frames",
]
