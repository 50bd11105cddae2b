"""The results layout (astrocalc/layout.py): consistent in itself, enforced by the stages,
and the documents generated from the code (astrocalc/docs.py) current."""

from pathlib import Path

import pytest

from astrocalc import docs, layout
from astrocalc.config import defaults, load_schema
from astrocalc.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("path", list(docs.DOCUMENTS))
def test_generated_documents_are_current(path):
    assert docs.current(path) == (ROOT / path).read_text(encoding="utf-8"), (
        f"{path} is out of date: run `python -m astrocalc.docs`"
    )


def test_every_read_is_written_by_an_earlier_stage():
    written = set()
    for stage in (*layout.SCIENCE, layout.PROVENANCE):
        missing = set(stage.reads) - written
        assert not missing, (stage.name, sorted(missing))
        written |= {f.path for f in stage.writes}
    for stage in (layout.EXPORT_NWB, layout.COMPARE):
        assert set(stage.reads) <= written, stage.name
    # each stage writes into its own folder, and no two stages write one file
    for stage in layout.SCIENCE:
        assert all(f.path.startswith(stage.folder + "/") for f in stage.writes), stage.name
    paths = [f.path for s in (*layout.SCIENCE, layout.PROVENANCE) for f in s.writes]
    assert len(paths) == len(set(paths))


def test_sections_and_switches_are_settings_of_the_config():
    config = defaults()
    for stage in layout.STAGES.values():
        assert set(stage.sections) <= set(config), stage.name
        for f in stage.writes:
            if f.when:
                setting, _, value = f.when.partition("=")
                section, key = setting.split(".")
                assert section in stage.sections and key in config[section], f.path
                if value:  # a value the setting can take
                    enum = load_schema()["properties"][section]["properties"][key]["enum"]
                    assert value in enum, f.path


def test_optional_files_follow_their_setting():
    config = defaults()
    config["pixel_events"]["enabled"] = False
    names = {f.path for f in layout.EVENTS.files(config)}
    assert "events/traces.csv" in names and "events/pixel_events.csv" not in names
    config["pixel_events"]["enabled"] = True
    assert "events/pixel_events.csv" in {f.path for f in layout.EVENTS.files(config)}
    for fmt, movie in layout.CORRECTED.items():
        config["motion"]["corrected_format"] = fmt
        names = {f.path for f in layout.MOTION.files(config)}
        assert names & set(layout.CORRECTED.values()) == {movie}
        assert layout.written(movie, config)


def test_stage_input_checks_the_declaration_and_names_the_producer(tmp_path):
    with pytest.raises(KeyError, match="not declared as read by the simulation stage"):
        layout.SIMULATION.input(tmp_path, "events/events.csv")
    with pytest.raises(InputError, match=r"fit/posterior.csv: not found.*astrocalc fit"):
        layout.SIMULATION.input(tmp_path, "fit/posterior.csv")
    with pytest.raises(KeyError, match="not a file of the results layout"):
        layout.path(tmp_path, "fit/parameter.json")


def test_a_stage_writing_other_files_than_declared_is_stopped(tmp_path):
    config = defaults()
    for f in layout.SIMULATION.files(config):
        (tmp_path / Path(f.path).name).write_text("x")
    layout.SIMULATION.check_written(tmp_path, config)
    (tmp_path / "extra.csv").write_text("x")
    with pytest.raises(RuntimeError, match=r"\['extra.csv'\]"):
        layout.SIMULATION.check_written(tmp_path, config)
    (tmp_path / "extra.csv").unlink()
    (tmp_path / "plasticity.csv").unlink()
    with pytest.raises(RuntimeError, match=r"\['plasticity.csv'\]"):
        layout.SIMULATION.check_written(tmp_path, config)


def test_what_users_read_stays_inside_the_repository():
    """README, docs, the config's README and the package (its CLI help) name no path
    outside the repository (the workplace's ../shared is not the users')."""
    files = [ROOT / "README.md", ROOT / "config" / "README.md", *(ROOT / "docs").glob("*.md")]
    files += (ROOT / "astrocalc").rglob("*.py")
    outside = [str(f) for f in files if "../shared" in f.read_text(encoding="utf-8")]
    assert not outside
