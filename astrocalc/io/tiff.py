"""TIFF movies: memory-mapped chunked reading, metadata, streaming writing.

A movie is read through :class:`Movie`, which never loads more than the frames asked
for: uncompressed contiguous files are read at the frames' byte offset, anything else
(compressed, tiled, scattered pages) page by page. Plain reads and writes rather than
memory maps: mapped pages of a file count in the process's resident memory, so a map
of a long movie grows it with the movie's length.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tifffile

from ..errors import InputError
from ..progress import reporter
from . import formats

MIN_FRAMES = 10
BIGTIFF_BYTES = 2**31  # larger movies are written as BigTIFF (calibration in OME metadata)
SUPPORTED_DTYPES = ("uint8", "uint16", "int16", "uint32", "int32", "float32", "float64")
_UM_PER_UNIT = {
    "um": 1.0,
    "µm": 1.0,
    "\\u00B5m": 1.0,
    "micron": 1.0,
    "microns": 1.0,
    "mm": 1e3,
    "nm": 1e-3,
    "m": 1e6,
    "cm": 1e4,
}
_S_PER_UNIT = {"s": 1.0, "sec": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "min": 60.0}


@dataclass
class Movie:
    """A (T, Y, X) movie on disk, read in chunks of frames.

    ``frame_rate_hz`` and ``pixel_size_um`` come from the file's ImageJ or OME metadata
    when present (``None`` otherwise); :func:`open_movie` may override them.
    """

    path: Path
    shape: tuple[int, int, int]
    dtype: np.dtype
    frame_rate_hz: float | None = None
    pixel_size_um: float | None = None
    _offset: int | None = field(default=None, repr=False)  # of frame 0, contiguous files
    _file_dtype: np.dtype | None = field(default=None, repr=False)  # with its byte order
    _file: object = field(default=None, repr=False)
    _pages: list | None = field(default=None, repr=False)
    _tif: tifffile.TiffFile | None = field(default=None, repr=False)
    n_channels: int = 1  # channels in the file; this Movie reads one of them
    channel: int = 0
    _channel_first: bool = field(default=False, repr=False)  # (C, T, Y, X) layout
    # set by the one stage that needs it (motion reads every frame): keep the smallest and
    # largest intensity of the frames read (``value_range``); off, reads skip the two passes
    track_range: bool = False
    _lo: float = field(default=np.inf, repr=False)
    _hi: float = field(default=-np.inf, repr=False)
    # set by a stage: each pass of ``chunks`` reports its progress under this label
    progress_label: str | None = None
    _passes: int = field(default=0, repr=False)
    # a movie that is not one TIFF file: its reader (astrocalc.io.formats)
    _source: object = field(default=None, repr=False)
    files: tuple[Path, ...] = ()  # the files read, in order (what the checksum covers)

    def __post_init__(self):
        self.files = self.files or (self.path,)

    def _file_index(self, t: int) -> int:
        """Index in the file's sequence of 2-D images of this channel's frame ``t``."""
        if self._channel_first:
            return self.channel * self.n_frames + t
        return t * self.n_channels + self.channel

    @property
    def n_frames(self) -> int:
        return self.shape[0]

    def __len__(self) -> int:
        return self.shape[0]

    def read(self, start: int, stop: int, dtype=np.float32) -> np.ndarray:
        """Frames ``start:stop`` as a new array of ``dtype``; NaN/inf raise InputError."""
        start, stop = max(0, start), min(stop, self.n_frames)
        if self._source is not None:
            try:
                block = self._source.read(start, stop)
            except InputError:
                raise
            except Exception as exc:
                raise InputError(
                    f"{self.path}: cannot read frames {start}-{stop - 1} "
                    f"({type(exc).__name__}: {exc}); the file may be truncated or corrupt"
                ) from None
            block = block.astype(dtype, copy=False)
        elif self._offset is not None:
            raw = np.empty((stop - start,) + self.shape[1:], self._file_dtype)
            plane = self.shape[1] * self.shape[2] * raw.itemsize
            # one read when this channel's frames are contiguous; with channels interleaved
            # (T, C, Y, X), one read per frame, of this channel's plane only
            contiguous = self._channel_first or self.n_channels == 1
            n = stop - start
            runs = [(0, n)] if contiguous else [(k, k + 1) for k in range(n)]
            for lo, hi in runs:
                self._file.seek(self._offset + self._file_index(start + lo) * plane)
                if self._file.readinto(raw[lo:hi]) != raw[lo:hi].nbytes:
                    raise InputError(
                        f"{self.path}: cannot read frames {start}-{stop - 1}: the file is truncated"
                    )
            block = raw.astype(dtype, copy=False)
        else:
            try:
                index = [self._file_index(t) for t in range(start, stop)]
                block = np.stack([self._pages[i].asarray() for i in index])
            except Exception as exc:
                raise InputError(
                    f"{self.path}: cannot read frames {start}-{stop - 1} "
                    f"({exc}); the file may be truncated or corrupt"
                ) from None
            block = block.reshape((stop - start,) + self.shape[1:]).astype(dtype, copy=False)
        if block.dtype.kind == "f" and not np.isfinite(block).all():
            bad = start + int(np.flatnonzero(~np.isfinite(block).reshape(len(block), -1).all(1))[0])
            raise InputError(
                f"{self.path}: frame {bad} contains NaN or infinite values; "
                "expected finite intensities"
            )
        if self.track_range and block.size:
            self._lo = min(self._lo, float(block.min()))
            self._hi = max(self._hi, float(block.max()))
        return block

    @property
    def value_range(self) -> tuple[float, float]:
        """(smallest, largest) intensity of every frame read since ``track_range`` was set."""
        return self._lo, self._hi

    def chunk_bounds(
        self, chunk_frames: int, *, overlap: int | tuple[int, int] = 0
    ) -> list[tuple[int, ...]]:
        """``(start, stop, lo, hi)`` of each chunk :meth:`chunks` yields: the core frames
        ``start:stop`` and the frames ``lo:hi`` read, ``overlap`` more on each side where
        the movie has them (a pair: so many before and after)."""
        before, after = (overlap, overlap) if isinstance(overlap, int) else overlap
        out = []
        for start in range(0, self.n_frames, chunk_frames):
            stop = min(start + chunk_frames, self.n_frames)
            out.append((start, stop, max(0, start - before), min(self.n_frames, stop + after)))
        return out

    def chunks(
        self,
        chunk_frames: int,
        *,
        overlap: int | tuple[int, int] = 0,
        dtype=np.float32,
        skip=None,
    ):
        """Yield ``(start, stop, lo, block)`` covering the movie; block holds frames
        ``lo:hi``, the core range ``start:stop`` with ``overlap`` extra frames on each side
        (a pair: before, after) where available. ``skip``, where given, is a bool per chunk
        (:meth:`chunk_bounds`): the blocks of those true are not read, None."""
        report = None
        if self.progress_label is not None:
            self._passes += 1
            report = reporter(f"{self.progress_label}, pass {self._passes}")
        for i, (start, stop, lo, hi) in enumerate(self.chunk_bounds(chunk_frames, overlap=overlap)):
            needed = skip is None or not skip[i]
            yield start, stop, lo, self.read(lo, hi, dtype=dtype) if needed else None
            if report is not None:
                report(stop, self.n_frames)

    def close(self) -> None:
        if self._source is not None:
            self._source.close()
            self._source = None
        if self._tif is not None:
            self._tif.close()
            self._tif = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _positive(value) -> float | None:
    """``value`` as a positive finite number, None where it is not one (unreadable
    metadata counts as absent: the flags can still give the calibration)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) and number > 0 else None


