"""Array backend: one code path for NumPy and CuPy.

A science function asks for the namespace of its inputs (``xp = array_namespace(a)``)
and then uses only ``xp.*`` and the matching ``fft``/``ndimage`` modules from
:func:`scipy_module`. CuPy is imported only when asked for or when a CuPy array
arrives, so nothing here needs it installed.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType

import numpy as np
from threadpoolctl import ThreadpoolController

BACKENDS = ("auto", "numpy", "cupy")


def _cupy_if_loaded() -> ModuleType | None:
    return sys.modules.get("cupy")


def array_namespace(*arrays) -> ModuleType:
    """Return ``numpy`` or ``cupy``, whichever the arrays belong to."""
    cp = _cupy_if_loaded()
    if cp is not None and any(isinstance(a, cp.ndarray) for a in arrays):
        return cp
    return np


def cupy_usable() -> bool:
    """True when CuPy imports and a CUDA device answers."""
    try:
        cp = importlib.import_module("cupy")
        return cp.cuda.runtime.getDeviceCount() > 0
    except Exception:  # ImportError, CUDA driver errors: all mean "not usable"
        return False


def resolve(name: str = "auto") -> ModuleType:
    """Return the array module for a config value ``{"auto", "numpy", "cupy"}``."""
    if name not in BACKENDS:
        raise ValueError(f"backend: expected one of {BACKENDS}, got {name!r}")
    if name == "numpy":
        return np
    if name == "cupy" or cupy_usable():
        if not cupy_usable():
            raise RuntimeError("backend: 'cupy' requested but CuPy or a CUDA device is not usable")
        return importlib.import_module("cupy")
    return np


def scipy_module(xp: ModuleType, name: str) -> ModuleType:
    """The ``scipy.<name>`` module matching ``xp`` (``cupyx.scipy.<name>`` for CuPy)."""
    if xp is np:
        return importlib.import_module(f"scipy.{name}")
    return importlib.import_module(f"cupyx.scipy.{name}")


_thread = threading.local()  # .in_pool: this thread is one of map_threads' workers
_pool: ThreadPoolExecutor | None = None
_blas: ThreadpoolController | None = None


def cpu_count() -> int:
    """Cores this process may run on (the affinity mask, as set by SLURM or taskset)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_threads(xp: ModuleType = np) -> int:
    """Threads :func:`map_threads` runs at once: one per core on NumPy, one on CuPy."""
    return cpu_count() if xp is np else 1


def fft_options(xp: ModuleType) -> dict:
    """Keyword arguments for ``fft`` calls: every core on NumPy, one inside a worker of
    :func:`map_threads` (the cores are then busy with other batches); ``cupyx.scipy.fft``
    runs on the GPU and takes no ``workers``."""
    if xp is not np:
        return {}
    return {"workers": 1 if getattr(_thread, "in_pool", False) else -1}


def irfft2(spec, shape: tuple[int, int], rows=None):
    """``scipy.fft.irfft2(spec, s=shape)`` over the last two axes, the same values bit for
    bit; with ``rows`` (indices along the second-last axis) only those rows of it. On
    NumPy it runs as two unscaled 1-D passes and one scaling, as pocketfft's own 2-D
    inverse does, which on batches of frames took 20-25 % longer (the inverses of phase
    correlation and of the rigid shift: 512 x 512 and 540 x 540 float32 frames); the
    second pass then transforms the rows asked for alone."""
    xp = array_namespace(spec)
    fft = scipy_module(xp, "fft")
    if xp is not np:
        out = fft.irfft2(spec, s=shape)
        return out if rows is None else out[..., rows, :]
    h, w = shape
    opts = fft_options(xp)
    cols = fft.ifft(spec, n=h, axis=-2, norm="forward", **opts)
    if rows is not None:
        cols = cols[..., rows, :]
    out = fft.irfft(cols, n=w, axis=-1, norm="forward", overwrite_x=True, **opts)
    # pocketfft scales once, by 1 / (h * w) in the output's precision
    out *= out.dtype.type(1.0 / (h * w))
    return out


BATCH_PIXELS = 1 << 22  # ~4 M pixels (16 MB of float32) per batch of frames


