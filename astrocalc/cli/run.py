"""astrocalc run MOVIE --out DIR: the whole pipeline on one movie."""

from __future__ import annotations

from ..progress import reporter
from ._options import add_calibration, add_config, add_movie, add_out, load_config


def register(sub) -> None:
    p = sub.add_parser(
        "run",
        help="run every stage on one movie",
        description="Motion, segmentation, events, correlation, fit and "
        "simulation on one movie (T, Y, X). Results appear in DIR only "
        "when every stage has finished.",
    )
    add_movie(p)
    add_out(p)
    add_calibration(p)
    add_config(p)
    p.set_defaults(func=main)


def main(args) -> None:
    from ..pipeline import run_all

    run_all(
        args.movie,
        args.out,
        config=load_config(args),
        frame_rate_hz=args.frame_rate,
        pixel_size_um=args.pixel_size,
        overwrite=args.overwrite,
        progress=reporter("motion"),
    )
