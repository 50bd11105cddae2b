"""Per-pixel state too large to keep in memory for the whole recording, kept in a temporary
file instead: the baseline's bin means of a long recording or a large field (one float32
frame per bin, a twentieth of the movie at the default settings: 1 GB for 10,000 frames of
1024 x 1024, and pixel events keep two such arrays).

The bins are read a window at a time, in time order, so the file is read from the page
cache the operating system keeps (or from disk where memory is short), and the process
holds only the windows it works on. Results are those of the array in memory, bit for
bit: only where the values are kept changes.
"""

from __future__ import annotations

import errno
import math
import os
import tempfile
import weakref

import numpy as np

# Bin means above this many bytes go to a temporary file (on NumPy; device arrays stay on
# the device): 128 MB holds 5,120 frames of 512 x 512 at the default bins (40 frames).
SPILL_BYTES = 1 << 27
_COPY_BYTES = 1 << 25


class SpilledArray:
    """A float32 array in an anonymous temporary file (deleted when closed, also if the
    process dies), indexed like a NumPy array: reading gives an in-memory copy of the
    selection, assigning writes it to the file. :meth:`reshape` gives a view on the same
    file."""

    dtype = np.dtype(np.float32)

    def __init__(self, shape: tuple[int, ...], *, _backing: _Backing | None = None):
        self.shape = tuple(int(n) for n in shape)
        self._backing = _Backing(self.nbytes) if _backing is None else _backing

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize

    def __len__(self) -> int:
        return self.shape[0]

    def _map(self) -> np.memmap:
        # a mapping per access: once it is dropped, the pages it read no longer count
        # in the process's resident memory
        return np.memmap(self._backing.file, dtype=self.dtype, mode="r+", shape=self.shape)

    def __getitem__(self, key) -> np.ndarray:
        mm = self._map()
        try:
            return np.array(mm[key])
        finally:
            del mm

    def __setitem__(self, key, value) -> None:
        mm = self._map()
        try:
            mm[key] = np.asarray(value)
        finally:
            del mm

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = self[...]
        return out if dtype is None else out.astype(dtype, copy=False)

    def reshape(self, *shape) -> SpilledArray:
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], tuple) else shape
        shape = tuple(shape)
        if -1 in shape:
            known = math.prod(n for n in shape if n != -1)
            shape = tuple(math.prod(self.shape) // known if n == -1 else n for n in shape)
        if math.prod(shape) != math.prod(self.shape):
            raise ValueError(f"cannot reshape {self.shape} into {shape}")
        return SpilledArray(shape, _backing=self._backing)

    def copy(self) -> SpilledArray:
        """The values in a new file, copied a piece at a time."""
        out = SpilledArray(self.shape)
        src, dst = self._backing.file, out._backing.file
        src.seek(0)
        dst.seek(0)
        while piece := src.read(_COPY_BYTES):
            dst.write(piece)
        dst.flush()
        return out


class _Backing:
    """The temporary file of a :class:`SpilledArray` and its views, closed (and so
    deleted) once none of them is left."""

    def __init__(self, nbytes: int):
        self.file = tempfile.TemporaryFile(prefix="astrocalc-bins-")
        weakref.finalize(self, self.file.close)
        self.file.truncate(nbytes)
        _reserve(self.file, nbytes)


def _reserve(file, nbytes: int) -> None:
    """Take the file's disk space now: the arrays are written through memory maps, and a
    page written to a sparse file on a full disk kills the process (SIGBUS) with no
    message. Where the file system cannot reserve space, the file stays sparse."""
    if not hasattr(os, "posix_fallocate") or nbytes == 0:
        return
    try:
        os.posix_fallocate(file.fileno(), 0, nbytes)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise OSError(
                errno.ENOSPC,
                f"no space for a temporary file of {nbytes / 2**30:.1f} GiB in "
                f"{tempfile.gettempdir()} (TMPDIR names another directory)",
            ) from None
        if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
            raise


def bin_array(shape: tuple[int, ...], xp):
    """An empty float32 array of ``shape`` for bin means: in memory up to ``SPILL_BYTES``
    (or on a device), in a :class:`SpilledArray` beyond."""
    if xp is np and not kept_in_memory(shape):
        return SpilledArray(shape)
    return xp.empty(shape, xp.float32)


def kept_in_memory(shape: tuple[int, ...]) -> bool:
    """Whether :func:`bin_array` keeps bin means of ``shape`` in (host) memory."""
    return math.prod(shape) * 4 <= SPILL_BYTES
