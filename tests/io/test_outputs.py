import pytest

from astrocalc.errors import InputError
from astrocalc.io import StageOutput


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
