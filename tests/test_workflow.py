"""The Snakemake workflow: lint, and a small two-condition demo end to end."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from astrocalc.pipeline import STAGES
from tests.conftest import local_snakemake_env

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
LOCAL = local_snakemake_env()  # no SLURM here

# the workflow's test data set: the demo's eight recordings made small, a short fit
TEST_DATA = ROOT / ".test"
SMALL = yaml.safe_load((TEST_DATA / "config" / "config.yaml").read_text())
SAMPLES = list(SMALL["demo"])
SMALL_SETTINGS = {key: SMALL[key] for key in ("model", "fit")}


@pytest.mark.slow
def test_lint_is_clean():
    r = subprocess.run(
        [*SNAKEMAKE, "--lint", "-s", str(ROOT / "Snakefile")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=LOCAL,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Lints for" not in r.stdout + r.stderr


@pytest.mark.slow
def test_demo_workflow_end_to_end(tmp_path):
    shutil.copytree(TEST_DATA, tmp_path, dirs_exist_ok=True)
    cmd = [*SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(tmp_path), "--cores", "2"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=LOCAL)
    assert r.returncode == 0, r.stderr[-3000:]
    samples = SAMPLES
    for sample in samples:
        base = tmp_path / "results" / sample
        for f in (
            "run.json",
            "motion/corrected.tif",
            "segmentation/rois.zip",
            "events/events.csv",
            "correlation/correlation.svg",
            "fit/parameters.json",
            "simulation/plasticity.csv",
        ):
            assert (base / f).is_file(), f
        assert (tmp_path / "logs" / sample / "motion.bench.tsv").is_file()
    summary = pd.read_csv(tmp_path / "results" / "compare" / "summary.csv")
    assert summary["sample"].tolist() == samples
    by_group = summary.groupby("condition").mean_pairwise_r
    # every young recording above every old one, and the tests over recordings say so
    assert by_group.min()["young"] > by_group.max()["old"], summary.mean_pairwise_r.tolist()
    tests = pd.read_csv(tmp_path / "results" / "compare" / "tests.csv")
    r_tests = tests[tests.statistic == "mean_pairwise_r"].set_index("test")
    for test in ("mann_whitney", "permutation"):
        assert r_tests.value[test] > 0 and r_tests.p[test] < 0.05, r_tests.to_dict()
    assert r_tests.n["mann_whitney"] == "4+4 recordings"
    condition = pd.read_csv(tmp_path / "results" / "compare" / "condition.csv")
    pooled = condition[condition.level == "condition"]
    assert set(pooled.condition) == {"young", "old"} and (pooled.n_recordings == 4).all()
    assert ((pooled.ci95_low <= pooled.value) & (pooled.value <= pooled.ci95_high)).all()
    for ext in ("png", "svg", "pdf"):
        assert (tmp_path / "results" / "compare" / f"compare.{ext}").is_file()
    # figures keep their text as text (editable in Illustrator or Inkscape)
    for svg in ("compare/compare.svg", "young_1/correlation/panel.svg"):
        assert "<text" in (tmp_path / "results" / svg).read_text(), svg
    again = subprocess.run([*cmd, "-n"], capture_output=True, text=True, env=LOCAL)
    assert "Nothing to be done" in again.stdout + again.stderr
    # every file a stage writes is an output of its rule, every file it reads an input
    declared = _declared_files(cmd, "young_1")
    results = tmp_path / "results" / "young_1"
    written = {str(f.relative_to(tmp_path)) for f in results.rglob("*") if f.is_file()}
    outputs = {f for files in declared.values() for f in files["output"]}
    assert written <= outputs, sorted(written - outputs)
    # (run again, in order, on a copy: the workflow's own results stay as they are)
    shutil.copytree(results, tmp_path / "traced" / "results" / "young_1")
    for rule, command in STAGE_COMMANDS.items():
        reads = _files_read(
            command, tmp_path / "traced", tmp_path / "traced" / "results" / "young_1"
        )
        assert reads, rule
        assert reads <= set(declared[rule]["input"]), (
            rule,
            sorted(reads - set(declared[rule]["input"])),
        )
    # a changed setting reruns the stages that read its section and what follows, no other
    after = {"all", "provenance", "compare"}
    for change, expected in (
        ("motion: {piecewise: true}", set(STAGES)),
        ("fit: {max_iterations: 9}", {"fit", "simulation"}),
        ("correlation: {cluster_threshold: 0.6}", {"correlation", "fit", "simulation"}),
    ):
        (tmp_path / "change.yaml").write_text(change + "\n")
        dry = [*cmd, "--configfile", str(tmp_path / "change.yaml"), "-n"]
        r = subprocess.run(dry, capture_output=True, text=True, env=LOCAL)
        assert r.returncode == 0, r.stderr[-3000:]
        jobs = re.findall(r"^(?:local)?rule (\w+):", r.stdout + r.stderr, flags=re.M)
        assert set(jobs) == expected | after, (change, sorted(set(jobs)), r.stdout[-2000:])
        for stage in expected:
            assert jobs.count(stage) == len(samples), (change, stage)


# the astrocalc command of each stage's rule (workflow/rules/)
STAGE_COMMANDS = {
    "segmentation": "segment",
    "events": "events",
    "correlation": "correlate",
    "fit": "fit",
    "simulation": "simulate",
}
# runs a command of astrocalc's CLI, printing each file it opens for reading under a folder
# (an audit hook sees every open(), from pandas, tifffile and numpy alike)
_TRACE = """
import os, sys
root = os.path.realpath(sys.argv[1])
reads = set()
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, os.PathLike)):
        mode = args[1] if isinstance(args[1], str) else "r"
        path = os.path.realpath(args[0])
        opened_to_read = not set(mode) & set("wax+") and not os.path.isdir(path)
        if path.startswith(root + os.sep) and opened_to_read:
            reads.add(path)