def batch_slices(n_frames: int, frame_pixels: int, *, pixels: int = BATCH_PIXELS):
    """Slices cutting ``n_frames`` into batches of about ``pixels`` pixels.

    Large temporaries are mapped fresh from the OS at every allocation (page faults cost
    more than the FFTs); batches this size stay in reused memory and in cache.
    """
    step = max(1, pixels // max(frame_pixels, 1))
    return [slice(i, min(i + step, n_frames)) for i in range(0, n_frames, step)]


def map_batches(fn, n_frames: int, frame_pixels: int, xp: ModuleType) -> list:
    """``[fn(s) for s in batch slices]``, in order; on NumPy the batches run on a pool of
    one thread per core (:func:`map_threads`).

    NumPy's element-wise operations use one core, and both they and the FFTs release the
    GIL, so batches in threads keep every core busy where ``workers=-1`` would parallelise
    only the FFTs. On CuPy (one device queue), batches run in turn.
    """
    threads = worker_threads(xp)
    pixels = BATCH_PIXELS
    if threads > 1:  # at least one batch per thread
        pixels = min(pixels, -(-n_frames // threads) * max(frame_pixels, 1))
    return map_threads(fn, batch_slices(n_frames, frame_pixels, pixels=pixels), xp)


def map_threads(fn, items: list, xp: ModuleType = np) -> list:
    """``[fn(x) for x in items]``, in order, on a pool of one thread per core, for work
    that releases the GIL (NumPy, SciPy, compiled loops); in turn on CuPy, with one core,
    one item, or inside a worker of the pool."""
    if worker_threads(xp) == 1 or len(items) < 2 or getattr(_thread, "in_pool", False):
        return [fn(x) for x in items]
    global _pool, _blas
    if _pool is None:
        one_heap()  # before the pool's threads start (the CLI sets it at its start)
        _pool = ThreadPoolExecutor(max_workers=cpu_count(), thread_name_prefix="astrocalc")
        _blas = ThreadpoolController()
    # one BLAS thread per batch thread: small matrix products with a BLAS thread pool of
    # their own in every batch thread oversubscribe the cores (60x slower seen here)
    with _blas.limit(limits=1, user_api="blas"):
        return list(_pool.map(_in_pool(fn, cpu_count() // len(items)), items))


_M_ARENA_MAX = -8  # glibc's mallopt parameter


def _mallopt(param: int, value: int) -> bool:
    """glibc's ``mallopt``; False where the C library is not glibc."""
    try:
        return bool(ctypes.CDLL("libc.so.6").mallopt(param, int(value)))
    except (OSError, AttributeError):
        return False


def one_heap() -> bool:
    """Have every thread allocate from glibc's one main heap. By default each thread of
    :func:`map_threads` gets a heap of its own, which keeps what that thread freed for
    that thread alone; with one heap, what one frees the next reuses (``astrocalc run``
    of 2,000 frames of 512 x 512 on 2 cores: peak 1.97-1.99 GB -> 1.84-1.87 GB, the same
    time; the arrays are few and large, so threads seldom wait on the heap's lock; the fit
    of a 1,000 s recording peaked at 2.11 GB without it, 1.62-1.70 GB with it). Threads
    that have a heap keep it: :func:`map_threads` sets this before it starts its pool.
    False where the C library is not glibc."""
    return _mallopt(_M_ARENA_MAX, 1)


def _compiled_threads(n: int) -> None:
    """Compiled parallel loops (numba's, such as the model's integration) in this thread
    run on ``n`` threads (numba's setting is the calling thread's own)."""
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a core dependency
        return
    numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))


def _in_pool(fn, threads: int):
    """``fn`` in a worker of the pool, its compiled parallel loops on ``threads`` threads:
    the cores not busy with other items (a team of threads in every worker oversubscribed
    them: the fit of a 1,000 s recording on 2 cores, 121-124 s against 127-134 s)."""

    def run(arg):
        _thread.in_pool = True
        _compiled_threads(threads)
        try:
            return fn(arg)
        finally:
            _thread.in_pool = False

    return run


def to_numpy(x) -> np.ndarray:
    """Bring an array back to host memory as a NumPy array."""
    cp = _cupy_if_loaded()
    if cp is not None and isinstance(x, cp.ndarray):
        return cp.asnumpy(x)
    return np.asarray(x)


def name_of(xp: ModuleType) -> str:
    return "numpy" if xp is np else "cupy"
