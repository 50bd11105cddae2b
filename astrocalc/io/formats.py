"""Movies in formats other than one TIFF file, each read in chunks of frames behind the one
:func:`astrocalc.io.open_movie`:

- a folder of TIFF files, or a glob pattern (``rec_*.tif``): the frames of the files in
  name order (natural order: ``frame_2`` before ``frame_10``), one frame per file as
  Prairie View writes, or a recording split over several files as ScanImage writes;
- HDF5 (``.h5``, ``.hdf5``): the one 3-D dataset of the file, or the one named after a
  colon (``movie.h5:/imaging/data``); frame rate and pixel size from the dataset's
  attributes where present (``frame_rate_hz`` or ``fs``; ``pixel_size_um``, or
  ``element_size_um`` as Fiji's HDF5 writer stores it);
- suite2p's binary (a ``data.bin`` beside its ``ops.npy``, or the folder holding both):
  int16 frames of ``Ly`` x ``Lx``, the frame rate from ``ops['fs']``;
- NWB (``.nwb``): the ``TwoPhotonSeries`` or ``OnePhotonSeries`` of ``/acquisition``
  (the one there, or the one named after a colon), frames stored (frame, x, y) as the
  NWB schema says and read as (T, Y, X); the frame rate from the series' ``rate``, the
  pixel size from its imaging plane's ``grid_spacing``;
- OME-Zarr (a ``.zarr`` folder; OME-NGFF 0.4 on Zarr v2 or 0.5 on Zarr v3): the full
  resolution of its first multiscale image, axes ``t``, ``y``, ``x`` and any of ``c``
  and ``z`` of size one (or a channel chosen with ``motion.channel``), read chunk by chunk;
  the frame rate from the time axis' scale, the pixel size from the x axis' scale, each
  in its axis' unit.

- Zeiss CZI, Nikon ND2, Leica LIF (``.czi``, ``.nd2``, ``.lif``): through bioio and its
  plugin for the format; one scene (the file's only one, or the one named after a colon:
  ``experiment.lif:Series003``), axes T, Y, X with a single Z plane and one channel
  (``motion.channel``), read frame-chunk by frame-chunk; the pixel size and the frame
  interval from the scene's metadata.

HDF5 and NWB need h5py (``pip install 'astrocalc[nwb]'``), OME-Zarr and the vendor formats
need zarr and bioio (``pip install 'astrocalc[formats]'``).
"""

from __future__ import annotations

import glob
import importlib
import re
from pathlib import Path

import numpy as np
import tifffile

from ..errors import InputError

TIFF_SUFFIXES = (".tif", ".tiff")
HDF5_SUFFIXES = (".h5", ".hdf5", ".he5")
# the microscope vendors' formats: the bioio plugin that reads each, and its name
VENDOR = {
    ".czi": ("bioio_czi", "Zeiss CZI"),
    ".nd2": ("bioio_nd2", "Nikon ND2"),
    ".lif": ("bioio_lif", "Leica LIF"),
}


def _natural(path: Path):
    return [int(s) if s.isdigit() else s.lower() for s in re.split(r"(\d+)", path.name)]


def split_dataset(path: str | Path) -> tuple[Path, str | None]:
    """``movie.h5:/data`` -> (``movie.h5``, ``/data``), ``run.lif:Series003`` ->
    (``run.lif``, ``Series003``); other paths unchanged."""
    text = str(path)
    for suffix in (*HDF5_SUFFIXES, ".nwb", *VENDOR):
        i = text.lower().rfind(suffix + ":")
        if i >= 0:
            return Path(text[: i + len(suffix)]), text[i + len(suffix) + 1 :] or None
    return Path(text), None


def kind(path: str | Path) -> str | None:
    """Which reader opens ``path``: tiff-sequence, hdf5, suite2p, nwb, ome-zarr, vendor;
    None for one TIFF file (or anything else, which the TIFF reader then refuses)."""
    file, _ = split_dataset(path)
    text = str(path)
    if any(c in text for c in "*?[") and not file.exists():
        return "tiff-sequence"
    if is_zarr(file):
        return "ome-zarr"
    if file.is_dir():
        return "suite2p" if (file / "ops.npy").is_file() else "tiff-sequence"
    suffix = file.suffix.lower()
    if suffix in HDF5_SUFFIXES:
        return "hdf5"
    if suffix == ".nwb":
        return "nwb"
    if suffix in VENDOR:
        return "vendor"
    if suffix == ".bin" and (file.parent / "ops.npy").is_file():
        return "suite2p"
    return None


