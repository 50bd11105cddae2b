"""`astrocalc run`: every stage on one movie, built in a hidden folder, then moved into place."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from ..io.outputs import check_writable, make_partial_dir
from .correlation import run_correlation
from .events import run_events
from .fit import run_fit
from .motion import run_motion
from .provenance import write_run_json
from .segmentation import run_segmentation
from .simulation import run_simulation

log = logging.getLogger(__name__)


def run_all(
    movie_path: str | Path,
    out: str | Path,
    *,
    config: dict,
    frame_rate_hz: float | None = None,
    pixel_size_um: float | None = None,
    overwrite: bool = False,
    progress=None,
) -> Path:
    """Run motion, segmentation, events, correlation, fit and simulation on one movie.

    The results tree (CONTRACT.md) appears at ``out`` only when every stage has finished;
    a failed or killed run leaves at most a hidden ``.<name>.partial-*`` folder beside it.
    """
    out = Path(out)
    check_writable(out, overwrite=overwrite)
    tmp = make_partial_dir(out)
    try:
        run_motion(
            movie_path,
            tmp,
            config=config,
            frame_rate_hz=frame_rate_hz,
            pixel_size_um=pixel_size_um,
            progress=progress,
        )
        for stage in (run_segmentation, run_events, run_correlation, run_fit, run_simulation):
            stage(tmp, config=config)
        write_run_json(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if out.exists():
        shutil.rmtree(out) if out.is_dir() else out.unlink()
    os.replace(tmp, out)
    log.info("results in %s", out)
    return out