def _imagej_metadata(tif: tifffile.TiffFile) -> tuple[float | None, float | None]:
    md = tif.imagej_metadata or {}
    interval = _positive(md.get("finterval"))
    rate = 1.0 / interval if interval else _positive(md.get("fps"))
    size = None
    unit = str(md.get("unit", "")).strip()
    page = tif.pages.first
    xres = page.tags.get("XResolution")
    if xres is not None and unit:
        num, den = xres.value
        factor = _UM_PER_UNIT.get(unit) or _UM_PER_UNIT.get(unit.lower())
        if num and factor is not None:
            size = den / num * factor
    return rate, size


def _ome_metadata(tif: tifffile.TiffFile) -> tuple[float | None, float | None]:
    if not tif.is_ome or not tif.ome_metadata:
        return None, None
    try:
        root = ET.fromstring(tif.ome_metadata)
    except ET.ParseError:
        return None, None
    pixels = next((el for el in root.iter() if el.tag.endswith("Pixels")), None)
    if pixels is None:
        return None, None
    size = rate = None
    size_x = _positive(pixels.get("PhysicalSizeX"))
    increment = _positive(pixels.get("TimeIncrement"))
    if size_x:
        size = size_x * _UM_PER_UNIT.get(pixels.get("PhysicalSizeXUnit", "µm"), 1.0)
    if increment:
        rate = 1.0 / (increment * _S_PER_UNIT.get(pixels.get("TimeIncrementUnit", "s"), 1.0))
    return rate, size


