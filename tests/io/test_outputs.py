import os

import numpy as np
import pandas as pd
import pytest

from astrocalc.errors import InputError
from astrocalc.io import StageOutput
from astrocalc.io.outputs import write_csv_blocks


def test_stage_output_appears_only_when_complete(tmp_path):
    dest = tmp_path / "motion"
    with pytest.raises(RuntimeError), StageOutput(dest) as tmp:
        (tmp / "shifts.csv").write_text("partial")
        raise RuntimeError("killed mid-stage")
    assert not dest.exists()
    assert not list(tmp_path.iterdir()), "temporary folder left behind"
    with StageOutput(dest) as tmp:
        (tmp / "shifts.csv").write_text("done")
    assert (dest / "shifts.csv").read_text() == "done"


def test_existing_results_are_not_replaced_silently(tmp_path):
    dest = tmp_path / "motion"
    dest.mkdir()
    (dest / "shifts.csv").write_text("old")
    with pytest.raises(InputError, match="already holds results"), StageOutput(dest):
        pass
    assert (dest / "shifts.csv").read_text() == "old"
    with StageOutput(dest, overwrite=True) as tmp:
        (tmp / "shifts.csv").write_text("new")
    assert (dest / "shifts.csv").read_text() == "new"


def test_leftovers_of_killed_runs_are_removed_and_running_ones_kept(tmp_path):
    """A temporary folder names its host and process: a later run removes those of dead
    processes of this host, and keeps those of live ones (another job still writing)."""
    import socket
    import subprocess
    import sys

    from astrocalc.io.outputs import atomic_write_text

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = socket.gethostname()
    stale = tmp_path / f".motion.partial-{host}-{dead.pid}-abc"
    stale.mkdir()
    (stale / "corrected.tif").write_text("half")
    running = tmp_path / f".motion.partial-{host}-{os.getppid()}-def"
    running.mkdir()
    elsewhere = tmp_path / f".motion.partial-otherhost-{dead.pid}-ghi"
    elsewhere.mkdir()
    stale_file = tmp_path / f".run.json.partial-{host}-{dead.pid}-tmp"
    stale_file.write_text("{")
    with StageOutput(tmp_path / "motion") as tmp:
        (tmp / "shifts.csv").write_text("done")
    atomic_write_text(tmp_path / "run.json", "{}")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(["motion", "run.json", running.name, elsewhere.name])


def test_numeric_tables_are_written_as_pandas_writes_them(tmp_path):
    """The fast path for numeric tables gives pandas' to_csv character for character: NaN
    empty, inf, -0, ints, bools, tiny and huge floats, float32, two blocks; a table with
    a string column (which may need quoting) is left to pandas."""
    rng = np.random.default_rng(1)
    n = 200
    x = rng.standard_normal(n) * 10.0 ** rng.integers(-12, 12, n)
    x[:6] = [np.nan, np.inf, -np.inf, -0.0, 1e-320, 123456789.0]
    table = pd.DataFrame(
        {
            "roi_id": np.arange(n, dtype=np.int64) * 10_000_019 - 5,
            "r": x,
            "f32": x.astype(np.float32),
            "significant": x > 0,
            "u": np.arange(n, dtype=np.uint16),
        }
    )
    names = pd.DataFrame({"name": ['a,"b"', "c"] * (n // 2), "v": x})
    for t in (table, names):
        write_csv_blocks(tmp_path / "t.csv", [t.iloc[:70], t.iloc[70:]])
        expected = t.to_csv(index=False, float_format="%.6g", lineterminator="\n")
        assert (tmp_path / "t.csv").read_text() == expected
