"""Figure-ready plots (matplotlib), one module per figure; every function saves files."""

from .compare import plot_compare
from .correlation import panel_examples, plot_correlation, plot_distance, plot_panel
from .fit import plot_fit
from .motion_qc import plot_motion_qc
from .pixel_events import plot_pixel_events
from .rois import plot_rois
from .simulation import plot_simulation

__all__ = [
    "plot_compare",
    "plot_correlation",
    "plot_distance",
    "plot_fit",
    "plot_motion_qc",
    "panel_examples",
    "plot_panel",
    "plot_pixel_events",
    "plot_rois",
    "plot_simulation",
]