def _scanimage_rate(tif: tifffile.TiffFile) -> float | None:
    """The frame rate ScanImage records (its volume rate where it stacks planes)."""
    try:
        data = (tif.scanimage_metadata or {}).get("FrameData", {})
    except Exception:  # not a ScanImage file, or metadata tifffile cannot parse
        return None
    return _positive(data.get("SI.hRoiManager.scanVolumeRate")) or _positive(
        data.get("SI.hRoiManager.scanFrameRate")
    )


def _squeeze_to_tyx(shape: tuple[int, ...], axes: str):
    """``((T, Y, X), n_channels, channel_first)`` of a series, or None when it is not a
    movie with at most one axis of channels ('C', 'S') beside time."""
    kept = [(n, a) for n, a in zip(shape, axes, strict=True) if n > 1 or a in "YX"]
    if len(kept) < 3 or kept[-2][1] != "Y" or kept[-1][1] != "X":
        return None
    rest = kept[:-2]
    if len(rest) == 1:
        return (rest[0][0], kept[-2][0], kept[-1][0]), 1, False
    if len(rest) == 2 and sum(a in "CS" for _, a in rest) == 1:
        (n0, a0), (n1, _) = rest
        channel_first = a0 in "CS"
        t, c = (n1, n0) if channel_first else (n0, n1)
        return (t, kept[-2][0], kept[-1][0]), c, channel_first
    return None


def open_movie(
    path: str | Path,
    *,
    frame_rate_hz: float | None = None,
    pixel_size_um: float | None = None,
    require_calibration: bool = True,
    channel: int | None = None,
) -> Movie:
    """Open a (T, Y, X) movie for chunked reading: a TIFF file, or one of the formats of
    :mod:`astrocalc.io.formats` (TIFF sequences, HDF5, NWB, suite2p binary, OME-Zarr).

    Parameters
    ----------
    path : str or Path
        TIFF or BigTIFF file; ImageJ hyperstacks and OME-TIFF with one z-plane and one
        or more channels are accepted.
    channel : int, optional
        The channel to read (0-based) from a file with several; required for such a file.
    frame_rate_hz, pixel_size_um : float, optional
        Override (or supply) the frame rate (Hz) and pixel size (um) of the metadata.
    require_calibration : bool
        When true, a movie with neither metadata nor a given value raises InputError.

    Raises
    ------
    InputError
        Not a TIFF, not 3-D, fewer than 10 frames, unsupported dtype, or uncalibrated.
    """
    if formats.kind(path) is not None:
        return _open_other(path, frame_rate_hz, pixel_size_um, require_calibration, channel)
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    with _tifffile_complaints() as complaints:
        try:
            return _open_movie(path, frame_rate_hz, pixel_size_um, require_calibration, channel)
        except _LayoutError as exc:
            if not complaints:
                raise
            # a truncated file often reads as fewer pages than it had: say why
            raise InputError(
                f"{path}: not a readable TIFF movie (tifffile: {complaints[0]}); "
                "the file may be truncated or corrupt"
            ) from exc


