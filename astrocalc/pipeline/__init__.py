"""Stages as file-to-file steps (CONTRACT.md); used by the CLI and the Snakemake rules.

Each stage's module is imported when first asked for, so that a workflow job (a new
process per stage) loads only its own stage: importing them all took 1.4 s per job.
"""

from importlib import import_module

from ._common import STAGE_SECTIONS, STAGES, stage_settings

_WHERE = {
    "recover": "recovery",
    "run_all": "run",
    "run_correlation": "correlation",
    "run_events": "events",
    "run_fit": "fit",
    "run_motion": "motion",
    "run_segmentation": "segmentation",
    "run_simulation": "simulation",
    "write_run_json": "provenance",
}

__all__ = ["STAGES", "STAGE_SECTIONS", "stage_settings", *_WHERE]


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{_WHERE[name]}", __name__), name)