sys.addaudithook(hook)
from astrocalc.cli import main
main(sys.argv[2:])
print("\\n".join(sorted(reads)))
"""


def _declared_files(cmd, sample):
    """{rule: {"input": [...], "output": [...]}} of one sample's jobs, as a dry run of the
    whole workflow lists them (paths relative to the working directory)."""
    r = subprocess.run([*cmd, "-n", "--forceall"], capture_output=True, text=True, env=LOCAL)
    assert r.returncode == 0, r.stderr[-3000:]
    declared = {}
    for job in re.split(r"^(?:local)?rule ", r.stdout + r.stderr, flags=re.M)[1:]:
        rule = job.split(":", 1)[0]
        files = {
            key: [f for f in m.group(1).split(", ") if f]
            for key in ("input", "output")
            if (m := re.search(rf"^ +{key}: (.*)$", job, flags=re.M))
        }
        if f"results/{sample}/" in files.get("output", [""])[0]:
            declared[rule] = {"input": files.get("input", []), "output": files["output"]}
    return declared


def _files_read(command, workdir, results):
    """Files under ``results`` (relative to ``workdir``) that astrocalc ``command`` reads
    there, run with the small demo's settings; it rewrites that stage's outputs."""
    settings = json.dumps(SMALL_SETTINGS)
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            _TRACE,
            str(results),
            command,
            "--out",
            str(results),
            "--overwrite",
            "--config-json",
            settings,
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    real = Path(workdir).resolve()
    return {
        str(Path(f).relative_to(real)) for f in r.stdout.splitlines() if f.startswith(str(real))
    }


HEADER = "sample\tpath\tframe_rate_hz\tpixel_size_um\tcondition\n"


@pytest.mark.slow
@pytest.mark.parametrize(
    "sheet, config, needle",
    [
        (
            "sample\tpath\tframe_rate_hz\npointless\tx.tif\t10\n",
            "",
            "missing column(s) pixel_size_um",
        ),
        (HEADER + "a\tnowhere.tif\t10\t0.4\tyoung\n", "", "movie nowhere.tif not found"),
        (
            HEADER
            + "young_1\tdemo/young_1.tif\t10\t0.4\ty\nyoung_1\tdemo/young_1.tif\t10\t0.4\to\n",
            "",
            "duplicate sample name(s) young_1",
        ),
        (None, "segmentaton:\n  smooth_um: 1\n", "unknown setting(s) segmentaton"),
    ],
)
def test_bad_sample_sheet_or_config_is_reported(tmp_path, sheet, config, needle):
    """One line names the file and what was wrong; nothing runs."""
    shutil.copytree(ROOT / "config", tmp_path / "config")
    if sheet is not None:
        (tmp_path / "config" / "samples.tsv").write_text(sheet)
    cmd = [*SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(tmp_path), "-n"]
    if config:
        (tmp_path / "extra.yaml").write_text(config)
        cmd += ["--configfile", str(tmp_path / "extra.yaml")]
    r = subprocess.run(cmd, capture_output=True, text=True, env=LOCAL)
    assert r.returncode != 0
    lines = [ln for ln in (r.stdout + r.stderr).splitlines() if needle in ln]
    assert len(lines) == 1, r.stdout + r.stderr
    assert ("samples.tsv" if sheet is not None else "--configfile") in lines[0]
    assert not (tmp_path / "results").exists()


@pytest.mark.slow
def test_movies_in_other_formats_are_workflow_inputs(tmp_path):
    """A pattern of TIFF files and an HDF5 dataset in the sample sheet: the motion job
    takes the files they are read from as its inputs (so Snakemake sees them change) and
    is given the path as written."""
    h5py = pytest.importorskip("h5py")
    import numpy as np
    import tifffile

    shutil.copytree(ROOT / "config", tmp_path / "config")
    movies = tmp_path / "movies"
    movies.mkdir()
    frames = np.zeros((12, 16, 16), np.uint16)
    for k in (1, 2, 10):
        tifffile.imwrite(movies / f"rec_{k}.tif", frames)
    with h5py.File(movies / "movie.h5", "w") as f:
        f["data"] = frames
    (tmp_path / "config" / "samples.tsv").write_text(
        HEADER + "a\tmovies/rec_*.tif\t10\t0.4\tyoung\nb\tmovies/movie.h5:/data\t10\t0.4\told\n"
    )
    cmd = [*SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(tmp_path), "-n", "-p"]
    r = subprocess.run([*cmd, "results/a/motion/stage.json", "results/b/motion/stage.json"],
                       capture_output=True, text=True, env=LOCAL)  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    text = r.stdout + r.stderr
    assert "input: movies/rec_1.tif, movies/rec_2.tif, movies/rec_10.tif" in text
    assert "input: movies/movie.h5\n" in text
    assert "'movies/rec_*.tif' --out results/a" in text
    assert " movies/movie.h5:/data --out results/b" in text


@pytest.mark.slow
def test_ome_zarr_in_and_out_of_the_workflow(tmp_path):
    """An OME-Zarr movie in the sample sheet and motion.corrected_format: ome-zarr: the
    motion job takes the store's files as inputs and declares corrected.ome.zarr as a
    folder output, which segmentation, events and provenance take as input; no job
    declares corrected.tif."""
    pytest.importorskip("zarr")
    import numpy as np

    from astrocalc.io import movie_writer

    shutil.copytree(ROOT / "config", tmp_path / "config")
    with movie_writer(tmp_path / "movie.ome.zarr", (12, 16, 16), np.uint16) as w:
        w.write(np.zeros((12, 16, 16), np.uint16))
    (tmp_path / "config" / "samples.tsv").write_text(
        HEADER + "a\tmovie.ome.zarr\t10\t0.4\tyoung\nb\tmovie.ome.zarr\t10\t0.4\told\n"
    )
    (tmp_path / "zarr.yaml").write_text("motion: {corrected_format: ome-zarr}\n")
    cmd = [*SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(tmp_path)]
    declared = _declared_files([*cmd, "--configfile", str(tmp_path / "zarr.yaml")], "a")
    store = "results/a/motion/corrected.ome.zarr"
    assert store in declared["motion"]["output"]
    assert "movie.ome.zarr/zarr.json" in declared["motion"]["input"]
    for rule in ("segmentation", "events", "provenance"):
        assert store in declared[rule]["input"], rule
    everything = [f for files in declared.values() for f in files["input"] + files["output"]]
    assert not [f for f in everything if f.endswith("corrected.tif")]
