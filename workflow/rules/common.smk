# Helper functions for the rules: sample sheet, inputs, parameters, resources.
import json
import shlex
import sys
from pathlib import Path

import astrocalc.config
from astrocalc.samples import read_samples

# astrocalc's own validation too (cross-field checks, one-line messages)
config = astrocalc.config.validate(config, source="config/config.yaml")
SAMPLES = read_samples(config["samples"], check_files=False)
validate(SAMPLES, "../schemas/samples.schema.yaml")
SAMPLES = SAMPLES.set_index("sample", drop=False)
ASTROCALC = f"{shlex.quote(sys.executable)} -m astrocalc"
DEMO_NAMES = list(config["demo"])


wildcard_constraints:
    sample="|".join(SAMPLES["sample"]),
    name="|".join(DEMO_NAMES) if DEMO_NAMES else "(?!x)x",


def movie_path(wildcards):
    return SAMPLES.loc[wildcards.sample, "path"]


def calibration_args(wildcards):
    row = SAMPLES.loc[wildcards.sample]
    return f"--frame-rate {row['frame_rate_hz']} --pixel-size {row['pixel_size_um']}"


def science_config():
    """The settings the astrocalc commands use, as one quoted JSON argument."""
    keep = {k: v for k, v in config.items() if k not in ("samples", "compare_by", "demo")}
    return f"--config-json {shlex.quote(json.dumps(keep, sort_keys=True))}"


def demo_args(wildcards):
    d = config["demo"][wildcards.name]
    size = d.get("size", [128, 128])
    return (f"--synchrony {d['synchrony']} --noise {d.get('noise', 1.0)} --seed {d['seed']} "
            f"--frames {d.get('frames', 1200)} --size {size[0]} {size[1]}")


def mem_mb_streaming(wildcards, input, attempt):
    """Streaming stages need the chunk and a few per-pixel maps, not the whole movie."""
    return int(min(1000 + 0.25 * input.size_mb, 8000) * attempt)


def runtime_min(wildcards, input, attempt):
    return int((10 + input.size_mb / 20) * attempt)


def all_outputs():
    runs = [f"results/{s}/run.json" for s in SAMPLES["sample"]]
    compare = ["results/compare/summary.csv", "results/compare/tests.csv", "results/compare/compare.png"]
    return [*runs, *compare]
