"""What every stage shares: config and calibration, timing, provenance, prerequisites."""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import __version__, layout
from ..backend import name_of, resolve
from ..errors import InputError
from ..io.outputs import StageOutput, write_json

if TYPE_CHECKING:
    from ..motion import Coverage

log = logging.getLogger(__name__)

# The config sections each stage reads (declared in astrocalc/layout.py), in the order the
# stages run. A stage is given (and records in its stage.json) these and no others, so
# that a workflow reruns a stage when one of them changes, and only then.
STAGE_SECTIONS = {s.name: s.sections for s in layout.SCIENCE}
STAGES = tuple(STAGE_SECTIONS)


def stage_settings(config: dict, stage: str) -> dict:
    """The part of ``config`` that ``stage`` reads (:data:`STAGE_SECTIONS`)."""
    return {key: config[key] for key in STAGE_SECTIONS[stage]}


def sha256(*paths: str | Path, block: int = 1 << 22) -> str:
    """Checksum of the files' contents, one after the other."""
    h = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as f:
            while chunk := f.read(block):
                h.update(chunk)
    return h.hexdigest()


def recording(out: Path, stage: layout.Stage) -> dict:
    """Calibration and input of the recording, written by the motion stage."""
    return json.loads(stage.input(out, "motion/stage.json").read_text())["recording"]


def backend(config: dict):
    try:
        return resolve(config["backend"])
    except (ValueError, RuntimeError) as exc:
        raise InputError(f"config: {exc}") from None


def model_backend(config: dict, stage: str):
    """NumPy, whatever the config's backend: the model stages (fit, simulation) step a
    few hundred model microdomains tens of thousands of times, which a compiled CPU loop
    does faster than a GPU launches kernels (the fit of a 512 x 512 x 500-frame synthetic
    recording on an NVIDIA H200: 20 s on NumPy, over 100 s on CuPy, 2026-12-04). The
    config's backend is still checked, so that a bad value fails here as in every stage."""
    if name_of(backend(config)) != "numpy":
        log.info("%s: the model runs on the CPU (NumPy), faster than on the GPU", stage)
    return np


class StageClock:
    """Start time of a stage; :meth:`record` gives its stage.json content."""

    def __init__(self, name: str, config: dict, xp):
        self.name, self.config, self.xp = name, config, xp
        self.started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        self.t0 = time.perf_counter()

    def record(self, **extra) -> dict:
        return {
            "stage": self.name,
            "astrocalc_version": __version__,
            "backend": name_of(self.xp),
            "started": self.started,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "seconds": round(time.perf_counter() - self.t0, 3),
            "peak_memory_mb": peak_memory_mb(),
            "python": platform.python_version(),
            **extra,
            "config": stage_settings(self.config, self.name),
        }


def peak_memory_mb() -> float | None:
    """The process's peak resident memory so far, in MB (None where the system does not
    say): a stage's own peak when it ran in its own process, the run's peak up to that
    stage under ``astrocalc run``."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kb / (1 << 20 if sys.platform == "darwin" else 1 << 10), 1)


def write_stage_record(folder: Path, record: dict) -> None:
    write_json(folder / "stage.json", record)


@contextmanager
def stage_output(stage: layout.Stage, out: Path, config: dict | None, *, overwrite: bool):
    """The stage's output folder under ``out`` (:class:`StageOutput`), checked against
    the layout's declaration before it is moved into place."""
    with StageOutput(out / stage.folder, overwrite=overwrite) as tmp:
        yield tmp
        stage.check_written(tmp, config)


def motion_coverage(out: Path, shape, stage: layout.Stage) -> Coverage:
    """Which pixels of each corrected frame hold recorded data, from ``motion/shifts.csv``
    (all of them where the movie was not moved)."""
    from ..motion import Coverage

    shifts = pd.read_csv(stage.input(out, "motion/shifts.csv"))
    return Coverage(shifts[["dy", "dx"]].to_numpy(np.float64), tuple(shape))