def exists(path: str | Path) -> bool:
    """Whether the movie at ``path`` (a file, folder, pattern or ``file:dataset``) is there."""
    file, _ = split_dataset(path)
    if file.exists():
        return True
    return kind(path) == "tiff-sequence" and bool(glob.glob(str(path)))


def input_files(path: str | Path) -> list[Path]:
    """The files a movie is read from, in order (what its checksum covers)."""
    file, _ = split_dataset(path)
    k = kind(path)
    if k == "tiff-sequence":
        return _tiff_files(path)
    if k == "suite2p":
        folder = file if file.is_dir() else file.parent
        return [folder / "data.bin", folder / "ops.npy"]
    if k == "ome-zarr":
        return sorted(p for p in file.rglob("*") if p.is_file())
    return [file]


def is_zarr(path: Path) -> bool:
    """A Zarr store: a folder named ``*.zarr`` or holding Zarr's metadata (v2 or v3)."""
    return path.is_dir() and (
        path.suffix.lower() == ".zarr"
        or any((path / name).is_file() for name in ("zarr.json", ".zgroup", ".zattrs"))
    )


def _tiff_files(path) -> list[Path]:
    path = Path(path)
    if path.is_dir():
        files = [p for p in path.iterdir() if p.suffix.lower() in TIFF_SUFFIXES]
        where = f"{path}: no TIFF file in this folder"
    else:
        files = [Path(p) for p in glob.glob(str(path))]
        where = f"{path}: no file matches this pattern"
    if not files:
        raise InputError(f"{where}; expected the movie's TIFF files")
    return sorted(files, key=_natural)


class TiffSequence:
    """Frames spread over TIFF files: each file holds one frame or a run of frames."""

    def __init__(self, path):
        self.path = Path(path)
        self.files = _tiff_files(path)
        self._open: dict[int, tifffile.TiffFile] = {}
        counts, shape, dtype = [], None, None
        for i, f in enumerate(self.files):
            tif = self._tif(i)
            series = tif.series[0]
            frames = series.shape[:-2]
            if shape is None:
                shape, dtype = series.shape[-2:], np.dtype(series.dtype)
                self.tif0 = tif
            elif series.shape[-2:] != shape or np.dtype(series.dtype) != dtype:
                raise InputError(
                    f"{f}: frames of {series.shape[-2:]} {series.dtype}; expected "
                    f"{shape} {dtype} as in {self.files[0].name}"
                )
            if len(frames) > 1 or len(series.pages) != max(1, int(np.prod(frames))):
                raise InputError(
                    f"{f}: shape {series.shape} (axes '{series.axes}'); expected frames "
                    "(T, Y, X) or one frame (Y, X) per file"
                )
            counts.append(int(np.prod(frames)) if frames else 1)
            self._close(i)
        self.starts = np.concatenate([[0], np.cumsum(counts)])
        self.shape = (int(self.starts[-1]), *shape)
        self.dtype = dtype

    def _tif(self, i: int) -> tifffile.TiffFile:
        if i not in self._open:
            try:
                self._open[i] = tifffile.TiffFile(self.files[i])
            except Exception as exc:
                raise InputError(
                    f"{self.files[i]}: not a readable TIFF file ({type(exc).__name__}: {exc})"
                ) from None
        return self._open[i]

    def _close(self, i: int) -> None:
        """Close file ``i`` (all but the first, which stays open for its metadata)."""
        if i != 0 and i in self._open:
            self._open.pop(i).close()

    def read(self, start: int, stop: int) -> np.ndarray:
        out = np.empty((stop - start, *self.shape[1:]), self.dtype)
        first = int(np.searchsorted(self.starts, start, side="right")) - 1
        t = start
        for i in range(first, len(self.files)):
            if t >= stop:
                break
            lo, hi = self.starts[i], self.starts[i + 1]
            pages = self._tif(i).series[0].pages
            for k in range(t - lo, min(stop, hi) - lo):
                out[t - start] = pages[k].asarray()
                t += 1
            self._close(i)
        return out

    def metadata(self) -> tuple[float | None, float | None]:
        """Frame rate and pixel size from the first file (OME, ImageJ, ScanImage)."""
        from .tiff import _imagej_metadata, _ome_metadata, _scanimage_rate

        rate, size = _ome_metadata(self.tif0)
        if rate is None and size is None:
            rate, size = _imagej_metadata(self.tif0)
        return rate or _scanimage_rate(self.tif0), size

    def close(self) -> None:
        for i in list(self._open):
            self._open.pop(i).close()


