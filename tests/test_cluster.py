"""The workflow on a real SLURM cluster and after a crash: the same tables as a plain run.

The reference is one local run of a two-recording demo (64 x 64 px, 40 s). The SLURM test
starts a single-node cluster with ../shared/tools/slurm (root only; it installs SLURM
from Debian's packages where missing), runs the same workflow through
``--executor slurm`` under ``timeout -s KILL`` and always stops the daemons. The crash
test kills a local run mid-stage (SIGKILL to Snakemake and its jobs) and runs it again.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import local_snakemake_env

ROOT = Path(__file__).resolve().parents[1]
SLURM_TOOLS = ROOT.parent / "shared" / "tools" / "slurm"
SNAKEMAKE = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")]
LOCAL = local_snakemake_env()  # the runs that do not use SLURM

SAMPLES = "sample\tpath\tframe_rate_hz\tpixel_size_um\tcondition\n" + "".join(
    f"{name}\tdemo/{name}.tif\t10\t0.4\t{name.split('_')[0]}\n" for name in ("young_1", "old_1")
)
SMALL = """demo:
  young_1: {synchrony: 0.8, seed: 1, frames: 400, size: [64, 64]}
  old_1: {synchrony: 0.0, seed: 2, frames: 400, size: [64, 64]}
model: {duration_s: 20, posterior_runs: 3}
fit: {max_duration_s: 30, n_astrocytes: 2, predictive_recordings: 39}
"""
# a cluster without accounting (no slurmdbd): squeue for job status, no account
SLURM_CI = [
    "--workflow-profile",
    str(ROOT / "workflow" / "profiles" / "slurm"),
    "--slurm-status-command",
    "squeue",
    "--slurm-no-account",
    "--slurm-init-seconds-before-status-checks",
    "2",
    "--seconds-between-status-checks",
    "2",
    "--latency-wait",
    "5",
    "--jobs",
    "2",
]


def workflow_dir(path: Path) -> Path:
    (path / "config").mkdir(parents=True)
    shutil.copy(ROOT / "config" / "config.yaml", path / "config" / "config.yaml")
    (path / "config" / "samples.tsv").write_text(SAMPLES)
    (path / "small.yaml").write_text(SMALL)
    return path


def snakemake_cmd(path: Path, *extra: str) -> list[str]:
    return [*SNAKEMAKE, "--directory", str(path), "--configfile", str(path / "small.yaml"), *extra]


def run_locally(path: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(snakemake_cmd(path, *extra), capture_output=True, text=True, env=LOCAL)


def tables(path: Path) -> dict[str, bytes]:
    """Every CSV the workflow wrote, by path relative to results/."""
    found = {
        str(f.relative_to(path / "results")): f.read_bytes() for f in path.glob("results/**/*.csv")
    }
    assert len(found) > 20, sorted(found)
    return found


def assert_same_tables(a: Path, b: Path) -> None:
    ta, tb = tables(a), tables(b)
    assert sorted(ta) == sorted(tb)
    differ = [name for name in ta if ta[name] != tb[name]]
    assert not differ, differ


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    path = workflow_dir(tmp_path_factory.mktemp("local"))
    r = run_locally(path, "--cores", "2")
    assert r.returncode == 0, r.stderr[-3000:]
    return path


def _slurm_unavailable() -> str | None:
    if not (SLURM_TOOLS / "start_slurm.sh").is_file():
        return f"{SLURM_TOOLS} not found (the workplace's single-node SLURM scripts)"
    if os.geteuid() != 0:
        return "starting a SLURM cluster needs root"
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        return "snakemake-executor-plugin-slurm not installed (extra 'slurm')"
    return None


@pytest.mark.slow
@pytest.mark.skipif(_slurm_unavailable() is not None, reason=str(_slurm_unavailable()))
def test_slurm_run_equals_local_run(local_run, tmp_path):
    path = workflow_dir(tmp_path / "slurm")
    try:
        start = subprocess.run(
            ["timeout", "-s", "KILL", "900", "bash", str(SLURM_TOOLS / "start_slurm.sh")],
            capture_output=True,
            text=True,
        )
        assert start.returncode == 0, start.stdout[-2000:] + start.stderr[-2000:]
        r = subprocess.run(
            ["timeout", "-s", "KILL", "900", *snakemake_cmd(path, *SLURM_CI)],
            capture_output=True,
            text=True,
        )
        assert r.returncode == 0, r.stderr[-4000:]
        # the jobs really went through SLURM: one job log per cluster job
        assert "submitted with SLURM jobid" in r.stdout + r.stderr
    finally:
        subprocess.run(
            ["timeout", "-s", "KILL", "120", "bash", str(SLURM_TOOLS / "stop_slurm.sh")],
            capture_output=True,
        )
    assert_same_tables(local_run, path)


def test_gpu_profile_runs_array_stages_on_cupy(tmp_path):
    """slurm-gpu asks for a GPU for the array stages and gives them backend cupy; the
    others stay on the configured backend (dry run: no cluster needed)."""
    path = workflow_dir(tmp_path)
    profile = str(ROOT / "workflow" / "profiles" / "slurm-gpu")
    r = subprocess.run(
        snakemake_cmd(path, "--workflow-profile", profile, "-n", "-p"),
        capture_output=True,
        text=True,
        env=LOCAL,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    jobs = (r.stdout + r.stderr).split("\nrule ")[1:]
    seen = set()
    for job in jobs:
        rule = job.split(":", 1)[0]
        if rule in ("motion", "segmentation", "events", "correlation"):
            assert "gpu=1" in job and "--backend cupy" in job, job
        elif rule in ("fit", "simulation"):
            assert "gpu=" not in job and "--backend" not in job, job
            assert '"backend": "auto"' in job, job
        seen.add(rule)
    assert {"motion", "segmentation", "events", "correlation", "fit", "simulation"} <= seen


def _stage_in_progress(path: Path) -> bool:
    return any(".partial-" in p.name for p in path.glob("results/*/.*"))


@pytest.mark.slow
def test_killed_run_reruns_to_the_same_tables(local_run, tmp_path):
    """SIGKILL to Snakemake and every job while a stage writes its outputs; after
    ``--unlock`` the rerun redoes the incomplete jobs (rerun-incomplete, default profile)
    and gives the uninterrupted run's tables, and no temporary folder is left."""
    path = workflow_dir(tmp_path / "killed")
    proc = subprocess.Popen(
        snakemake_cmd(path, "--cores", "2"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=LOCAL,
    )
    try:
        deadline = time.monotonic() + 600
        while not _stage_in_progress(path) and proc.poll() is None:
            assert time.monotonic() < deadline, "no stage started within 10 min"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert _stage_in_progress(path)
    # what a user does after a crash: Snakemake's lock of the dead run stays until --unlock
    locked = run_locally(path, "--cores", "2")
    assert locked.returncode != 0 and "--unlock" in locked.stderr
    unlock = run_locally(path, "--unlock")
    assert unlock.returncode == 0, unlock.stderr[-3000:]
    r = run_locally(path, "--cores", "2")
    assert r.returncode == 0, r.stderr[-3000:]
    assert not _stage_in_progress(path), list(path.glob("results/*/.*"))
    assert_same_tables(local_run, path)
