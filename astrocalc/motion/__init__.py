"""Motion correction: rigid subpixel phase correlation against a refined reference."""

from ._phase_correlation import Template, make_template, phase_correlation, taper
from ._reference import frame_correlation, make_reference
from ._register import MotionResult, crispness, flag_outliers, intensity_affine, register_movie
from ._shift import shift_frames

__all__ = [
    "MotionResult",
    "Template",
    "crispness",
    "flag_outliers",
    "frame_correlation",
    "intensity_affine",
    "make_reference",
    "make_template",
    "phase_correlation",
    "register_movie",
    "shift_frames",
    "taper",
]
