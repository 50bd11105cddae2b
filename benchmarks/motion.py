"""Motion correction: astrocalc against peers and the FFT bound, side by side.

    python benchmarks/motion.py [--frames 2000] [--warp-frames 1000] [--size 512]
        [--repeats 2] [--backend numpy|cupy] [--only rigid|piecewise] [--workdir DIR]
        [--peer-python suite2p=PY] [--peer-python jnormcorre=PY]

Rigid part: a synthetic uint16 movie with known subpixel shifts (astrocalc.synth); each
tool runs in its own process, in turn, ``--repeats`` times: astrocalc (reference +
registration of every frame, the corrected frames computed but not written), the FFT
bound (one rfft2 and two irfft2 per float32 frame, all cores: the least work any
FFT-based registration does), suite2p rigid and jnormcorre rigid. Piecewise part: a movie
with shifts and a smooth non-rigid warp (``--warp-px``); astrocalc piecewise-rigid,
suite2p nonrigid and jnormcorre piecewise-rigid, all with 128-pixel blocks, scored on
their block shifts against the true displacement at the block centres. Prints frames/s,
peak RSS and RMS error (after removing the constant offset, per block for block shifts:
each tool picks its own reference) for each, and astrocalc's ratios.

Peers run from their own environments, never from the project's. A peer whose
environment is not given or fails to import is reported as not run, with the reason.
- suite2p 1.1: ``python3 -m venv S && S/bin/pip install torch==2.13.0 suite2p`` (the CPU
  build of torch); PyPI's torchvision does not import beside it, and suite2p imports it
  (through cellpose) without using it for registration, so ``benchmarks/stand_ins/``
  provides an import-only torchvision for that worker.
- jnormcorre 1.0: ``python3 -m venv J && J/bin/pip install torch==2.13.0 && J/bin/pip
  install jax==0.9.2 jaxlib==0.9.2 jnormcorre`` (it fails on JAX 0.10; torch first, or
  it pulls a CUDA build).
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


BLOCK = 128  # block (patch) side for every piecewise-rigid tool, as suite2p's default
MAX_SHIFT = 20


def worker_astrocalc(movie: Path, backend: str, piecewise: bool = False) -> dict:
    from astrocalc.backend import resolve
    from astrocalc.io import open_movie
    from astrocalc.motion import register_movie

    xp = resolve(backend)
    pieces = {"size_px": BLOCK, "overlap": 0.5, "max_shift_px": 5.0} if piecewise else None
    with open_movie(movie) as m:
        t0 = time.perf_counter()
        result = register_movie(
            m, None, xp, chunk_frames=256, max_shift_px=MAX_SHIFT, piecewise=pieces
        )
        seconds = time.perf_counter() - t0
    out = {"seconds": seconds, "shifts": result.shifts[["dy", "dx"]].to_numpy().tolist()}
    if piecewise:
        t = len(result.shifts)
        out["block_shifts"] = result.block_shifts.reshape(t, -1, 2).tolist()
        out["centres"] = result.blocks[["centre_y", "centre_x"]].to_numpy().tolist()
    return out


def worker_astrocalc_pw(movie: Path, backend: str) -> dict:
    return worker_astrocalc(movie, backend, piecewise=True)


def worker_bound(movie: Path, backend: str) -> dict:
    """One rfft2 and two irfft2 per float32 frame, read from the same file in blocks of 16
    frames: every core on NumPy (scipy.fft workers=-1), cupyx.scipy.fft on CuPy. The
    inverse is astrocalc's own (:func:`astrocalc.backend.irfft2`): the bound makes no
    slower call than astrocalc does."""
    from astrocalc.backend import fft_options, irfft2, resolve, scipy_module, to_numpy
    from astrocalc.io import open_movie

    xp = resolve(backend)
    fft = scipy_module(xp, "fft")
    with open_movie(movie) as m:
        h, w = m.shape[1:]
        t0 = time.perf_counter()
        for _, _, _, block in m.chunks(16):
            spec = fft.rfft2(xp.asarray(block), **fft_options(xp))
            irfft2(spec, (h, w))
            to_numpy(irfft2(spec, (h, w))[:, 0, 0])
        seconds = time.perf_counter() - t0
    return {"seconds": seconds, "shifts": None}


def worker_suite2p(movie: Path, backend: str, nonrigid: bool = False) -> dict:
    """suite2p 1.1 registration: registration_wrapper (reference + register_frames) on the
    CPU build of torch; rigid, or nonrigid with its default 128-pixel blocks."""
    import tifffile
    import torch
    from suite2p.registration import nonrigid as s2p_nonrigid
    from suite2p.registration import register

    torch.set_num_threads(os.cpu_count() or 1)
    frames = tifffile.imread(movie).astype(np.int16)  # suite2p registers int16 in place
    # registration_wrapper reads the "registration" section of suite2p's settings
    settings = register.default_settings()["registration"]
    settings.update({"nonrigid": nonrigid, "do_bidiphase": False})
    device = torch.device("cuda" if backend == "cupy" and torch.cuda.is_available() else "cpu")
    t0 = time.perf_counter()
    out = register.registration_wrapper(frames, settings=settings, device=device)
    seconds = time.perf_counter() - t0
    # suite2p's yoff/xoff are the content displacement (same sign as astrocalc's dy, dx)
    result = {"seconds": seconds, "shifts": np.column_stack([out["yoff"], out["xoff"]]).tolist()}
    if nonrigid:
        ly, lx = frames.shape[1:]
        yblock, xblock, *_ = s2p_nonrigid.make_blocks(
            Ly=ly, Lx=lx, block_size=settings["block_size"]
        )
        centres = [
            ((y[0] + y[1] - 1) / 2, (x[0] + x[1] - 1) / 2)
            for y, x in zip(yblock, xblock, strict=True)
        ]
        total = np.stack(
            [out["yoff"][:, None] + out["yoff1"], out["xoff"][:, None] + out["xoff1"]], axis=-1
        )
        result.update(block_shifts=total.tolist(), centres=centres)
    return result


def worker_suite2p_nr(movie: Path, backend: str) -> dict:
    return worker_suite2p(movie, backend, nonrigid=True)


def _jnormcorre_loader(movie: Path):
    import tifffile
    from jnormcorre.utils.lazy_array import lazy_data_loader

    class Loader(lazy_data_loader):  # reads the frames of any contiguous TIFF
        def __init__(self, path):
            self.mm = tifffile.memmap(path, mode="r")

        @property
        def dtype(self):
            return np.float32

        @property
        def shape(self):
            return self.mm.shape

        def _compute_at_indices(self, indices):
            return np.asarray(self.mm[indices], dtype=np.float32)

    return Loader(movie)


def worker_jnormcorre(movie: Path, backend: str, piecewise: bool = False) -> dict:
    """jnormcorre 1.0 (NoRMCorre in JAX): MotionCorrect.motion_correct (templates) then its
    frame corrector over every frame, timed; shifts recomputed untimed with its own
    functions against the final template (motion_correct keeps only some of them)."""
    from jnormcorre import motion_correction as mc

    loader = _jnormcorre_loader(movie)
    t, ly, lx = loader.shape
    stride, overlap = BLOCK * 3 // 4, BLOCK // 4  # patches of BLOCK pixels
    corr = mc.MotionCorrect(
        loader,
        max_shifts=(MAX_SHIFT, MAX_SHIFT),
        pw_rigid=piecewise,
        strides=(stride, stride),
        overlaps=(overlap, overlap),
        max_deviation_rigid=5,
    )
    t0 = time.perf_counter()
    corrector, _ = corr.motion_correct()
    batch = 100
    for start in range(0, t, batch):
        corrector.register_frames(loader[start : start + batch], pw_rigid=piecewise)
    seconds = time.perf_counter() - t0
    template = np.asarray(corrector.template, np.float32)
    add = corrector.add_to_movie
    shifts, blocks = [], []
    for start in range(0, t, batch):
        frames = loader[start : start + batch]
        _, sh = mc.register_frames_to_template_rigid(frames, template, (MAX_SHIFT,) * 2, add)
        shifts.append(-np.asarray(sh))  # the shift it applies: minus the displacement
        if piecewise:
            _, tiles = mc.register_frames_to_template_pwrigid(
                frames, template, stride, stride, overlap, overlap, (MAX_SHIFT,) * 2, 10, 5, add
            )
            blocks.append(-np.asarray(tiles))
    result = {"seconds": seconds, "shifts": np.concatenate(shifts).tolist()}
    if piecewise:
        ys, xs = mc.get_indices(np.zeros((ly, lx)), overlap, overlap, stride, stride)
        size = stride + overlap
        centres = [
            (y + (size - 1) / 2, x + (size - 1) / 2) for y in np.asarray(ys) for x in np.asarray(xs)
        ]
        result.update(block_shifts=np.concatenate(blocks).tolist(), centres=centres)
    return result


def worker_jnormcorre_pw(movie: Path, backend: str) -> dict:
    return worker_jnormcorre(movie, backend, piecewise=True)


WORKERS = {
    "astrocalc": worker_astrocalc,
    "bound": worker_bound,
    "suite2p": worker_suite2p,
    "jnormcorre": worker_jnormcorre,
    "astrocalc_pw": worker_astrocalc_pw,
    "suite2p_nr": worker_suite2p_nr,
    "jnormcorre_pw": worker_jnormcorre_pw,
}


def run_worker(name: str, movie: Path, backend: str, out: Path) -> None:
    result = WORKERS[name](movie, backend)
    result["peak_rss_mb"] = _peak_rss_mb()
    out.write_text(json.dumps(result))


# ---------------------------------------------------------------- driver
def make_movie(path: Path, frames: int, size: int, seed: int, warp_px: float = 0.0) -> None:
    """The synthetic movie and its truth folder, unless a previous run left them."""
    from astrocalc import synth

    params = path.with_name(path.stem + "_truth") / "params.json"
    wanted = {"n_frames": frames, "shape": [size, size], "seed": seed, "warp_px": warp_px}
    if path.is_file() and params.is_file():
        old = json.loads(params.read_text())
        if all(old.get(k) == v for k, v in wanted.items()):
            return
    print(f"writing a {frames} x {size} x {size} uint16 movie (warp {warp_px} px) ...", flush=True)
    synth.write(path, shape=(size, size), n_frames=frames, n_domains=60, seed=seed, warp_px=warp_px)


def true_displacement(movie: Path, centres) -> np.ndarray:
    """(T, n_blocks, 2) true content displacement at block centres (rigid + warp)."""
    import pandas as pd

    from astrocalc import synth

    tdir = movie.with_name(movie.stem + "_truth")
    shifts = pd.read_csv(tdir / "shifts.csv")[["dy", "dx"]].to_numpy()
    shape = tuple(json.loads((tdir / "params.json").read_text())["shape"])
    warp = np.load(tdir / "warp.npy") if (tdir / "warp.npy").is_file() else None
    centres = np.asarray(centres, float)
    return synth.displacement(shifts, warp, shape, centres[:, 0], centres[:, 1])


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
    if name.startswith("suite2p"):
        paths.insert(0, str(HERE.parent / "stand_ins"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0 or not out.is_file():
        reason = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": reason}
    return json.loads(out.read_text())


def rms(shifts, truth) -> tuple[float, float]:
    """RMS error with and without the constant offset (each tool picks its reference)."""
    err = np.asarray(shifts) - truth
    centred = err - err.mean(axis=0)
    return (
        float(np.sqrt((centred**2).sum(axis=-1).mean())),
        float(np.sqrt((err**2).sum(axis=-1).mean())),
    )


def run_tools(tools: dict, movie: Path, args, tmp: Path) -> dict:
    runs: dict[str, list[dict]] = {name: [] for name in tools}
    for _ in range(args.repeats):
        for name, python in tools.items():  # alternating, one process per run
            print(f"  {name} ...", flush=True)
            runs[name].append(launch(name, python, movie, args.backend, tmp))
    return runs


def report(runs: dict, movie: Path, frames: int, *, blocks: bool) -> dict:
    import pandas as pd

    truth = pd.read_csv(movie.with_name(movie.stem + "_truth") / "shifts.csv")
    truth = truth[["dy", "dx"]].to_numpy()
    head = "block RMS px" if blocks else "RMS px"
    print(f"\n{'tool':<14} {'frames/s':>9} {'peak RSS MB':>12} {head:>13} {'raw':>8}")
    fps = {}
    for name, results in runs.items():
        ok = [r for r in results if "error" not in r]
        if not ok:
            print(f"{name:<14} not run: {results[0]['error']}")
            continue
        best = min(ok, key=lambda r: r["seconds"])
        fps[name] = frames / best["seconds"]
        err = (np.nan, np.nan)
        if blocks and best.get("block_shifts") is not None:
            true = true_displacement(movie, best["centres"])
            est = np.asarray(best["block_shifts"])
            err = rms(est, true)
            if rms(-est, true)[0] < err[0]:
                print(f"warning: {name}'s block shifts fit the truth better with the opposite sign")
        elif best.get("shifts") is not None:
            err = rms(best["shifts"], truth)
            if rms(-np.asarray(best["shifts"]), truth)[0] < err[0]:
                print(f"warning: {name}'s shifts fit the truth better with the opposite sign")
        peak = max(r["peak_rss_mb"] for r in ok)
        print(f"{name:<14} {fps[name]:>9.1f} {peak:>12.0f} {err[0]:>13.3f} {err[1]:>8.3f}")
    return fps


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=2000)
    p.add_argument("--warp-frames", type=int, default=1000)
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--warp-px", type=float, default=0.5)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--backend", default="numpy", choices=["numpy", "cupy"])
    p.add_argument("--only", choices=["rigid", "piecewise"], help="run one of the two parts")
    p.add_argument(
        "--workdir", type=Path, help="keep the movies here between runs (default: a temp dir)"
    )
    p.add_argument(
        "--peer-python",
        action="append",
        default=[],
        metavar="NAME=PYTHON",
        help="interpreter of a peer's own environment: suite2p=PY, jnormcorre=PY",
    )
    p.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    p.add_argument("--movie", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        run_worker(args.worker, args.movie, args.backend, args.result)
        return
    peers = dict(item.split("=", 1) for item in args.peer_python)
    rigid_tools = {"astrocalc": sys.executable, "bound": sys.executable, **peers}
    warp_tools = {"astrocalc_pw": sys.executable}
    for peer, worker in (("suite2p", "suite2p_nr"), ("jnormcorre", "jnormcorre_pw")):
        if peer in peers:
            warp_tools[worker] = peers[peer]
    with tempfile.TemporaryDirectory() as tmpdir:
        work = args.workdir or Path(tmpdir)
        work.mkdir(parents=True, exist_ok=True)
        tmp = Path(tmpdir)
        if args.only != "piecewise":
            movie = work / f"rigid_{args.size}_{args.frames}_{args.seed}.tif"
            make_movie(movie, args.frames, args.size, args.seed)
            print("rigid: movie with known subpixel shifts", flush=True)
            fps = report(run_tools(rigid_tools, movie, args, tmp), movie, args.frames, blocks=False)
            for name, value in fps.items():
                if name != "astrocalc" and "astrocalc" in fps:
                    print(f"astrocalc / {name}: {fps['astrocalc'] / value:.2f}x frames/s")
        if args.only != "rigid":
            movie = work / f"warp_{args.size}_{args.warp_frames}_{args.seed}_{args.warp_px}.tif"
            make_movie(movie, args.warp_frames, args.size, args.seed, warp_px=args.warp_px)
            print("piecewise-rigid: movie with shifts and a smooth warp", flush=True)
            fps = report(
                run_tools(warp_tools, movie, args, tmp), movie, args.warp_frames, blocks=True
            )
            for name, value in fps.items():
                if name != "astrocalc_pw" and "astrocalc_pw" in fps:
                    print(f"astrocalc_pw / {name}: {fps['astrocalc_pw'] / value:.2f}x frames/s")


if __name__ == "__main__":
    main()
