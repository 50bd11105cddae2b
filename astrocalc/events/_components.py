"""Connected components of active voxels in (t, y, x), streamed chunk by chunk.

Each chunk of active voxels is labelled on its own; components that continue into the
next chunk are joined by a union-find over the pixels active on both sides of the seam.
What is kept per component is a summary per pixel (first onset, last active frame,
largest z), combined across chunks with min/max only, so the result does not depend on
where the chunks start. Memory grows with the number of (component, pixel) pairs, not
with the length of the recording.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backend import array_namespace, scipy_module, to_numpy
from ..models._li_rinzel_numba import jit


def voxel_structure() -> np.ndarray:
    """Connectivity: 8 neighbours within a frame, and the same pixel in the frames before and
    after (an event spreads in space within a frame and persists in time at a pixel)."""
    s = np.zeros((3, 3, 3), bool)
    s[1] = True
    s[0, 1, 1] = s[2, 1, 1] = True
    return s


@dataclass
class PixelComponents:
    """One row per (component, pixel): flat arrays of equal length, ordered by component,
    then pixel. Components are numbered 0..n-1 in order of their earliest onset."""

    component: np.ndarray  # int64
    pixel: np.ndarray  # int64 flat index y * X + x
    first: np.ndarray  # int64 first active frame of the pixel in the component
    onset: np.ndarray  # float64 frame at which the pixel rose through half its peak
    last: np.ndarray  # int64 last active frame of the pixel in the component
    peak_z: np.ndarray  # float32 largest z of the pixel in the component
    n: int


@dataclass
class ChunkLabels:
    """The components of one chunk's active voxels, numbered 1..n within the chunk
    (:meth:`ComponentTracker.label`): what :meth:`ComponentTracker.join` needs to add the
    chunk, so that a later pass over chunks whose voxels did not change takes them from
    here instead of computing them again."""

    n: int
    head: tuple[np.ndarray, np.ndarray]  # (flat pixel, label) active in the first core frame
    tail: tuple[np.ndarray, np.ndarray]  # the same for the last core frame
    records: tuple[np.ndarray, ...] | None  # label, pixel, first, onset, last, peak_z


class ZColumns:
    """z of a block at some pixels only, indexed like the block's (n, Y * X) array at
    those pixels: ``[rows, pixels]`` with flat pixel indices, all of them stored."""

    def __init__(self, values, pixels: np.ndarray):
        self.values = values  # (n, len(pixels))
        self.pixels = pixels  # sorted flat indices
        self.shape = values.shape

    def __getitem__(self, key):
        rows, pixels = key
        xp = array_namespace(self.values)
        return self.values[rows, xp.searchsorted(xp.asarray(self.pixels), pixels)]


class ComponentTracker:
    """Accumulates the components of active voxels over consecutive chunks of frames.

    Parameters
    ----------
    frame_shape : (Y, X)
    threshold : float
        The z threshold the voxels were called active at.
    rise_frames : int
        Frames after a pixel's first active frame searched for its half-peak onset; a chunk
        must carry this many frames of ``z`` past its core.
    xp : module
        Array backend of the chunks.
    """

    def __init__(self, frame_shape, *, threshold: float, rise_frames: int, xp):
        self.npx = int(frame_shape[0] * frame_shape[1])
        self.threshold = threshold
        self.rise_frames = rise_frames
        self.xp = xp
        self.parent = np.zeros(1, np.int64)
        self.prev_last = None
        self.records: list[tuple[np.ndarray, ...]] = []
        self.structure = voxel_structure()  # a host array: SciPy and CuPy both take it

    def _root(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return int(i)

    def add(self, active, z, *, core: slice, start: int) -> ChunkLabels:
        """Add one chunk; returns its :class:`ChunkLabels`, which :meth:`join` takes again
        in a later pass over the same chunks where the chunk's ``z`` is unchanged.

        Parameters
        ----------
        active : bool array (n_core, Y, X)
            Active voxels of the core frames ``start:start + n_core``.
        z : array (n_block, Y, X) or :class:`ZColumns`
            z of the whole block read for the chunk (core plus overlap), at every pixel
            or at the pixels that can be active.
        core : slice
            Position of the core frames within ``z``.
        start : int
            Movie frame of the first core frame.
        """
        chunk = self.label(active, z, core=core, start=start)
        self.join(chunk)
        return chunk

    def label(self, active, z, *, core: slice, start: int) -> ChunkLabels:
        """The components of one chunk on their own (arguments as :meth:`add`)."""
        xp = self.xp
        idx, comp, n_new = _label_voxels(active, self.structure, xp)
        if not n_new:
            empty = np.zeros(0, np.int64)
            return ChunkLabels(0, (empty, empty), (empty, empty), None)
        t, pixel = idx // self.npx, idx % self.npx
        z_flat = z if isinstance(z, ZColumns) else z.reshape(len(z), -1)
        zc = z_flat[t + core.start, pixel]
        t, pixel, comp, zc = (to_numpy(a) for a in (t, pixel, comp, zc))
        t, pixel, comp = t.astype(np.int64), pixel.astype(np.int64), comp.astype(np.int64)
        key = comp * self.npx + pixel
        order = np.argsort(key, kind="stable")  # stable: frames stay in order within a key
        key, ts, zc = key[order], t[order], zc[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        first, px = ts[starts], key[starts] % self.npx
        records = (
            key[starts] // self.npx,
            px,
            start + first,
            self._half_rise(z_flat, first + core.start, px, start + first),
            start + np.maximum.reduceat(ts, starts),
            np.maximum.reduceat(zc, starts).astype(np.float32),
        )
        last = len(active) - 1
        head, tail = t == 0, t == last
        return ChunkLabels(n_new, (pixel[head], comp[head]), (pixel[tail], comp[tail]), records)

    def join(self, chunk: ChunkLabels) -> None:
        """Add one chunk's components, joined to those of the chunk before it where they
        touch across the seam (the chunks in order of time)."""
        offset = len(self.parent) - 1  # chunk label k is component k + offset
        n_new = chunk.n
        self.parent = np.concatenate([self.parent, offset + 1 + np.arange(n_new)])
        if self.prev_last is not None and n_new:
            last_px, last_id = self.prev_last
            head_px, head_id = chunk.head
            _, i, j = np.intersect1d(last_px, head_px, assume_unique=True, return_indices=True)
            if len(i):
                pairs = np.unique(np.stack([last_id[i], head_id[j] + offset]), axis=1)
                for a, b in pairs.T:
                    ra, rb = self._root(int(a)), self._root(int(b))
                    if ra != rb:
                        self.parent[max(ra, rb)] = min(ra, rb)
        self.prev_last = (chunk.tail[0], chunk.tail[1] + offset)
        if not n_new:
            return
        comp, *rest = chunk.records
        self.records.append((comp + offset, *rest))

    def _half_rise(self, z_flat, rows, pixel, frames) -> np.ndarray:
        """Fractional movie frame at which each pixel's z crosses half of its peak over the
        ``rise_frames`` frames from its first active frame (``rows`` in the block, ``frames``
        in the movie), or the threshold if that is higher: an onset that does not depend on
        the amplitude, so the dim edge of a microdomain does not seem to light up later than
        its centre."""
        xp = self.xp
        steps = xp.arange(-1, self.rise_frames)
        r = xp.asarray(rows)[:, None] + steps[None]
        inside = (r >= 0) & (r < z_flat.shape[0])
        seq = z_flat[xp.clip(r, 0, z_flat.shape[0] - 1), xp.asarray(pixel)[:, None]]
        seq = to_numpy(xp.where(inside, seq, xp.nan)).astype(np.float64)
        level = np.maximum(self.threshold, 0.5 * np.nanmax(seq[:, 1:], axis=1))
        j = np.argmax(seq[:, 1:] >= level[:, None], axis=1) + 1
        i = np.arange(len(seq))
        a, b = seq[i, j - 1], seq[i, j]
        ok = np.isfinite(a) & (b > a)
        frac = np.where(ok, (level - a) / np.where(ok, b - a, 1.0), 1.0)
        # whole frames first, so the value does not depend on where the block starts
        return (frames + (j - 2)) + np.clip(frac, 0.0, 1.0)

    def finish(self) -> PixelComponents:
        """Join the chunks' records into one summary per (component, pixel)."""
        parent = self.parent
        while True:  # pointer jumping to the roots
            grand = parent[parent]
            if (grand == parent).all():
                break
            parent = grand
        if not self.records:
            empty = np.zeros(0, np.int64)
            return PixelComponents(empty, empty, empty, empty.astype(float), empty, empty, 0)
        comp, pixel, first, onset, last, peak = (
            np.concatenate(a) for a in zip(*self.records, strict=True)
        )
        comp = parent[comp]
        key = comp * self.npx + pixel
        # by key, then first frame: the earliest record of a pixel gives its onset
        order = np.lexsort((first, key))
        key, first, onset = key[order], first[order], onset[order]
        last, peak = last[order], peak[order]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        key, first, onset = key[starts], first[starts], onset[starts]
        last = np.maximum.reduceat(last, starts)
        peak = np.maximum.reduceat(peak, starts)
        comp, pixel = key // self.npx, key % self.npx
        # number components by their earliest onset (then lowest pixel): the same numbering
        # whatever the chunking
        roots, inverse = np.unique(comp, return_inverse=True)
        first_onset = np.full(len(roots), np.iinfo(np.int64).max)
        np.minimum.at(first_onset, inverse, first)
        first_pixel = np.full(len(roots), np.iinfo(np.int64).max)
        np.minimum.at(first_pixel, inverse, pixel)
        rank = np.empty(len(roots), np.int64)
        rank[np.lexsort((first_pixel, first_onset))] = np.arange(len(roots))
        comp = rank[inverse]
        order = np.lexsort((pixel, comp))
        return PixelComponents(
            comp[order],
            pixel[order],
            first[order],
            onset[order],
            last[order],
            peak[order],
            len(roots),
        )


