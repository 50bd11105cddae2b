# Helper functions for the rules: sample sheet, inputs, parameters, resources.
import json
import shlex
import sys
from pathlib import Path

import astrocalc.config
from astrocalc.pipeline import stage_settings
from astrocalc.samples import read_samples

# astrocalc's validation first (cross-field checks, one-line messages), then Snakemake's
config = astrocalc.config.validate(
    config, source="config (config/config.yaml with any --configfile/--config)"
)
validate(config, "../schemas/config.schema.yaml")
DEMO_NAMES = list(config["demo"])
# every movie must exist, except the demo movies the workflow makes itself
SAMPLES = read_samples(
    config["samples"], made_by_workflow={f"demo/{n}.tif" for n in DEMO_NAMES}
)
validate(SAMPLES, "../schemas/samples.schema.yaml")
SAMPLES = SAMPLES.set_index("sample", drop=False)
ASTROCALC = f"{shlex.quote(sys.executable)} -m astrocalc"


wildcard_constraints:
    sample="|".join(SAMPLES["sample"]),
    name="|".join(DEMO_NAMES) if DEMO_NAMES else "(?!x)x",


def movie_path(wildcards):
    return SAMPLES.loc[wildcards.sample, "path"]


def calibration_args(wildcards):
    row = SAMPLES.loc[wildcards.sample]
    return f"--frame-rate {row['frame_rate_hz']} --pixel-size {row['pixel_size_um']}"


def stage_config(stage):
    """The config sections ``stage`` reads (astrocalc.pipeline.STAGE_SECTIONS), as one
    quoted JSON argument. A plain string, not a function of the job, so that Snakemake
    reruns the stage when one of its sections changes (and only then)."""
    settings = stage_settings(config, stage)
    return f"--config-json {shlex.quote(json.dumps(settings, sort_keys=True))}"


def pixel_event_outputs():
    """The events stage's pixel-level outputs, written when pixel_events.enabled."""
    if not config["pixel_events"]["enabled"]:
        return {}
    return {
        "pixel_events": "results/{sample}/events/pixel_events.csv",
        "pixel_footprints": "results/{sample}/events/pixel_footprints.csv",
        "pixel_figure": "results/{sample}/events/pixel_events.png",
    }


def gpu_backend(wildcards, resources):
    """A job granted a GPU (resource ``gpu``, as the slurm-gpu profile asks) runs on CuPy,
    so that a node without a usable GPU fails loudly instead of silently running on the
    CPU."""
    return "--backend cupy" if int(resources.get("gpu", 0)) > 0 else ""


def demo_args(wildcards):
    d = config["demo"][wildcards.name]
    size = d.get("size", [128, 128])
    return (f"--synchrony {d['synchrony']} --noise {d.get('noise', 1.0)} --seed {d['seed']} "
            f"--frames {d.get('frames', 1200)} --size {size[0]} {size[1]}")


# Cluster resources, scaled from the size of a job's input and raised on each retry
# (profiles set `retries`). Measured (benchmarks/memory.py, 256 x 256 px): the streaming
# stages peak at 0.5-1.1 GB for 2,000 to 20,000 frames; correlation grows with ROIs^2,
# i.e. with the traces table; fit and simulation are bounded by fit.max_domains,
# fit.max_duration_s and model.duration_s (0.9 GB at most).
def mem_mb_streaming(wildcards, input, attempt):
    """Streaming stages hold a chunk of frames and a few per-pixel maps, not the movie."""
    return int(min(1500 + 0.02 * input.size_mb, 8000) * attempt)


def mem_mb_tables(wildcards, input, attempt):
    """Stages on tables: a few copies of the traces (ROI x ROI matrices come with them)."""
    return int(min(1500 + 4 * input.size_mb, 32000) * attempt)


def runtime_min(wildcards, input, attempt):
    """Minutes: about 1 min per 100 MB of movie on one core, plus start-up."""
    return int((10 + input.size_mb / 100) * attempt)


def runtime_model(wildcards, attempt):
    """Minutes for fit and simulation: set by fit.max_duration_s, fit.n_astrocytes and
    model.duration_s, not by the recording (a 10-minute fit took 2-4 min on 2 cores)."""
    return 30 * attempt


def all_outputs():
    runs = [f"results/{s}/run.json" for s in SAMPLES["sample"]]
    compare = ["results/compare/summary.csv", "results/compare/tests.csv", "results/compare/compare.png"]
    return [*runs, *compare]
