"""Shared fixtures: backends, synthetic movies with ground truth, real-data location."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

from astrocalc import config, synth
from astrocalc.pipeline import run_all

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"

# the demo recordings of config/config.yaml (same parameters as `astrocalc synth`)
DEMO = {"young": {"synchrony": 0.6, "seed": 1}, "old": {"synchrony": 0.1, "seed": 2}}

# a short fit and plasticity simulation, for tests of what the stages write and of the
# stages before them; how well the fit works is tested in tests/fit on full settings
SHORT_FIT = {
    "fit": {"n_astrocytes": 4, "max_iterations": 2, "predictive_recordings": 39},
    "model": {"duration_s": 60.0, "posterior_runs": 3},
}


# The SLURM executor plugin (extra 'slurm') is imported whenever Snakemake starts and asks
# `scontrol show config` for MinJobAge; where SLURM is installed but no controller runs (as
# on the CI machine outside the SLURM test) scontrol retries for 9 s. Snakemake runs that
# do not use SLURM put a stand-in that fails at once first on their PATH.
NO_SLURM = ROOT / "tests" / "no_slurm"


def local_snakemake_env() -> dict[str, str]:
    """The environment for a Snakemake run without SLURM."""
    return {**os.environ, "PATH": f"{NO_SLURM}{os.pathsep}{os.environ.get('PATH', '')}"}


def short_fit(cfg: dict) -> dict:
    """``cfg`` with :data:`SHORT_FIT`'s settings."""
    for section, values in SHORT_FIT.items():
        cfg[section].update(values)
    return cfg


# test files by their time on 2 cores, longest first (make test, 2026-12-03: workflow
# 580 s, recovery 490 s, cluster 400 s, ...). With ``--dist loadfile`` a worker takes
# the next file when it is free; xdist's default order (most tests first) started the
# longest files last, so one worker ran them while the other had nothing left to do.
LONGEST_FIRST = (
    "tests/test_workflow.py",
    "tests/fit/test_recovery.py",
    "tests/test_cluster.py",
    "tests/test_pipeline.py",
    "tests/test_cli.py",
    "tests/test_realdata.py",
    "tests/test_independent_accuracy.py",
    "tests/models/test_oscillations.py",
    "tests/fit/test_fit.py",
    "tests/events/test_pixel_events.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


def _cupy_usable() -> bool:
    if importlib.util.find_spec("cupy") is None:
        return False
    from astrocalc.backend import cupy_usable

    return cupy_usable()


@pytest.fixture(params=["numpy", pytest.param("cupy", marks=pytest.mark.gpu)])
def xp(request):
    """The array module under test; the CuPy case skips cleanly without CUDA."""
    if request.param == "cupy":
        if not _cupy_usable():
            pytest.skip("CuPy with a CUDA device is not available")
        import cupy

        return cupy
    return np


def real_file(name: str) -> Path:
    path = REAL / name
    if not path.is_file():
        pytest.skip(f"real recording {path} is not present (shared/data/real is absent)")
    return path


@pytest.fixture(scope="session")
def defaults():
    return config.defaults()


@pytest.fixture(scope="session")
def small_movie(tmp_path_factory):
    """A small synthetic recording (64 x 64, 300 frames) on disk, and its truth."""
    path = tmp_path_factory.mktemp("small") / "small.tif"
    truth = synth.write(
        path,
        shape=(64, 64),
        n_frames=300,
        n_domains=8,
        synchrony=0.3,
        event_rate_per_min=8.0,
        seed=11,
    )
    return path, truth


@pytest.fixture(scope="session")
def demo_runs(tmp_path_factory):
    """Both demo recordings written and run through every stage: {name: (results, truth)}."""
    base = tmp_path_factory.mktemp("demo")
    out = {}
    for name, params in DEMO.items():
        movie = base / f"{name}.tif"
        truth = synth.write(movie, **params)
        out[name] = (run_all(movie, base / name, config=short_fit(config.defaults())), truth)
    return out
