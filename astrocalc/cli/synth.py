"""astrocalc synth OUT.tif: a synthetic astrocyte movie with its ground truth."""

from __future__ import annotations

import logging

from ..errors import InputError

log = logging.getLogger("astrocalc")


def register(sub) -> None:
    p = sub.add_parser(
        "synth",
        help="write a synthetic astrocyte movie and its ground truth",
        description="Synthetic astrocyte movie (soma, branches, microdomains with "
        "Poisson events, propagating global waves, bleaching, noise, motion). The "
        "truth goes to OUT_truth/ beside the movie.",
    )
    p.add_argument("output", metavar="OUT.tif", help="movie to write")
    p.add_argument("--frames", type=int, default=1200, help="number of frames (default 1200)")
    p.add_argument(
        "--size",
        type=int,
        nargs=2,
        default=(128, 128),
        metavar=("Y", "X"),
        help="frame size in pixels (default 128 128)",
    )
    p.add_argument(
        "--frame-rate",
        type=float,
        default=10.0,
        metavar="HZ",
        help="frames per second, Hz (default 10)",
    )
    p.add_argument(
        "--pixel-size",
        type=float,
        default=0.4,
        metavar="UM",
        help="pixel edge length, um (default 0.4)",
    )
    p.add_argument("--domains", type=int, default=30, help="number of microdomains (default 30)")
    p.add_argument(
        "--rate",
        type=float,
        default=4.0,
        metavar="PER_MIN",
        help="events per microdomain per minute, local + global (default 4)",
    )
    p.add_argument(
        "--synchrony",
        type=float,
        default=0.3,
        help="share of events that belong to global waves, 0-1 (default 0.3)",
    )
    p.add_argument(
        "--noise",
        type=float,
        default=1.0,
        help="noise level relative to the demo (shot + read noise SD factor; default 1)",
    )
    p.add_argument(
        "--motion",
        type=float,
        default=1.0,
        metavar="PX",
        help="SD of the rigid random-walk motion, pixels (default 1)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing OUT.tif")
    p.set_defaults(func=main)


def main(args) -> None:
    from pathlib import Path

    from .. import synth

    out = Path(args.output)
    if out.exists() and not args.overwrite:
        raise InputError(f"{out}: already exists (pass --overwrite to replace it)")
    checks = [
        ("--frames", args.frames >= 10, "at least 10"),
        ("--size", min(args.size) >= 32, "at least 32 x 32 pixels"),
        ("--frame-rate", args.frame_rate > 0, "a positive number"),
        ("--pixel-size", args.pixel_size > 0, "a positive number"),
        ("--synchrony", 0 <= args.synchrony <= 1, "between 0 and 1"),
        ("--noise", args.noise > 0, "a positive number"),
        ("--rate", args.rate >= 0, "zero or more"),
        ("--domains", args.domains >= 0, "zero or more"),
    ]
    for flag, ok, expected in checks:
        if not ok:
            raise InputError(f"{flag}: expected {expected}")
    truth = synth.write(
        out,
        shape=tuple(args.size),
        n_frames=args.frames,
        frame_rate_hz=args.frame_rate,
        pixel_size_um=args.pixel_size,
        n_domains=args.domains,
        event_rate_per_min=args.rate,
        synchrony=args.synchrony,
        noise=args.noise,
        motion_px=args.motion,
        seed=args.seed,
    )
    log.info(
        "wrote %s (%d frames, %d microdomains, %d events) and its truth in %s_truth/",
        out,
        args.frames,
        int(truth.labels.max()),
        len(truth.events),
        out.with_suffix(""),
    )
