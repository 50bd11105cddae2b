"""Progress of long passes over a movie.

On a terminal, one line redrawn in place (a bar, frames done, time left); otherwise (a
log file, a cluster job, a pipe) one log record every 10 %, so that logs show how far a
stage got without being flooded.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable

log = logging.getLogger("astrocalc")

BAR_WIDTH = 30


def reporter(label: str, *, stream=None) -> Callable[[int, int], None]:
    """A callback ``report(done, total)`` for frames done out of ``total``."""
    stream = stream if stream is not None else sys.stderr
    interactive = stream.isatty() and log.isEnabledFor(logging.INFO)
    t0 = time.monotonic()
    state = {"next": 0.1}

    def report(done: int, total: int) -> None:
        if not total:
            return
        share = done / total
        if interactive:
            elapsed = time.monotonic() - t0
            left = elapsed * (total - done) / done if done else 0.0
            bar = "#" * int(BAR_WIDTH * share)
            stream.write(
                f"\r{label} [{bar:<{BAR_WIDTH}}] {100 * share:3.0f} % "
                f"{done}/{total} frames, {left:.0f} s left "
            )
            if done >= total:
                stream.write("\n")
            stream.flush()
        elif share >= state["next"] - 1e-12:
            log.info("%s: %d/%d frames (%.0f %%)", label, done, total, 100 * share)
            while state["next"] <= share + 1e-12:
                state["next"] += 0.1

    return report