def _h5py(path):
    try:
        import h5py
    except ImportError:
        raise InputError(
            f"{path}: reading HDF5 and NWB needs h5py; install it with: "
            "pip install 'astrocalc[nwb]'"
        ) from None
    return h5py


def _open_h5(path: Path):
    h5py = _h5py(path)
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise InputError(f"{path}: not a readable HDF5 file ({exc})") from None


class Hdf5Movie:
    """A (T, Y, X) dataset of an HDF5 file."""

    def __init__(self, path):
        self.path, name = split_dataset(path)
        self.file = _open_h5(self.path)
        if name is None:
            found = []
            self.file.visititems(
                lambda n, obj: found.append(n) if getattr(obj, "ndim", 0) == 3 else None
            )
            if len(found) != 1:
                self.file.close()
                what = (
                    f"{len(found)} 3-D datasets ({', '.join(found[:5])})"
                    if found
                    else ("no 3-D dataset")
                )
                raise InputError(
                    f"{self.path}: {what}; name the movie's dataset after a colon, as in "
                    f"{self.path}:/path/to/dataset"
                )
            name = found[0]
        if name not in self.file or getattr(self.file[name], "ndim", 0) != 3:
            self.file.close()
            raise InputError(f"{self.path}: no 3-D dataset '{name}'; expected (T, Y, X) frames")
        self.data = self.file[name]
        self.shape, self.dtype = tuple(self.data.shape), np.dtype(self.data.dtype)

    def read(self, start: int, stop: int) -> np.ndarray:
        return np.asarray(self.data[start:stop])

    def metadata(self) -> tuple[float | None, float | None]:
        from .tiff import _positive

        attrs = self.data.attrs
        rate = _positive(attrs.get("frame_rate_hz", attrs.get("fs")))
        size = _positive(attrs.get("pixel_size_um"))
        spacing = attrs.get("element_size_um")
        if size is None and spacing is not None and np.size(spacing) >= 2:
            size = _positive(np.ravel(spacing)[-1])
        return rate, size

    def close(self) -> None:
        self.file.close()