def _label_voxels(active, structure: np.ndarray, xp):
    """The components of the True voxels of ``active`` (n, Y, X) under
    :func:`voxel_structure`, as ``scipy.ndimage.label`` numbers them (1.. in the order of
    each component's first voxel in (t, y, x) order): the flat index of every True voxel
    in that order, its component, and the number of components. On NumPy a compiled
    union-find over the True voxels alone (a few in a thousand of a chunk's), where
    ``ndimage.label`` reads and writes every voxel; on CuPy its ``ndimage.label``."""
    if xp is not np:
        labels, n = scipy_module(xp, "ndimage").label(active, structure=structure)
        idx = xp.flatnonzero(labels)
        return idx, labels.ravel()[idx].astype(xp.int64), int(n)
    idx = np.flatnonzero(active)
    comp = np.empty(len(idx), np.int64)
    n = _union_find(idx, active.shape[1], active.shape[2], comp)
    return idx, comp, int(n)


@jit(nogil=True)
def _find(parent, i):  # pragma: no cover - compiled
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@jit(nogil=True)
def _union(parent, a, b):  # pragma: no cover - compiled
    ra, rb = _find(parent, a), _find(parent, b)
    if ra < rb:
        parent[rb] = ra
    elif rb < ra:
        parent[ra] = rb


