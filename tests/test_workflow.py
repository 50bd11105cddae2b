"""The Snakemake workflow: lint, and a small two-condition demo end to end."""

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]

SMALL = """
demo:
  young: {synchrony: 0.6, seed: 1, frames: 400, size: [64, 64]}
  old: {synchrony: 0.1, seed: 2, frames: 400, size: [64, 64]}
model: {duration_s: 20}
fit: {duration_s: 30, n_astrocytes: 2}
"""


def test_lint_is_clean():
    r = subprocess.run(
        [*SNAKEMAKE, "--lint", "-s", str(ROOT / "Snakefile")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Lints for" not in r.stdout + r.stderr


@pytest.mark.slow
def test_demo_workflow_end_to_end(tmp_path):
    shutil.copytree(ROOT / "config", tmp_path / "config")
    (tmp_path / "small.yaml").write_text(SMALL)
    cmd = [
        *SNAKEMAKE,
        "-s",
        str(ROOT / "Snakefile"),
        "--directory",
        str(tmp_path),
        "--configfile",
        str(tmp_path / "small.yaml"),
        "--cores",
        "2",
    ]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    for sample in ("young", "old"):
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
    assert summary["sample"].tolist() == ["young", "old"]
    r_young, r_old = summary.set_index("sample").mean_pairwise_r[["young", "old"]]
    assert r_young > r_old
    # one recording per group: the test over pooled pairs is the one that can tell
    tests = pd.read_csv(tmp_path / "results" / "compare" / "tests.csv")
    pooled = tests[tests.test == "mann_whitney_pairs"].iloc[0]
    assert pooled.value > 0 and pooled.p < 0.05, pooled.to_dict()
    for ext in ("png", "svg", "pdf"):
        assert (tmp_path / "results" / "compare" / f"compare.{ext}").is_file()
    # figures keep their text as text (editable in Illustrator or Inkscape)
    for svg in ("compare/compare.svg", "young/correlation/panel.svg"):
        assert "<text" in (tmp_path / "results" / svg).read_text(), svg
    again = subprocess.run([*cmd, "-n"], capture_output=True, text=True)
    assert "Nothing to be done" in again.stdout + again.stderr


def test_bad_sample_sheet_is_reported(tmp_path):
    shutil.copytree(ROOT / "config", tmp_path / "config")
    (tmp_path / "config" / "samples.tsv").write_text(
        "sample\tpath\tframe_rate_hz\npointless\tx.tif\t10\n"
    )
    r = subprocess.run(
        [*SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(tmp_path), "-n"],
        capture_output=True,
        text=True,
    )
    assert r.returncode != 0
    assert "missing column(s) pixel_size_um" in r.stdout + r.stderr