class NwbMovie(Hdf5Movie):
    """The TwoPhotonSeries or OnePhotonSeries of an NWB file's /acquisition."""

    TYPES = ("TwoPhotonSeries", "OnePhotonSeries")

    def __init__(self, path):
        self.path, name = split_dataset(path)
        self.file = _open_h5(self.path)
        acquisition = self.file.get("acquisition", {})
        series = {
            n: g
            for n, g in acquisition.items()
            if _text(g.attrs.get("neurodata_type")) in self.TYPES and "data" in g
        }
        if name is not None:
            series = {n: g for n, g in series.items() if n == name.strip("/").split("/")[-1]}
        if len(series) != 1:
            self.file.close()
            names = ", ".join(series) or "none"
            raise InputError(
                f"{self.path}: {len(series)} imaging series in /acquisition ({names}); "
                f"expected one TwoPhotonSeries or OnePhotonSeries, or its name after a colon "
                f"({self.path}:NAME)"
            )
        ((self.name, self.group),) = series.items()
        self.data = self.group["data"]
        if self.data.ndim != 3:
            self.file.close()
            raise InputError(
                f"{self.path}: series {self.name} has data of shape {self.data.shape}; "
                "expected (frame, x, y)"
            )
        t, x, y = self.data.shape
        self.shape, self.dtype = (t, y, x), np.dtype(self.data.dtype)

    def read(self, start: int, stop: int) -> np.ndarray:
        return np.asarray(self.data[start:stop]).transpose(0, 2, 1)

    def metadata(self) -> tuple[float | None, float | None]:
        from .tiff import _positive

        rate = None
        if "starting_time" in self.group:
            rate = _positive(self.group["starting_time"].attrs.get("rate"))
        size = None
        plane = self.group.get("imaging_plane")
        if plane is not None and "grid_spacing" in plane:
            spacing = plane["grid_spacing"]
            unit = _text(spacing.attrs.get("unit", "meters"))
            scale = {"meters": 1e6, "m": 1e6, "millimeters": 1e3, "micrometers": 1.0}
            value = _positive(np.ravel(spacing[()])[0])
            if value is not None and unit in scale:
                size = value * scale[unit]
        return rate, size


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class Suite2pBinary:
    """suite2p's registered or raw binary: int16 frames (T, Ly, Lx) described by ops.npy."""

    def __init__(self, path):
        path = Path(path)
        folder = path if path.is_dir() else path.parent
        self.path = folder / "data.bin" if path.is_dir() else path
        try:
            ops = np.load(folder / "ops.npy", allow_pickle=True).item()
            self.ly, self.lx = int(ops["Ly"]), int(ops["Lx"])
        except Exception as exc:
            raise InputError(
                f"{folder / 'ops.npy'}: not a readable suite2p ops file ({exc}); "
                "expected a dict with Ly and Lx"
            ) from None
        if not self.path.is_file():
            raise InputError(f"{self.path}: file not found; expected suite2p's data.bin")
        frame_bytes = self.ly * self.lx * 2
        size = self.path.stat().st_size
        if size % frame_bytes:
            raise InputError(
                f"{self.path}: {size} bytes is not a whole number of {self.ly}x{self.lx} "
                "int16 frames (ops.npy Ly, Lx)"
            )
        self.fs = ops.get("fs")
        self.dtype = np.dtype("<i2")
        self.shape = (size // frame_bytes, self.ly, self.lx)
        self.file = open(self.path, "rb")  # noqa: SIM115 (closed by close())

    def read(self, start: int, stop: int) -> np.ndarray:
        out = np.empty((stop - start, self.ly, self.lx), self.dtype)
        self.file.seek(start * self.ly * self.lx * 2)
        self.file.readinto(out)
        return out

    def metadata(self) -> tuple[float | None, float | None]:
        from .tiff import _positive

        return _positive(self.fs), None

    def close(self) -> None:
        self.file.close()


# units of OME-NGFF axes (the UDUNITS-2 names the specification lists) in seconds and um
SECONDS = {"second": 1.0, "millisecond": 1e-3, "microsecond": 1e-6, "minute": 60.0, "hour": 3600.0}
MICROMETERS = {"micrometer": 1.0, "nanometer": 1e-3, "millimeter": 1e3, "meter": 1e6}


class OmeZarrMovie:
    """The full-resolution level of an OME-Zarr image: (T, Y, X) from axes t, [c], [z], y, x.

    OME-NGFF (Moore et al. 2021, Nat Methods 18:1496; https://ngff.openmicroscopy.org):
    the image's group holds ``multiscales`` (0.4: in the group's attributes; 0.5: under
    ``ome``), whose first entry names the axes and lists the resolution levels, the first
    the full resolution, each with a scale per axis; a scale on the multiscale itself
    applies on top of the level's.
    """

    CHANNELS = True  # takes a channel (open_movie's channel)

    def __init__(self, path, channel: int | None = None):
        self.path = Path(path)
        zarr = _zarr(self.path)
        try:
            group = zarr.open_group(str(self.path), mode="r")
            attrs = group.attrs.asdict()
        except Exception as exc:
            raise InputError(
                f"{self.path}: not a readable Zarr group ({type(exc).__name__}: {exc}); "
                "expected an OME-Zarr image"
            ) from None
        multiscales = attrs.get("ome", attrs).get("multiscales")
        if not multiscales:
            raise InputError(
                f"{self.path}: no OME-Zarr 'multiscales' metadata; expected an OME-Zarr "
                "image (OME-NGFF 0.4 or 0.5)"
            )
        image = multiscales[0]
        self.axes = [a["name"] if isinstance(a, dict) else str(a) for a in image["axes"]]
        units = [a.get("unit") if isinstance(a, dict) else None for a in image["axes"]]
        level = image["datasets"][0]
        try:
            self.data = group[level["path"]]
        except KeyError:
            raise InputError(
                f"{self.path}: no array '{level['path']}' (the first level of its "
                "multiscales); the image is incomplete"
            ) from None
        shape = dict(zip(self.axes, self.data.shape, strict=True))
        if not {"t", "y", "x"} <= set(shape):
            raise InputError(
                f"{self.path}: axes {''.join(self.axes)}; expected a movie with axes t, y, x"
            )
        index = {}
        for axis in self.axes:
            if axis in ("t", "y", "x"):
                continue
            if axis == "c" and channel is not None:
                if not 0 <= channel < shape["c"]:
                    raise InputError(
                        f"{self.path}: channel {channel} asked for; the image has "
                        f"{shape['c']} (0 to {shape['c'] - 1})"
                    )
                index[axis] = channel
            elif shape[axis] == 1:
                index[axis] = 0
            else:
                what = (
                    "channels (axis c); choose the calcium channel with motion.channel "
                    "(0-based) in the config"
                    if axis == "c"
                    else f"planes (axis {axis}); expected one"
                )
                raise InputError(f"{self.path}: {shape[axis]} {what}")
        if channel not in (None, 0) and "c" not in shape:
            raise InputError(f"{self.path}: channel {channel} asked for; the image has one")
        self._index = index
        self.shape = (shape["t"], shape["y"], shape["x"])
        self.dtype = np.dtype(self.data.dtype)
        scale = np.ones(len(self.axes))
        for transforms in (level.get("coordinateTransformations"),
                           image.get("coordinateTransformations")):  # fmt: skip
            for transform in transforms or ():
                if transform.get("type") == "scale":
                    scale = scale * np.asarray(transform["scale"], float)
        self._scale = dict(zip(self.axes, scale, strict=True))
        self._units = dict(zip(self.axes, units, strict=True))

    def read(self, start: int, stop: int) -> np.ndarray:
        key = tuple(
            self._index.get(a, slice(start, stop) if a == "t" else slice(None)) for a in self.axes
        )
        return np.asarray(self.data[key])  # the axes left are t, y, x in this order

    def metadata(self) -> tuple[float | None, float | None]:
        from .tiff import _positive

        interval = _in(self._scale["t"], self._units["t"], SECONDS)
        size = _in(self._scale["x"], self._units["x"], MICROMETERS)
        return (_positive(1.0 / interval) if interval else None), _positive(size)

    def close(self) -> None:
        pass


def _zarr(path):
    try:
        import zarr
    except ImportError:
        raise InputError(
            f"{path}: reading and writing OME-Zarr needs zarr; install it with: "
            "pip install 'astrocalc[formats]'"
        ) from None
    return zarr


# bytes of one chunk of a written OME-Zarr movie (whole frames): a few MB, as Zarr's guide
# advises (at least 1 MB uncompressed), so that a viewer reads little beyond a frame
CHUNK_BYTES = 4 * 2**20


class OmeZarrWriter:
    """Write a (T, Y, X) movie frame-chunk by frame-chunk into an OME-Zarr image (OME-NGFF
    0.5 on Zarr v3): one resolution level ``0``, axes t, y, x with their scales in
    seconds and micrometers, chunks of whole frames compressed by Blosc (zstd, bit
    shuffle, lossless). The interface of :class:`astrocalc.io.MovieWriter`."""

    def __init__(self, path, shape, dtype=np.float32, *, frame_rate_hz=None, pixel_size_um=None):
        zarr = _zarr(path)
        from zarr.codecs import BloscCodec

        self.path = Path(path)
        axes, scale = [], []
        for name, kind, unit, step in (
            ("t", "time", "second", 1.0 / frame_rate_hz if frame_rate_hz else None),
            ("y", "space", "micrometer", pixel_size_um),
            ("x", "space", "micrometer", pixel_size_um),
        ):
            axes.append({"name": name, "type": kind, **({"unit": unit} if step else {})})
            scale.append(step or 1.0)
        image = {
            "name": self.path.name,
            "axes": axes,
            "datasets": [
                {"path": "0", "coordinateTransformations": [{"type": "scale", "scale": scale}]}
            ],
        }
        group = zarr.open_group(
            str(self.path),
            mode="w-",
            zarr_format=3,
            attributes={"ome": {"version": "0.5", "multiscales": [image]}},
        )
        frame_bytes = int(np.prod(shape[1:])) * np.dtype(dtype).itemsize
        self._data = group.create_array(
            "0",
            shape=tuple(shape),
            dtype=dtype,
            chunks=(max(1, min(shape[0], CHUNK_BYTES // frame_bytes)), *shape[1:]),
            compressors=BloscCodec(cname="zstd", clevel=3, shuffle="bitshuffle"),
            dimension_names=("t", "y", "x"),
        )
        self._next = 0

    @classmethod
    def reopen(cls, path) -> OmeZarrWriter:
        """A writer over an existing image, to overwrite frames with :meth:`write_at`."""
        self = cls.__new__(cls)
        self.path = Path(path)
        self._data = _zarr(path).open_group(str(self.path), mode="r+")["0"]
        self._next = self._data.shape[0]
        return self

    def write(self, block: np.ndarray) -> None:
        self.write_at(self._next, block)
        self._next += len(block)

    def write_at(self, index: int, block: np.ndarray) -> None:
        """Write frames ``block`` (n, Y, X) starting at frame ``index``."""
        self._data[index : index + len(block)] = np.asarray(block, self._data.dtype)

    def read(self, start: int, stop: int) -> np.ndarray:
        """Frames ``start:stop`` as written so far (n, Y, X), to be rewritten in place."""
        return np.asarray(self._data[start:stop])

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class VendorMovie:
    """One scene of a Zeiss CZI, Nikon ND2 or Leica LIF file through bioio (the Allen
    Institute's successor of AICSImageIO) and the format's plugin: bioio-czi (on Zeiss'
    libCZI), bioio-nd2 (on the nd2 package), bioio-lif. bioio gives every
    scene as T, C, Z, Y, X, with the pixel size in micrometers and the interval between
    time points where the file records them."""

    CHANNELS = True

    def __init__(self, path, channel: int | None = None):
        self.path, scene = split_dataset(path)
        suffix = self.path.suffix.lower()
        plugin, name = VENDOR[suffix]
        try:
            from bioio import BioImage

            reader = importlib.import_module(plugin).Reader
        except ImportError:
            raise InputError(
                f"{self.path}: reading {name} needs bioio and {plugin.replace('_', '-')}; "
                "install them with: pip install 'astrocalc[formats]'"
            ) from None
        try:
            image = BioImage(self.path, reader=reader)
            scenes = list(image.scenes)
        except Exception as exc:
            raise InputError(
                f"{self.path}: not a readable {name} file ({type(exc).__name__}: {exc})"
            ) from None
        if scene is None and len(scenes) > 1:
            raise InputError(
                f"{self.path}: {len(scenes)} scenes ({_listed(scenes)}); name one after a "
                f"colon, e.g. {self.path.name}:{scenes[0]}"
            )
        if scene is not None and scene not in scenes:
            raise InputError(f"{self.path}: no scene '{scene}'; it has {_listed(scenes)}")
        image.set_scene(scene if scene is not None else scenes[0])
        dims = image.dims
        if dims.Z > 1:
            raise InputError(f"{self.path}: {dims.Z} planes (Z) per time point; expected one")
        if channel is not None and not 0 <= channel < dims.C:
            raise InputError(
                f"{self.path}: channel {channel} asked for; the image has {dims.C} "
                f"(0 to {dims.C - 1})"
            )
        if channel is None and dims.C > 1:
            raise InputError(
                f"{self.path}: {dims.C} channels; choose the calcium channel with "
                "motion.channel (0-based) in the config"
            )
        self._image = image
        self._frames = image.get_image_dask_data("TYX", C=channel or 0, Z=0)
        self.shape = tuple(int(n) for n in self._frames.shape)
        self.dtype = np.dtype(self._frames.dtype)

    def read(self, start: int, stop: int) -> np.ndarray:
        return np.asarray(self._frames[start:stop].compute())

    def metadata(self) -> tuple[float | None, float | None]:
        from .tiff import _positive

        interval = self._image.time_interval  # a timedelta, or None where not recorded
        seconds = interval.total_seconds() if interval is not None else None
        return (_positive(1.0 / seconds) if seconds else None), _positive(
            self._image.physical_pixel_sizes.X
        )

    def close(self) -> None:
        pass  # bioio's readers open the file for each read


def _listed(names: list[str], most: int = 5) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def _in(value: float, unit: str | None, units: dict[str, float]) -> float | None:
    """``value`` in ``unit`` converted by ``units``; None where the unit is not given or
    known (a scale without a unit is no calibration)."""
    return value * units[unit] if unit in units else None


READERS = {
    "tiff-sequence": TiffSequence,
    "hdf5": Hdf5Movie,
    "nwb": NwbMovie,
    "suite2p": Suite2pBinary,
    "ome-zarr": OmeZarrMovie,
    "vendor": VendorMovie,
}
