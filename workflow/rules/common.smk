# Helper functions for the rules: sample sheet, inputs, parameters, resources.
import json
import re
import shlex
import sys
from pathlib import Path

import astrocalc.config
from astrocalc import layout
from astrocalc.io.formats import input_files
from astrocalc.pipeline import stage_settings
from astrocalc.samples import read_samples
from snakemake.settings.types import DeploymentMethod

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
# With --software-deployment-method conda a rule runs the Python of its environment
# (workflow/envs/astrocalc.yaml); otherwise the one running Snakemake, which has astrocalc.
if DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method:
    ASTROCALC = "python -m astrocalc"
else:
    ASTROCALC = f"{shlex.quote(sys.executable)} -m astrocalc"


wildcard_constraints:
    sample="|".join(SAMPLES["sample"]),
    name="|".join(DEMO_NAMES) if DEMO_NAMES else "(?!x)x",


def movie_path(wildcards):
    """The movie as the sample sheet names it (a file, a folder, a pattern, file:dataset)."""
    return SAMPLES.loc[wildcards.sample, "path"]


def movie_files(wildcards):
    """The files the movie is read from: the motion job's input."""
    return [str(f) for f in input_files(movie_path(wildcards))]


def calibration_args(wildcards):
    row = SAMPLES.loc[wildcards.sample]
    return f"--frame-rate {row['frame_rate_hz']} --pixel-size {row['pixel_size_um']}"


def stage_config(stage):
    """The config sections ``stage`` reads (astrocalc/layout.py), as one quoted JSON
    argument. A plain string, not a function of the job, so that Snakemake reruns the
    stage when one of its sections changes (and only then)."""
    settings = stage_settings(config, stage)
    return f"--config-json {shlex.quote(json.dumps(settings, sort_keys=True))}"


def stage_command(stage):
    """``astrocalc <command>`` of ``stage``."""
    return f"{ASTROCALC} {layout.STAGES[stage].command}"


def _key(rel):
    return re.sub(r"\W", "_", rel)


def stage_inputs(stage):
    """The files of earlier stages that ``stage`` reads and this config has them write, as
    named inputs (astrocalc/layout.py)."""
    return {
        _key(rel): f"results/{{sample}}/{rel}"
        for rel in layout.STAGES[stage].reads
        if layout.written(rel, config)
    }


def stage_outputs(stage, folder="results/{sample}"):
    """The files ``stage`` writes under this config, as named outputs; figures go into
    Snakemake's report with their caption (workflow/report/<figure name>.rst)."""
    outputs = {}
    for f in layout.STAGES[stage].files(config):
        path = f"{folder}/{f.path}"
        if f.directory:
            path = directory(path)
        if f.figure:
            sub = {"subcategory": "{sample}"} if "{sample}" in folder else {}
            path = report(
                path,
                caption=f"../report/{Path(f.path).stem}.rst",
                category=f.figure,
                **sub,
            )
        outputs[_key(f.path)] = path
    return outputs


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
    runs = [f"results/{s}/{f.path}" for s in SAMPLES["sample"] for f in layout.PROVENANCE.writes]
    compare = [f"results/compare/{f.path}" for f in layout.COMPARE.writes]
    return [*runs, *compare]
