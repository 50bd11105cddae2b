"""The ``astrocalc`` command: one subcommand per stage, plus run, synth and compare.

Heavy imports happen inside each subcommand, so ``astrocalc --help`` is quick. Errors a
user can fix (bad file, bad setting) print one line and exit with status 2.
"""

from __future__ import annotations

import argparse
import errno
import logging
import signal
import sys

from .. import __version__
from ..backend import one_heap
from ..errors import InputError
from . import compare, export, protocols, run, stages, synth

SUBCOMMANDS = (run, stages, synth, compare, protocols, export)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="astrocalc",
        description="Astrocyte calcium imaging: motion correction, microdomain ROIs, events, "
        "correlation maps and astrocyte-gated plasticity models.",
    )
    parser.add_argument("--version", action="version", version=f"astrocalc {__version__}")
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="verbosity of the log on stderr (default: INFO)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.register(sub)
    return parser


class Terminated(BaseException):
    """SIGTERM (scancel, a cluster's time limit, Snakemake stopping its jobs). Not an
    Exception, as KeyboardInterrupt is not: a library's ``except Exception`` fallback
    (matplotlib's optional imports, for one) must not swallow it and carry on."""


def _on_sigterm(signum, frame):
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    one_heap()  # before any thread starts: the process is ours
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
        force=True,
    )
    logging.getLogger("matplotlib").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # PDF font subsetting
    # as an exception, so that half-written outputs are removed on the way out
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        args.func(args)
    except InputError as exc:
        print(f"astrocalc: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        where = f" ({exc.filename})" if exc.filename else ""
        print(
            f"astrocalc: error: disk full{where}: {exc.strerror}; no partial results were kept",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print("astrocalc: interrupted; no partial results were kept", file=sys.stderr)
        return 130
    except Terminated:
        print("astrocalc: terminated (SIGTERM); no partial results were kept", file=sys.stderr)
        return 143
    return 0
