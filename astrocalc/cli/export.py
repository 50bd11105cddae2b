"""astrocalc export-nwb: a results folder's ROIs, dF/F traces and events as an NWB file."""

from __future__ import annotations

import logging

log = logging.getLogger("astrocalc")


def register(sub) -> None:
    p = sub.add_parser(
        "export-nwb",
        help="write a results folder's ROIs, dF/F traces and events to an NWB file",
        description="ROIs (pixel masks, compartments), dF/F traces and calcium events of a "
        "finished results folder as an NWB 2 file (needs the extra: pip install "
        "'astrocalc[nwb]').",
    )
    p.add_argument("--out", required=True, metavar="DIR", help="finished results folder")
    p.add_argument("--nwb", metavar="FILE", help="NWB file to write (default: DIR/astrocalc.nwb)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing NWB file")
    p.set_defaults(func=main)


def main(args) -> None:
    from pathlib import Path

    from .. import layout
    from ..io.nwb import export_nwb

    target = Path(args.nwb) if args.nwb else layout.path(args.out, "astrocalc.nwb")
    log.info("NWB file: %s", export_nwb(args.out, target, overwrite=args.overwrite))
