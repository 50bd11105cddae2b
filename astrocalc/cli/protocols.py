"""astrocalc protocols --out DIR: spike-timing and number-of-pairings protocols with and
without the astrocyte (astrocalc.models.timing_sweep, pairing_sweep)."""

from __future__ import annotations

import logging

from ..errors import InputError

log = logging.getLogger("astrocalc")


def register(sub) -> None:
    p = sub.add_parser(
        "protocols",
        help="plasticity protocols with and without the astrocyte",
        description="Weight change against the pairing lag and against the number of "
        "pairings, under plain pair-based STDP and with the astrocyte as a thresholding "
        "integrator for t-LTD (Min & Nevian 2012). Writes timing.csv, pairings.csv and "
        "protocols.png/.svg/.pdf to DIR.",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument(
        "--frequency", type=float, default=0.2, metavar="HZ", help="pairing rate (default 0.2)"
    )
    p.add_argument(
        "--pairings", type=int, default=40, help="pairings of the timing sweep (default 40)"
    )
    p.add_argument(
        "--lag-ms",
        type=float,
        default=-10.0,
        help="post - pre lag of the pairing sweep, ms (default -10: post before pre)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace existing files")
    p.set_defaults(func=main)


def main(args) -> None:
    from pathlib import Path

    import numpy as np

    from ..io.outputs import write_csv
    from ..models import plasticity_protocols
    from ..plots.protocols import plot_protocols

    out = Path(args.out)
    names = ("timing.csv", "pairings.csv", "protocols.png", "protocols.svg", "protocols.pdf")
    clash = [n for n in names if (out / n).exists()]
    if clash and not args.overwrite:
        raise InputError(f"{out / clash[0]}: already exists (pass --overwrite to replace it)")
    flags = {"frequency_hz": "--frequency", "n_pairings": "--pairings", "lag_s": "--lag-ms"}
    try:
        result = plasticity_protocols(
            frequency_hz=args.frequency, n_pairings=args.pairings, lag_s=args.lag_ms / 1e3
        )
    except ValueError as exc:
        name, message = str(exc).split(": ", 1)
        raise InputError(f"{flags[name]}: {message}") from None
    timing, pairings, needed = result.timing, result.pairings, result.pairings_needed
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "timing.csv", timing)
    write_csv(out / "pairings.csv", pairings)
    plot_protocols(
        timing,
        pairings,
        out / "protocols.png",
        n_pairings=args.pairings,
        frequency_hz=args.frequency,
        lag_ms=args.lag_ms,
        threshold_pairings=needed,
    )
    log.info(
        "protocols: t-LTD needs %s pairings at %g Hz; figures in %s",
        f"{needed:.0f}" if np.isfinite(needed) else "more than any number of",
        args.frequency,
        out / "protocols.png",
    )
