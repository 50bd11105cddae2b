"""Rigid motion correction: astrocalc against peers and the FFT bound, side by side.

    python benchmarks/motion.py [--frames 2000] [--size 512] [--repeats 2]
                                [--peers suite2p] [--backend numpy|cupy]

Writes a synthetic uint16 movie with known subpixel shifts (astrocalc.synth), then runs
each tool in its own process, in turn, ``--repeats`` times: astrocalc (reference +
registration of every frame, the corrected frames computed but not written), the FFT
bound (one rfft2 and two irfft2 per frame, float32, all cores: the least work any
FFT-based registration does) and each available peer. Prints frames/s, peak RSS and shift
RMS error (after removing the constant offset: each tool picks its own reference frame)
for each, and astrocalc's ratios to each.

Peers run from their own environments, never from the project's: pass
``--peer-python suite2p=/path/to/venv/bin/python``. A peer whose environment is not given
or fails to import is reported as not run, with the reason. suite2p 1.1 runs on the CPU
build of torch (``pip install torch==2.13.0 suite2p``); PyPI's torchvision does not import
beside it, and suite2p imports it (through cellpose) without using it for registration, so
``benchmarks/stand_ins/`` provides an import-only torchvision for that worker.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()


# ---------------------------------------------------------------- workers (one process each)
def _peak_rss_mb() -> float:
    """Peak resident memory of this process. VmHWM starts afresh at exec; ru_maxrss would
    carry over the size the driver had when it forked."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def worker_astrocalc(movie: Path, backend: str) -> dict:
    from astrocalc.backend import resolve
    from astrocalc.io import open_movie
    from astrocalc.motion import register_movie

    xp = resolve(backend)
    with open_movie(movie) as m:
        t0 = time.perf_counter()
        result = register_movie(m, None, xp, chunk_frames=256, max_shift_px=20)
        seconds = time.perf_counter() - t0
    return {"seconds": seconds, "shifts": result.shifts[["dy", "dx"]].to_numpy().tolist()}


def worker_bound(movie: Path, backend: str) -> dict:
    """One rfft2 and two irfft2 per float32 frame, read from the same file in blocks of 16
    frames: every core on NumPy (scipy.fft workers=-1), cupyx.scipy.fft on CuPy."""
    from astrocalc.backend import fft_options, resolve, scipy_module, to_numpy
    from astrocalc.io import open_movie

    xp = resolve(backend)
    fft = scipy_module(xp, "fft")
    with open_movie(movie) as m:
        h, w = m.shape[1:]
        t0 = time.perf_counter()
        for _, _, _, block in m.chunks(16):
            spec = fft.rfft2(xp.asarray(block), **fft_options(xp))
            fft.irfft2(spec, s=(h, w), **fft_options(xp))
            to_numpy(fft.irfft2(spec, s=(h, w), **fft_options(xp))[:, 0, 0])
        seconds = time.perf_counter() - t0
    return {"seconds": seconds, "shifts": None}


def worker_suite2p(movie: Path, backend: str) -> dict:
    """suite2p 1.1 rigid registration: registration_wrapper (reference + register_frames)
    on the CPU build of torch."""
    import tifffile
    import torch
    from suite2p.registration import register

    torch.set_num_threads(os.cpu_count() or 1)
    frames = tifffile.imread(movie).astype(np.int16)  # suite2p registers int16 in place
    # registration_wrapper reads the "registration" section of suite2p's settings
    settings = register.default_settings()["registration"]
    settings.update({"nonrigid": False, "do_bidiphase": False})
    device = torch.device("cuda" if backend == "cupy" and torch.cuda.is_available() else "cpu")
    t0 = time.perf_counter()
    out = register.registration_wrapper(frames, settings=settings, device=device)
    seconds = time.perf_counter() - t0
    # suite2p's yoff/xoff are the content displacement (same sign as astrocalc's dy, dx)
    return {"seconds": seconds, "shifts": np.column_stack([out["yoff"], out["xoff"]]).tolist()}


WORKERS = {"astrocalc": worker_astrocalc, "bound": worker_bound, "suite2p": worker_suite2p}


def run_worker(name: str, movie: Path, backend: str, out: Path) -> None:
    result = WORKERS[name](movie, backend)
    result["peak_rss_mb"] = _peak_rss_mb()
    out.write_text(json.dumps(result))


# ---------------------------------------------------------------- driver
def make_movie(path: Path, frames: int, size: int, seed: int) -> np.ndarray:
    from astrocalc import synth

    truth = synth.write(path, shape=(size, size), n_frames=frames, n_domains=60, seed=seed)
    return truth.shifts


def launch(name: str, python: str, movie: Path, backend: str, tmp: Path) -> dict:
    out = tmp / f"{name}.json"
    out.unlink(missing_ok=True)
    cmd = [
        python,
        str(HERE),
        "--worker",
        name,
        "--movie",
        str(movie),
        "--backend",
        backend,
        "--result",
        str(out),
    ]
    paths = [str(HERE.parent.parent)]
    if name == "suite2p":
        paths.insert(0, str(HERE.parent / "stand_ins"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0 or not out.is_file():
        reason = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": reason}
    return json.loads(out.read_text())


def rms(shifts, truth) -> tuple[float, float]:
    err = np.asarray(shifts) - truth
    centred = err - err.mean(axis=0)
    return (
        float(np.sqrt((centred**2).sum(axis=1).mean())),
        float(np.sqrt((err**2).sum(axis=1).mean())),
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=2000)
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--backend", default="numpy", choices=["numpy", "cupy"])
    p.add_argument(
        "--peer-python",
        action="append",
        default=[],
        metavar="NAME=PYTHON",
        help="interpreter of a peer's own environment, e.g. suite2p=/venv/bin/python",
    )
    p.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    p.add_argument("--movie", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        run_worker(args.worker, args.movie, args.backend, args.result)
        return
    peers = dict(item.split("=", 1) for item in args.peer_python)
    tools = {"astrocalc": sys.executable, "bound": sys.executable, **peers}
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        movie = tmp / "movie.tif"
        print(f"writing a {args.frames} x {args.size} x {args.size} uint16 movie ...", flush=True)
        truth = make_movie(movie, args.frames, args.size, args.seed)
        runs: dict[str, list[dict]] = {name: [] for name in tools}
        for _ in range(args.repeats):
            for name, python in tools.items():  # alternating, one process per run
                runs[name].append(launch(name, python, movie, args.backend, tmp))
    rows = {}
    print(f"\n{'tool':<10} {'frames/s':>9} {'peak RSS MB':>12} {'RMS px':>8} {'RMS px raw':>11}")
    for name, results in runs.items():
        ok = [r for r in results if "error" not in r]
        if not ok:
            print(f"{name:<10} not run: {results[0]['error']}")
            continue
        best = min(ok, key=lambda r: r["seconds"])
        fps = args.frames / best["seconds"]
        err = rms(best["shifts"], truth) if best["shifts"] is not None else (np.nan, np.nan)
        if best["shifts"] is not None and rms(-np.asarray(best["shifts"]), truth)[0] < err[0]:
            print(f"warning: {name}'s shifts fit the truth better with the opposite sign")
        rows[name] = fps
        print(
            f"{name:<10} {fps:>9.1f} {max(r['peak_rss_mb'] for r in ok):>12.0f} "
            f"{err[0]:>8.3f} {err[1]:>11.3f}"
        )
    if "astrocalc" in rows:
        for name, fps in rows.items():
            if name != "astrocalc":
                print(f"astrocalc / {name}: {rows['astrocalc'] / fps:.2f}x frames/s")


if __name__ == "__main__":
    main()
