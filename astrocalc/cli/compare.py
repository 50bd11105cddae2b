"""astrocalc compare: pool finished recordings by a sample-sheet column."""

from __future__ import annotations

import logging

log = logging.getLogger("astrocalc")


def register(sub) -> None:
    p = sub.add_parser(
        "compare",
        help="compare finished recordings grouped by a sample-sheet column",
        description="Per-recording summaries (summary.csv), group tests "
        "(tests.csv), the fitted input rates pooled per group (condition.csv) and a "
        "group figure (compare.png/.svg/.pdf).",
    )
    p.add_argument("--samples", required=True, metavar="TSV", help="sample sheet (samples.tsv)")
    p.add_argument(
        "--results",
        required=True,
        metavar="DIR",
        help="folder holding one results folder per sample (results/)",
    )
    p.add_argument("--by", default="condition", help="grouping column (default: condition)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (results/compare)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    p.set_defaults(func=main)


def main(args) -> None:
    from ..compare import compare_recordings
    from ..io.outputs import StageOutput, write_csv
    from ..layout import COMPARE
    from ..plots import plot_compare
    from ..samples import read_samples

    result = compare_recordings(read_samples(args.samples), args.results, args.by)
    summary = result.summary
    with StageOutput(args.out, overwrite=args.overwrite) as tmp:
        write_csv(tmp / "summary.csv", summary)
        write_csv(tmp / "tests.csv", result.tests)
        write_csv(tmp / "condition.csv", result.condition)
        plot_compare(summary, args.by, tmp / "compare.png", tests=result.tests)
        COMPARE.check_written(tmp, None)
    log.info(
        "compare: %d recordings in %d groups -> %s",
        len(summary),
        summary[args.by].nunique(),
        args.out,
    )