class _LayoutError(InputError):
    """The file's pages do not make a movie: a truncated file shows up as one."""


class _Complaints(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record) -> None:
        self.messages.append(record.getMessage().replace("\n", " "))


@contextmanager
def _tifffile_complaints():
    """tifffile logs what it finds wrong in a file; collect it instead of printing it."""
    logger = logging.getLogger("tifffile")
    handler, propagate = _Complaints(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _open_movie(path, frame_rate_hz, pixel_size_um, require_calibration, channel) -> Movie:
    try:
        tif = tifffile.TiffFile(path)
    except Exception as exc:
        raise InputError(
            f"{path}: not a readable TIFF file ({type(exc).__name__}: {exc})"
        ) from None
    movie = None
    try:
        series = tif.series[0]
        layout = _squeeze_to_tyx(tuple(series.shape), series.axes)
        if layout is None:
            if len(series.shape) == 2 or series.ndim == 2:
                raise _LayoutError(
                    f"{path}: a single 2-D image {tuple(series.shape)}; "
                    "expected a movie (T, Y, X) with at least "
                    f"{MIN_FRAMES} frames"
                )
            raise _LayoutError(
                f"{path}: shape {tuple(series.shape)} with axes '{series.axes}'; "
                "expected a movie (T, Y, X): one z-plane, at most one channel axis"
            )
        shape, n_channels, channel_first = layout
        if n_channels > 1 and channel is None:
            raise InputError(
                f"{path}: {n_channels} channels (axes '{series.axes}'); choose the calcium "
                "channel with motion.channel (0-based) in the config"
            )
        if not 0 <= (channel or 0) < n_channels:
            raise InputError(
                f"{path}: channel {channel} asked for; the file has {n_channels} "
                f"(0 to {n_channels - 1})"
            )
        dtype = np.dtype(series.dtype)
        rate, size = _ome_metadata(tif)
        if rate is None and size is None:
            rate, size = _imagej_metadata(tif)
        rate, size = _checked(
            path,
            shape,
            dtype,
            frame_rate_hz if frame_rate_hz is not None else rate or _scanimage_rate(tif),
            pixel_size_um if pixel_size_um is not None else size,
            require_calibration,
        )
        movie = Movie(
            path=path,
            shape=shape,
            dtype=dtype,
            frame_rate_hz=rate,
            pixel_size_um=size,
            _tif=tif,
            n_channels=n_channels,
            channel=channel or 0,
            _channel_first=channel_first,
        )
        try:
            mm = tifffile.memmap(path, mode="r")
            if mm.size == np.prod(shape) * n_channels:
                movie._offset, movie._file_dtype = int(mm.offset), mm.dtype
            del mm
        except Exception:  # compressed or non-contiguous: read page by page
            movie._offset = None
        if movie._offset is not None:
            movie._file = open(path, "rb")  # noqa: SIM115 (closed by Movie.close)
        else:
            pages = list(series.pages)
            if len(pages) != shape[0] * n_channels:
                raise _LayoutError(
                    f"{path}: {len(pages)} image pages for {shape[0]} frames of "
                    f"{n_channels} channel(s); expected one page per frame and channel"
                )
            movie._pages = pages
        # a truncated file fails here rather than halfway through a run
        movie.read(shape[0] - 1, shape[0])
        return movie
    except BaseException as exc:
        tif.close()
        if movie is not None:
            movie.close()
        if isinstance(exc, InputError) or not isinstance(exc, Exception):
            raise
        # tifffile meets a corrupt structure in many ways (missing tags, bad offsets,
        # inconsistent pages): each is the same problem for the user
        raise InputError(
            f"{path}: not a readable TIFF movie ({type(exc).__name__}: {exc}); "
            "the file may be truncated or corrupt"
        ) from None


def _checked(path, shape, dtype, rate, size, require_calibration):
    """The calibration of a movie whose shape, pixel type and calibration make sense."""
    if dtype.name not in SUPPORTED_DTYPES:
        raise InputError(
            f"{path}: pixel type {dtype.name}; expected one of {', '.join(SUPPORTED_DTYPES)}"
        )
    if shape[0] < MIN_FRAMES:
        raise _LayoutError(f"{path}: {shape[0]} frames; expected at least {MIN_FRAMES}")
    if min(shape[1:]) < 16:
        raise InputError(f"{path}: frames of {shape[1]}x{shape[2]} pixels; expected at least 16x16")
    if require_calibration and rate is None:
        raise InputError(
            f"{path}: no frame rate in the file's metadata; "
            "give it with --frame-rate HZ (or frame_rate_hz in samples.tsv)"
        )
    if require_calibration and size is None:
        raise InputError(
            f"{path}: no pixel size in the file's metadata; "
            "give it with --pixel-size UM (or pixel_size_um in samples.tsv)"
        )
    for name, value in (("frame rate", rate), ("pixel size", size)):
        if value is not None and not (np.isfinite(value) and value > 0):
            raise InputError(f"{path}: {name} {value}; expected a positive number")
    return rate, size


def _open_other(path, frame_rate_hz, pixel_size_um, require_calibration, channel) -> Movie:
    """A movie that is not one TIFF file (:mod:`astrocalc.io.formats`)."""
    if not formats.exists(path) and formats.kind(path) != "tiff-sequence":
        raise InputError(f"{path}: file not found")  # (a pattern says what it did not match)
    reader = formats.READERS[formats.kind(path)]
    if getattr(reader, "CHANNELS", False):
        source = reader(path, channel=channel)
    elif channel not in (None, 0):
        raise InputError(f"{path}: channel {channel} asked for; the file has one channel")
    else:
        source = reader(path)
    try:
        rate, size = source.metadata()
        rate, size = _checked(
            path,
            tuple(source.shape),
            source.dtype,
            frame_rate_hz if frame_rate_hz is not None else rate,
            pixel_size_um if pixel_size_um is not None else size,
            require_calibration,
        )
        movie = Movie(
            path=Path(path),
            shape=tuple(int(n) for n in source.shape),
            dtype=source.dtype,
            frame_rate_hz=rate,
            pixel_size_um=size,
            _source=source,
            files=tuple(formats.input_files(path)),
        )
        movie.read(movie.n_frames - 1, movie.n_frames)  # a truncated file fails now
        return movie
    except BaseException:
        source.close()
        raise


class MovieWriter:
    """Write a (T, Y, X) movie frame-chunk by frame-chunk into an uncompressed TIFF.

    BigTIFF is used when the data exceed 2 GB. ImageJ-style calibration is stored in the
    ImageDescription so the file reopens with its frame rate and pixel size.
    """

    def __init__(
        self,
        path: str | Path,
        shape: tuple[int, int, int],
        dtype=np.float32,
        *,
        frame_rate_hz: float | None = None,
        pixel_size_um: float | None = None,
    ):
        self.path = Path(path)
        nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
        bigtiff = nbytes > BIGTIFF_BYTES
        kwargs = _calibration_kwargs(frame_rate_hz, pixel_size_um, imagej=not bigtiff)
        # tifffile lays out the header and the contiguous image data; frames then go to
        # their byte offset with plain writes
        mm = tifffile.memmap(self.path, shape=shape, dtype=dtype, bigtiff=bigtiff, **kwargs)
        self._offset, self._dtype = int(mm.offset), mm.dtype
        del mm
        self._frame_shape = tuple(shape[1:])
        self._frame_bytes = int(np.prod(shape[1:])) * self._dtype.itemsize
        self._file = open(self.path, "r+b")  # noqa: SIM115 (closed by close())
        self._next = 0

    @classmethod
    def reopen(cls, path: str | Path) -> MovieWriter:
        """A writer over an existing uncompressed contiguous TIFF (one channel), to
        overwrite frames in place with :meth:`write_at`."""
        self = cls.__new__(cls)
        self.path = Path(path)
        mm = tifffile.memmap(self.path, mode="r")
        self._offset, self._dtype = int(mm.offset), mm.dtype
        self._frame_shape = tuple(mm.shape[1:])
        self._frame_bytes = int(np.prod(mm.shape[1:])) * self._dtype.itemsize
        self._n_frames = mm.shape[0]
        del mm
        self._file = open(self.path, "r+b")  # noqa: SIM115 (closed by close())
        self._next = self._n_frames
        return self

    def write(self, block: np.ndarray) -> None:
        self.write_at(self._next, block)
        self._next += len(block)

    def write_at(self, index: int, block: np.ndarray) -> None:
        """Write frames ``block`` (n, Y, X) starting at frame ``index``."""
        block = np.ascontiguousarray(block, dtype=self._dtype)
        self._file.seek(self._offset + index * self._frame_bytes)
        self._file.write(block.data)

    def read(self, start: int, stop: int) -> np.ndarray:
        """Frames ``start:stop`` as written so far (n, Y, X), to be rewritten in place."""
        out = np.empty((stop - start, *self._frame_shape), self._dtype)
        self._file.seek(self._offset + start * self._frame_bytes)
        if self._file.readinto(out.reshape(-1).view(np.uint8)) != out.nbytes:
            raise OSError(f"{self.path}: frames {start}-{stop} have not been written")
        return out

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def movie_writer(path: str | Path, shape, dtype=np.float32, **calibration):
    """A frame-chunk writer of a (T, Y, X) movie in the format ``path`` names: OME-Zarr
    for ``*.zarr`` (:class:`astrocalc.io.formats.OmeZarrWriter`), else TIFF
    (:class:`MovieWriter`). ``calibration``: frame_rate_hz, pixel_size_um."""
    return _writer_class(path)(path, shape, dtype, **calibration)


def reopen_movie(path: str | Path):
    """A writer over a movie :func:`movie_writer` wrote, to overwrite frames in place."""
    return _writer_class(path).reopen(path)


def _writer_class(path: str | Path):
    return formats.OmeZarrWriter if Path(path).suffix.lower() == ".zarr" else MovieWriter


def _calibration_kwargs(frame_rate_hz, pixel_size_um, *, imagej: bool) -> dict:
    """tifffile keywords storing the calibration: ImageJ metadata, or OME metadata for a
    BigTIFF (ImageJ's format has no BigTIFF variant)."""
    if not imagej:
        metadata = {"axes": "TYX"}
        if frame_rate_hz:
            metadata.update(TimeIncrement=1.0 / frame_rate_hz, TimeIncrementUnit="s")
        if pixel_size_um:
            metadata.update(
                PhysicalSizeX=pixel_size_um,
                PhysicalSizeXUnit="µm",
                PhysicalSizeY=pixel_size_um,
                PhysicalSizeYUnit="µm",
            )
        return {"ome": True, "metadata": metadata}
    metadata = {"axes": "TYX"}
    kwargs: dict = {"imagej": True, "metadata": metadata}
    if frame_rate_hz:
        metadata["finterval"] = 1.0 / frame_rate_hz
    if pixel_size_um:
        metadata["unit"] = "um"
        kwargs["resolution"] = (1.0 / pixel_size_um, 1.0 / pixel_size_um)
    return kwargs


def write_image(
    path: str | Path,
    image: np.ndarray,
    *,
    pixel_size_um: float | None = None,
    axes: str | None = None,
) -> None:
    """Write a 2-D or small 3-D image in one go (ImageJ-compatible, calibrated)."""
    image = np.asarray(image)
    kwargs: dict = {}
    if image.dtype in (np.uint8, np.uint16, np.float32):
        kwargs["imagej"] = True
        kwargs["metadata"] = {"axes": axes or ("YX" if image.ndim == 2 else "CYX")}
        if pixel_size_um:
            kwargs["metadata"]["unit"] = "um"
            kwargs["resolution"] = (1.0 / pixel_size_um, 1.0 / pixel_size_um)
    tifffile.imwrite(path, image, **kwargs)
