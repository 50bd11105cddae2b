"""Stages as file-to-file steps (CONTRACT.md); used by the CLI and the Snakemake rules."""

from ._common import STAGE_SECTIONS, STAGES, stage_settings
from .correlation import run_correlation
from .events import run_events
from .fit import run_fit
from .motion import run_motion
from .provenance import write_run_json
from .recovery import recover
from .run import run_all
from .segmentation import run_segmentation
from .simulation import run_simulation

__all__ = [
    "STAGES",
    "STAGE_SECTIONS",
    "stage_settings",
    "recover",
    "run_all",
    "run_correlation",
    "run_events",
    "run_fit",
    "run_motion",
    "run_segmentation",
    "run_simulation",
    "write_run_json",
]
