"""Motion correction: rigid and piecewise-rigid subpixel phase correlation against a
refined reference."""

from ._coverage import Coverage
from ._intensity import AffineFit, intensity_affine, rescaled_frame_by_frame, robust_affine
from ._phase_correlation import Template, make_template, phase_correlation, taper
from ._piecewise import Blocks, make_blocks
from ._reference import frame_correlation, make_reference
from ._register import (
    MotionResult,
    correct_batch,
    crispness,
    flag_outliers,
    register_movie,
    sample_frames,
)
from ._shift import shift_frames
from ._steps import StepFinder, Steps

__all__ = [
    "AffineFit",
    "Blocks",
    "Coverage",
    "correct_batch",
    "make_blocks",
    "MotionResult",
    "Template",
    "crispness",
    "flag_outliers",
    "frame_correlation",
    "intensity_affine",
    "rescaled_frame_by_frame",
    "make_reference",
    "make_template",
    "phase_correlation",
    "register_movie",
    "robust_affine",
    "sample_frames",
    "StepFinder",
    "Steps",
    "shift_frames",
    "taper",
]
