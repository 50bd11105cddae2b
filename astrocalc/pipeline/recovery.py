"""Parameter recovery through the whole pipeline: model -> movie -> every stage -> fit."""

from __future__ import annotations

import json
from pathlib import Path

from .. import layout
from ..fit import write_model_movie
from .run import run_all


def recover(folder: str | Path, theta: dict, *, seed: int, config: dict, **scene) -> dict:
    """Model -> movie -> whole pipeline -> fit: writes ``folder``/movie.tif (unless there)
    from a model astrocyte with parameters ``theta`` and the synthetic scene ``scene``,
    runs every stage with ``config`` into ``folder``/out, and returns the fit's
    parameters.json. The movie's random numbers come from ``seed``, the fit's from the
    config's seed."""
    folder = Path(folder)
    movie = folder / "movie.tif"
    if not movie.exists():
        write_model_movie(movie, theta, model=config["model"], seed=seed, **scene)
    out = run_all(movie, folder / "out", config=config, overwrite=True)
    return json.loads(layout.path(out, "fit/parameters.json").read_text())
