"""astrocalc export-nwb: a results folder's ROIs, dF/F traces and events as an NWB file."""

from __future__ import annotations

import logging

from ..io.nwb import METADATA

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
    p.add_argument(
        "--samples",
        metavar="TSV",
        help="sample sheet whose row --sample gives the subject and session metadata "
        "(columns named as the options below)",
    )
    p.add_argument("--sample", metavar="NAME", help="the recording's row of --samples")
    group = p.add_argument_group(
        "subject and session (DANDI requires subject id, species, sex, age)"
    )
    for name, text in METADATA.items():
        group.add_argument(f"--{name.replace('_', '-')}", dest=name, metavar="TEXT", help=text)
    p.set_defaults(func=main)


def main(args) -> None:
    from pathlib import Path

    import pandas as pd

    from .. import layout
    from ..errors import InputError
    from ..io.nwb import export_nwb, missing_for_dandi
    from ..samples import read_samples

    metadata = {}
    if (args.samples is None) != (args.sample is None):
        raise InputError("--samples and --sample: expected both (the sheet and the row) or neither")
    if args.samples is not None:
        sheet = read_samples(args.samples, check_files=False).set_index("sample", drop=False)
        if args.sample not in sheet.index:
            raise InputError(f"{args.samples}: no sample '{args.sample}'")
        row = sheet.loc[args.sample]
        metadata = {k: row[k] for k in METADATA if k in row and pd.notna(row[k])}
    metadata.update({k: getattr(args, k) for k in METADATA if getattr(args, k) is not None})
    missing = missing_for_dandi(metadata)
    if missing:
        log.warning(
            "NWB: no %s: DANDI refuses files without them (give them as options or "
            "sample-sheet columns, see --help)",
            ", ".join(missing),
        )
    target = Path(args.nwb) if args.nwb else layout.path(args.out, "astrocalc.nwb")
    log.info(
        "NWB file: %s",
        export_nwb(args.out, target, overwrite=args.overwrite, metadata=metadata),
    )
