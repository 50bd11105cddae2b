"""run.json: provenance of a results folder, gathered from each stage's stage.json."""

from __future__ import annotations

import json
from pathlib import Path

from .. import __version__
from ..errors import InputError
from ..io.outputs import write_json
from ..layout import PROVENANCE, SCIENCE


def write_run_json(out: str | Path, *, overwrite: bool = False) -> Path:
    out = Path(out)
    records = {}
    for stage, rel in zip(SCIENCE, PROVENANCE.reads, strict=True):
        f = out / rel
        if not f.is_file():
            raise InputError(f"{f}: not found; run.json needs every stage to have finished")
        records[stage.name] = json.loads(f.read_text())
    target = out / PROVENANCE.writes[0].path
    if target.exists() and not overwrite:
        raise InputError(f"{target}: already exists (pass --overwrite to replace it)")
    rec = records["motion"]["recording"]
    backends = sorted({r["backend"] for r in records.values()})
    write_json(
        target,
        {
            "astrocalc_version": __version__,
            "input": rec["input"],
            "sha256": rec["sha256"],
            "shape": rec["shape"],
            "frame_rate_hz": rec["frame_rate_hz"],
            "pixel_size_um": rec["pixel_size_um"],
            "backend": backends[0] if len(backends) == 1 else backends,
            "seed": records["fit"]["config"]["seed"],
            # each stage recorded the sections it read; together, the run's settings
            "config": {k: v for r in records.values() for k, v in r["config"].items()},
            "start": min(r["started"] for r in records.values()),
            "end": max(r["finished"] for r in records.values()),
            "stage_seconds": {s: r["seconds"] for s, r in records.items()},
            "stage_peak_memory_mb": {s: r.get("peak_memory_mb") for s, r in records.items()},
            "qc": {"motion": records["motion"].get("qc", {})},
        },
    )
    return target
