"""One subcommand per stage: motion, segment, events, correlate, fit, simulate, provenance."""

from __future__ import annotations

from ..progress import reporter
from ._options import add_calibration, add_config, add_movie, add_out, load_config

STAGES = {
    "segment": ("run_segmentation", "find microdomain, process and soma ROIs (needs motion/)"),
    "events": ("run_events", "dF/F traces and calcium events per ROI (needs segmentation/)"),
    "correlate": ("run_correlation", "ROI x ROI correlation, null p-values, maps (needs events/)"),
    "fit": ("run_fit", "fit the astrocyte model to the event statistics (needs correlation/)"),
    "simulate": ("run_simulation", "simulate the fitted astrocyte gating plasticity (needs fit/)"),
}


def register(sub) -> None:
    p = sub.add_parser(
        "motion",
        help="correct motion of a movie (first stage)",
        description="Rigid subpixel motion correction of a movie into DIR/motion/.",
    )
    add_movie(p)
    add_out(p)
    add_calibration(p)
    add_config(p)
    p.set_defaults(func=_motion)
    for name, (func, text) in STAGES.items():
        p = sub.add_parser(name, help=text, description=text.capitalize() + ".")
        add_out(p)
        add_config(p)
        p.set_defaults(func=_stage, stage_func=func)
    p = sub.add_parser("provenance", help="write DIR/run.json from the stages' records")
    add_out(p)
    p.set_defaults(func=_provenance)


def _motion(args) -> None:
    from ..pipeline import run_motion

    run_motion(
        args.movie,
        args.out,
        config=load_config(args),
        frame_rate_hz=args.frame_rate,
        pixel_size_um=args.pixel_size,
        overwrite=args.overwrite,
        progress=reporter("motion"),
    )


def _stage(args) -> None:
    from .. import pipeline

    getattr(pipeline, args.stage_func)(args.out, config=load_config(args), overwrite=args.overwrite)


def _provenance(args) -> None:
    from ..pipeline import write_run_json

    write_run_json(args.out, overwrite=args.overwrite)