@jit(nogil=True)
def _union_find(idx, h, w, comp):  # pragma: no cover - compiled
    """Components of the voxels at sorted flat indices ``idx`` of an (n, h, w) array,
    each joined to its neighbours before it in scan order (left, the three above, the
    same pixel a frame before), found by pointers that only move forward. A component's
    root is its first voxel, so numbering roots in scan order gives scipy's labels."""
    n = idx.shape[0]
    plane = h * w
    parent = np.arange(n)
    above = before = 0  # the first voxel at or after the row above's window; a frame before
    for i in range(n):
        v = idx[i]
        rem = v % plane
        y, x = rem // w, rem % w
        if x > 0 and i > 0 and idx[i - 1] == v - 1:
            _union(parent, i, i - 1)
        if y > 0:
            lo = v - w - (1 if x > 0 else 0)
            hi = v - w + (1 if x < w - 1 else 0)
            while above < i and idx[above] < lo:
                above += 1
            q = above
            while q < i and idx[q] <= hi:
                _union(parent, i, q)
                q += 1
        if v >= plane:
            while before < i and idx[before] < v - plane:
                before += 1
            if before < i and idx[before] == v - plane:
                _union(parent, i, before)
    label = np.zeros(n, np.int64)
    count = 0
    for i in range(n):
        r = _find(parent, i)
        if label[r] == 0:
            count += 1
            label[r] = count
        comp[i] = label[r]
    return count
