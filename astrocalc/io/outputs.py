"""Writing results so that nothing half-written is ever mistaken for a result.

Each stage writes into a hidden temporary folder next to its destination and renames it
into place only when every file is complete (:class:`StageOutput`). Single files are
written to a temporary name and renamed (:func:`atomic_write_text`).

Temporary names say which process made them (``.<name>.partial-<host>-<pid>-...``), so a
later run removes what a killed one left (same host, process gone) and never touches the
temporary files of a run still going.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError

log = logging.getLogger(__name__)


def _partial_prefix(dest: Path) -> str:
    return f".{dest.name}.partial-"


def _owner_tag() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-"


def partial_path(dest: Path) -> Path:
    """A temporary sibling of ``dest`` naming this host and process."""
    return dest.with_name(_partial_prefix(dest) + _owner_tag() + "tmp")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale_partials(dest: Path) -> None:
    """Remove temporary siblings of ``dest`` left by killed processes of this host."""
    prefix = _partial_prefix(dest) + socket.gethostname() + "-"
    if not dest.parent.is_dir():
        return
    for p in dest.parent.iterdir():
        if not p.name.startswith(prefix):
            continue
        pid = p.name[len(prefix) :].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            log.warning("removing %s, left by an interrupted run", p)
            shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)


def make_partial_dir(dest: Path) -> Path:
    """A new temporary folder beside ``dest``, after removing stale ones of killed runs."""
    remove_stale_partials(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=_partial_prefix(dest) + _owner_tag(), dir=dest.parent))


def atomic_write_text(path: str | Path, text: str) -> None:
    path = Path(path)
    remove_stale_partials(path)
    tmp = partial_path(path)
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def write_json(path: str | Path, data: dict) -> None:
    atomic_write_text(path, json.dumps(_jsonable(data), indent=2) + "\n")


def write_csv(path: str | Path, table: pd.DataFrame, *, float_format: str = "%.6g") -> None:
    write_csv_blocks(path, [table], float_format=float_format)


def write_csv_blocks(path: str | Path, blocks, *, float_format: str = "%.6g") -> None:
    """A CSV table given as consecutive DataFrames (same columns), one block in memory at a
    time, written to a temporary name and renamed when complete."""
    path = Path(path)
    remove_stale_partials(path)
    tmp = partial_path(path)
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            for k, block in enumerate(blocks):
                text = _numeric_csv_rows(block, float_format)
                if text is None:
                    block.to_csv(
                        f,
                        index=False,
                        header=k == 0,
                        float_format=float_format,
                        lineterminator="\n",
                    )
                    continue
                if k == 0:
                    block.head(0).to_csv(f, index=False, lineterminator="\n")
                f.write(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _numeric_csv_rows(table: pd.DataFrame, float_format: str) -> str | None:
    """The rows of ``table`` as ``DataFrame.to_csv`` writes them (no header, no index),
    character for character, when every column is a float, int or bool NumPy column;
    None otherwise (strings, which may need quoting, and other types are left to pandas).

    One %-format per row instead of pandas' per-value formatting: a 5,000-ROI correlation
    stage writes about 200 million numbers (benchmarks/csv_writing.py)."""
    if table.empty:
        return None
    formats = []
    for dtype in table.dtypes:
        if not isinstance(dtype, np.dtype):  # pandas extension types (nullable, category)
            return None
        if dtype.kind == "f":
            formats.append(float_format)
        elif dtype.kind in "iu":
            formats.append("%d")
        elif dtype.kind == "b":
            formats.append("%s")  # True / False
        else:
            return None
    row = ",".join(formats)
    columns = [table.iloc[:, i].to_numpy().tolist() for i in range(table.shape[1])]
    # NaN prints as "nan", which no other field contains; pandas writes it as empty
    return "".join(row % values + "\n" for values in zip(*columns, strict=True)).replace("nan", "")


class StageOutput:
    """A stage's output folder, built in a temporary sibling and moved into place on success.

    ``with StageOutput(out / "motion", overwrite=False) as tmp:`` gives the temporary folder
    to write into. On a clean exit the folder replaces ``out / "motion"``; on an error it is
    removed. An existing non-empty destination is an error unless ``overwrite`` is true, so
    earlier results are never replaced silently.
    """

    def __init__(self, dest: str | Path, *, overwrite: bool = False):
        self.dest = Path(dest)
        self.overwrite = overwrite
        self.tmp: Path | None = None

    def __enter__(self) -> Path:
        check_writable(self.dest, overwrite=self.overwrite)
        self.tmp = make_partial_dir(self.dest)
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        if self.dest.exists():
            if self.dest.is_dir():
                shutil.rmtree(self.dest)
            else:
                self.dest.unlink()
        os.replace(self.tmp, self.dest)


def check_writable(dest: Path, *, overwrite: bool) -> None:
    if dest.exists() and not overwrite:
        if dest.is_file() or any(dest.iterdir()):
            raise InputError(
                f"{dest}: already holds results; expected an empty or new "
                "folder (pass --overwrite to replace them)"
            )
