from pathlib import Path

import pytest
import yaml

from astrocalc import config
from astrocalc.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


def test_config_yaml_states_the_schema_defaults():
    """config/config.yaml documents every key with the value the schema fills in."""
    data = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    assert config.validate(data) == config.defaults()


def test_workflow_schemas_are_the_package_schemas():
    for name in ("config", "samples"):
        a = ROOT / "workflow" / "schemas" / f"{name}.schema.yaml"
        b = ROOT / "astrocalc" / "schemas" / f"{name}.schema.yaml"
        assert a.read_text() == b.read_text()


@pytest.mark.parametrize(
    "settings, message",
    [
        (
            {"motion": {"reference_iterations": "four"}},
            "'motion.reference_iterations' = 'four': expected integer",
        ),
        ({"events": {"min_duration_s": -1}}, "'events.min_duration_s' = -1: expected >= 0"),
        ({"backend": "gpu"}, "expected one of"),
        ({"segmentation": {"footprint_fraction": 2}}, "expected <= 1"),
        ({"colour": "red"}, "unknown setting(s) colour; expected one of backend"),
        (
            {"events": {"low_threshold_sd": 5, "high_threshold_sd": 4}},
            "expected <= events.high_threshold_sd",
        ),
    ],
)
def test_bad_settings_name_the_setting(settings, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        config.validate(settings)


def test_partial_file_keeps_other_defaults(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("events:\n  high_threshold_sd: 5\n")
    c = config.load(f)
    assert c["events"]["high_threshold_sd"] == 5
    assert c["events"]["low_threshold_sd"] == config.defaults()["events"]["low_threshold_sd"]
    assert c["motion"] == config.defaults()["motion"]


def test_unreadable_config_file(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("- just\n- a list\n")
    with pytest.raises(InputError, match="expected a YAML mapping"):
        config.load(f)
    with pytest.raises(InputError, match="not found"):
        config.load(tmp_path / "missing.yaml")
