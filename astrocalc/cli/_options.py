"""Options shared by several subcommands."""

from __future__ import annotations

import json
import logging

from .. import config as cfg
from ..errors import InputError

log = logging.getLogger("astrocalc")


def add_config(p) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--config",
        metavar="FILE",
        help="YAML file of science settings (see config/config.yaml); defaults otherwise",
    )
    g.add_argument(
        "--config-json",
        metavar="JSON",
        help="the same settings as a JSON string (used by the Snakemake rules)",
    )
    p.add_argument(
        "--backend",
        choices=["auto", "numpy", "cupy"],
        help="array backend, overriding the config's (the Snakemake rules pass cupy to a job "
        "granted a GPU)",
    )


def add_out(p) -> None:
    p.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="results folder for this recording (CONTRACT.md layout)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace results already in DIR (otherwise an error)",
    )


def add_movie(p) -> None:
    p.add_argument(
        "movie",
        metavar="MOVIE",
        help="movie (T, Y, X): TIFF file, folder or pattern of TIFFs, HDF5 "
        "(file.h5[:dataset]), NWB (file.nwb[:series]), suite2p folder, OME-Zarr "
        "(folder.zarr), or Zeiss, Nikon, Leica (file.czi, .nd2, .lif[:scene])",
    )


def add_calibration(p) -> None:
    p.add_argument(
        "--frame-rate",
        type=float,
        metavar="HZ",
        help="frames per second (Hz); overrides the file's metadata",
    )
    p.add_argument(
        "--pixel-size",
        type=float,
        metavar="UM",
        help="pixel edge length in micrometres (um); overrides the file's metadata",
    )


def load_config(args) -> dict:
    if getattr(args, "config_json", None):
        try:
            data = json.loads(args.config_json)
        except json.JSONDecodeError as exc:
            raise InputError(f"--config-json: not valid JSON ({exc})") from None
        config = cfg.validate(data, source="--config-json")
    else:
        config = cfg.load(getattr(args, "config", None))
    if getattr(args, "backend", None):
        config["backend"] = args.backend
    return config
