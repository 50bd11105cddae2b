"""The sample sheet (samples.tsv): reading and validation."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import jsonschema
import pandas as pd

from .config import load_schema
from .errors import InputError
from .io.formats import exists as movie_exists


def read_samples(
    path: str | Path, *, check_files: bool = True, made_by_workflow: Collection[str] = ()
) -> pd.DataFrame:
    """Read and validate a sample sheet; one clear error naming the row and column.
    ``check_files``: every movie must exist, except the paths in ``made_by_workflow``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: sample sheet not found")
    try:
        table = pd.read_csv(path, sep="\t", comment="#", dtype={"sample": str, "path": str})
    except Exception as exc:  # pandas raises several parser errors
        raise InputError(f"{path}: not a readable tab-separated table ({exc})") from None
    schema = load_schema("samples")
    missing = [c for c in schema["required"] if c not in table.columns]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {', '.join(missing)}; expected at least "
            f"{', '.join(schema['required'])}"
        )
    validator = jsonschema.Draft202012Validator(schema)
    for i, row in table.iterrows():
        record = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items() if pd.notna(v)}
        err = next(iter(validator.iter_errors(record)), None)
        if err is not None:
            col = ".".join(map(str, err.absolute_path)) or "row"
            raise InputError(f"{path}: row {i + 2}, column '{col}': {err.message}")
    dup = table["sample"][table["sample"].duplicated()].tolist()
    if dup:
        raise InputError(
            f"{path}: duplicate sample name(s) {', '.join(dup)}; expected unique names"
        )
    if check_files:
        for _, row in table.iterrows():
            if row["path"] not in made_by_workflow and not movie_exists(row["path"]):
                raise InputError(f"{path}: sample '{row['sample']}': movie {row['path']} not found")
    return table
