"""Science configuration: defaults, loading and validation against the schema.

The schema (``astrocalc/schemas/config.schema.yaml``, also ``workflow/schemas/``) is the
single source of keys, types, ranges, defaults and descriptions. The command line and
the Snakefile validate with it, so both front ends run on the same resolved config.
"""

from __future__ import annotations

import copy
import functools
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .errors import InputError


def load_schema(name: str = "config") -> dict:
    return copy.deepcopy(_parsed_schema(name))


@functools.cache
def _parsed_schema(name: str) -> dict:
    text = resources.files("astrocalc").joinpath(f"schemas/{name}.schema.yaml").read_text()
    return yaml.safe_load(text)


def _fill_defaults(schema: dict, value: Any) -> Any:
    if schema.get("type") != "object" or not isinstance(value, dict):
        return value
    for key, sub in schema.get("properties", {}).items():
        if key not in value and "default" in sub:
            value[key] = copy.deepcopy(sub["default"])
        if key in value:
            value[key] = _fill_defaults(sub, value[key])
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for key in value:
            if key not in schema.get("properties", {}):
                value[key] = _fill_defaults(extra, value[key])
    return value


def _describe(error: jsonschema.ValidationError, source: str) -> str:
    where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    if error.validator == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        unknown = sorted(k for k in error.instance if k not in known)
        section = "" if not error.absolute_path else f"{where}."
        return (
            f"{source}: unknown setting(s) {', '.join(section + k for k in unknown)}; "
            f"expected one of {', '.join(sorted(known))} "
            "(astrocalc/schemas/config.schema.yaml)"
        )
    expected = {
        "type": f"expected {error.validator_value}",
        "minimum": f"expected >= {error.validator_value}",
        "maximum": f"expected <= {error.validator_value}",
        "exclusiveMinimum": f"expected > {error.validator_value}",
        "exclusiveMaximum": f"expected < {error.validator_value}",
        "enum": f"expected one of {error.validator_value}",
    }.get(error.validator, error.message)
    return f"{source}: setting '{where}' = {error.instance!r}: {expected}"


def validate(config: dict, *, source: str = "config") -> dict:
    """Fill defaults into ``config`` and validate it; raise :class:`InputError` if invalid."""
    schema = load_schema("config")
    config = _fill_defaults(schema, copy.deepcopy(config) if config else {})
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        raise InputError(_describe(errors[0], source))
    ev = config["events"]
    if ev["low_threshold_sd"] > ev["high_threshold_sd"]:
        raise InputError(
            f"{source}: setting 'events.low_threshold_sd' = {ev['low_threshold_sd']}: "
            f"expected <= events.high_threshold_sd ({ev['high_threshold_sd']})"
        )
    return config


def load(path: str | Path | None = None) -> dict:
    """Read a YAML config file (or none) and return the validated config with defaults."""
    if path is None:
        return validate({})
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: config file not found") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a YAML mapping of settings, got {type(data).__name__}")
    return validate(data, source=str(path))


def defaults() -> dict:
    return validate({})
