"""What every stage shares: config and calibration, timing, provenance, prerequisites."""

from __future__ import annotations

import hashlib
import json
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..backend import name_of, resolve
from ..errors import InputError
from ..io.outputs import write_json
from ..motion import Coverage

# The config sections each stage reads, in the order the stages run: the one home of this.
# A stage is given (and records in its stage.json) these and no others, so that a workflow
# reruns a stage when one of them changes, and only then (with what follows it).
STAGE_SECTIONS = {
    "motion": ("backend", "chunk_frames", "motion"),
    "segmentation": ("backend", "chunk_frames", "segmentation", "events"),
    "events": ("backend", "chunk_frames", "segmentation", "events", "pixel_events"),
    "correlation": ("backend", "correlation"),
    "fit": ("backend", "seed", "events", "model", "fit"),
    "simulation": ("backend", "seed", "model"),
}
STAGES = tuple(STAGE_SECTIONS)


def stage_settings(config: dict, stage: str) -> dict:
    """The part of ``config`` that ``stage`` reads (:data:`STAGE_SECTIONS`)."""
    return {key: config[key] for key in STAGE_SECTIONS[stage]}


def sha256(path: str | Path, *, block: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def require(path: Path, stage: str) -> Path:
    if not path.is_file():
        raise InputError(
            f"{path}: not found; expected the output of `astrocalc {stage}` in this results folder"
        )
    return path


def recording(out: Path) -> dict:
    """Calibration and input of the recording, written by the motion stage."""
    info = json.loads(require(out / "motion" / "stage.json", "motion").read_text())
    return info["recording"]


def backend(config: dict):
    try:
        return resolve(config["backend"])
    except (ValueError, RuntimeError) as exc:
        raise InputError(f"config: {exc}") from None


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
            "python": platform.python_version(),
            **extra,
            "config": stage_settings(self.config, self.name),
        }


def write_stage_record(folder: Path, record: dict) -> None:
    write_json(folder / "stage.json", record)


def motion_coverage(out: Path, shape) -> Coverage:
    """Which pixels of each corrected frame hold recorded data, from ``motion/shifts.csv``
    (all of them where the movie was not moved)."""
    shifts = pd.read_csv(require(out / "motion" / "shifts.csv", "motion"))
    return Coverage(shifts[["dy", "dx"]].to_numpy(np.float64), tuple(shape))
