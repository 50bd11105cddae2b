"""Stage 1, motion: raw movie -> motion/ (corrected movie, shifts.csv, reference.tif, qc.png)."""

from __future__ import annotations

import logging
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..io.outputs import write_csv
from ..io.tiff import movie_writer, open_movie, reopen_movie, write_image
from ..layout import CORRECTED, MOTION
from ..motion import crispness, register_movie, rescaled_frame_by_frame, sample_frames
from ..settings import stream_frames
from ._common import StageClock, backend, sha256, stage_output, write_stage_record

log = logging.getLogger(__name__)

# frames, evenly spaced, read to tell whether a recording was rescaled frame by frame
NORMALIZE_SAMPLE = 20


def interpolate_frames(path: Path, frames) -> list[int]:
    """Replace ``frames`` of the movie at ``path`` (a finished float32 movie) by linear
    interpolation between the nearest frames that are not replaced (the nearest one at
    the ends). Returns the replaced frame indices. Used to keep flagged frames (z-motion,
    artefacts) out of segmentation, events and correlation without changing the time
    base."""
    bad = sorted(int(i) for i in frames)
    with open_movie(path, require_calibration=False) as movie:
        good = np.setdiff1d(np.arange(movie.n_frames), bad)
        if not len(bad) or not len(good):
            return []
        new = {}
        for i in bad:
            k = int(np.searchsorted(good, i))
            before = good[k - 1] if k > 0 else None
            after = good[k] if k < len(good) else None
            if before is None or after is None:
                j = after if before is None else before
                new[i] = movie.read(j, j + 1)[0]
            else:
                a = (after - i) / (after - before)
                new[i] = (
                    a * movie.read(before, before + 1)[0]
                    + (1 - a) * movie.read(after, after + 1)[0]
                )
    with reopen_movie(path) as writer:
        for i, frame in new.items():
            writer.write_at(i, frame[None])
    return bad


def run_motion(
    movie_path: str | Path,
    out: str | Path,
    *,
    config: dict,
    frame_rate_hz: float | None = None,
    pixel_size_um: float | None = None,
    overwrite: bool = False,
    progress=None,
) -> Path:
    """Correct motion of ``movie_path`` into ``out/motion``; returns that folder."""
    from ..plots import plot_motion_qc  # deferred: matplotlib is slow to import

    out = Path(out)
    xp = backend(config)
    mc = config["motion"]
    calibration = {"frame_rate_hz": frame_rate_hz, "pixel_size_um": pixel_size_um}
    with ExitStack() as stack:
        movie = stack.enter_context(open_movie(movie_path, channel=mc["channel"], **calibration))
        movie.track_range = True  # a constant movie is refused once every frame was read
        guide = None
        if mc["reference_channel"] is not None and mc["reference_channel"] != movie.channel:
            guide = stack.enter_context(
                open_movie(movie_path, channel=mc["reference_channel"], **calibration)
            )
        clock = StageClock("motion", config, xp)
        t, h, w = movie.shape
        max_shift_px = min(mc["max_shift_um"] / movie.pixel_size_um, h / 4, w / 4)
        log.info(
            "motion: %s, %d frames of %dx%d, %.3g Hz, %.3g um/px, backend %s",
            movie.path,
            t,
            h,
            w,
            movie.frame_rate_hz,
            movie.pixel_size_um,
            xp.__name__,
        )
        normalize = mc["normalize_intensity"]
        if normalize == "auto":
            normalize = rescaled_frame_by_frame(sample_frames(movie, NORMALIZE_SAMPLE, np))
            if normalize:
                log.info(
                    "motion: %s: every frame spans the same range (rescaled frame by frame, "
                    "as 8-bit video exports are); frame-wide changes are undone frame by "
                    "frame (motion.normalize_intensity)",
                    movie.path,
                )
        piecewise = None
        if mc["piecewise"]:
            if mc["block_size_px"] > min(h, w):
                raise InputError(
                    f"{movie.path}: frames of {h}x{w} pixels are smaller than the piecewise "
                    f"block (motion.block_size_px = {mc['block_size_px']}); expected "
                    f"block_size_px <= {min(h, w)}, or motion.piecewise: false"
                )
            piecewise = {
                "size_px": mc["block_size_px"],
                "overlap": mc["block_overlap"],
                "max_shift_px": mc["block_max_shift_um"] / movie.pixel_size_um,
            }
        with stage_output(MOTION, out, config, overwrite=overwrite) as tmp:
            corrected = tmp / Path(CORRECTED[mc["corrected_format"]]).name
            with movie_writer(
                corrected,
                movie.shape,
                np.float32,
                frame_rate_hz=movie.frame_rate_hz,
                pixel_size_um=movie.pixel_size_um,
            ) as writer:
                result = register_movie(
                    movie,
                    writer,
                    xp,
                    chunk_frames=stream_frames(config, movie.shape[1:]),
                    max_shift_px=max_shift_px,
                    reference_frames=mc["reference_frames"],
                    reference_iterations=mc["reference_iterations"],
                    smooth_sigma_px=mc["smooth_sigma_px"],
                    flag_decorrelation=mc["flag_decorrelation"],
                    normalize_intensity=normalize,
                    remove_steps=mc["remove_steps"],
                    enabled=mc["enabled"],
                    piecewise=piecewise,
                    guide=guide,
                    progress=progress,
                )
            lo, hi = movie.value_range
            if lo == hi:
                raise InputError(
                    f"{movie.path}: every pixel of every frame is {lo:g} (a constant movie); "
                    "expected a recording whose intensity varies"
                )
            replaced = []
            if mc["flagged_frames"] == "interpolate":
                replaced = interpolate_frames(
                    corrected, np.flatnonzero(result.shifts.flagged.to_numpy())
                )
                result.shifts["interpolated"] = np.isin(result.shifts.frame, replaced)
            write_csv(tmp / "shifts.csv", result.shifts)
            if result.block_shifts is not None:
                np.save(tmp / "shifts_piecewise.npy", result.block_shifts)
                write_csv(tmp / "blocks.csv", result.blocks)
            write_image(tmp / "reference.tif", result.reference, pixel_size_um=movie.pixel_size_um)
            sharp = (crispness(result.mean_before), crispness(result.mean_after))
            plot_motion_qc(
                result.shifts,
                result.mean_before,
                result.mean_after,
                tmp / "qc.png",
                frame_rate_hz=movie.frame_rate_hz,
                pixel_size_um=movie.pixel_size_um,
                crispness=sharp,
            )
            s = result.shifts
            write_stage_record(
                tmp,
                clock.record(
                    recording={
                        "input": str(Path(movie_path).resolve()),
                        "sha256": sha256(*movie.files),
                        "shape": list(movie.shape),
                        "dtype": movie.dtype.name,
                        "frame_rate_hz": movie.frame_rate_hz,
                        "pixel_size_um": movie.pixel_size_um,
                    },
                    qc={
                        "max_abs_shift_px": float(np.abs(s[["dy", "dx"]].to_numpy()).max()),
                        "shift_sd_px": [float(s.dy.std()), float(s.dx.std())],
                        "median_corr_before": float(np.nanmedian(s.corr_before)),
                        "median_corr_after": float(np.nanmedian(s["corr"])),
                        "crispness_before": sharp[0],
                        "crispness_after": sharp[1],
                        "n_flagged": int(s.flagged.sum()),
                        "interpolated_frames": [int(i) for i in replaced],
                        "intensity_normalized": bool(normalize),
                        "step_frames": (
                            [int(i) for i in np.flatnonzero(s.step)] if "step" in s else []
                        ),
                    },
                ),
            )
    return out / "motion"
