"""Movies that are not one TIFF file (astrocalc.io.formats), each written with the format's
own writer: the same frames and calibration as the TIFF, and the same shifts and ROIs."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import tifffile

from astrocalc import config, layout
from astrocalc.errors import InputError
from astrocalc.io import open_movie
from astrocalc.pipeline import run_motion, run_segmentation

FS, PX = 10.0, 0.4
FORMATS = (
    "folder",
    "pattern",
    "hdf5",
    "suite2p",
    "nwb",
    "ome-zarr",
    "ome-zarr-0.4",
    "czi",
    "lif",
    "nd2",
)


def _frames(small_movie):
    path, _ = small_movie
    with open_movie(path) as movie:
        return movie.read(0, movie.n_frames).astype(np.uint16)


def _write(fmt, frames, folder):
    """The movie in format ``fmt`` under ``folder``: (path, calibration in its metadata)."""
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "folder":  # Prairie View: one frame per file, no calibration
        for i, frame in enumerate(frames):
            tifffile.imwrite(folder / f"frame_{i}.tif", frame)
        return str(folder), False
    if fmt == "pattern":  # ScanImage: one recording in files of 100 frames
        for k in range(3):
            tifffile.imwrite(folder / f"rec_{k + 1:05d}.tif", frames[100 * k : 100 * (k + 1)])
        tifffile.imwrite(folder / "other.tif", frames[:20])  # not matched by the pattern
        return str(folder / "rec_*.tif"), False
    if fmt == "hdf5":
        h5py = pytest.importorskip("h5py")
        with h5py.File(folder / "movie.h5", "w") as f:
            data = f.create_dataset("imaging/data", data=frames, chunks=(16, 64, 64))
            data.attrs["frame_rate_hz"] = FS
            data.attrs["element_size_um"] = [1.0, PX, PX]
            f.create_dataset("imaging/background", data=frames[:10])  # a second 3-D dataset
        return str(folder / "movie.h5") + ":/imaging/data", True
    if fmt == "suite2p":
        frames.astype(np.int16).tofile(folder / "data.bin")
        np.save(folder / "ops.npy", {"Ly": 64, "Lx": 64, "fs": FS, "nframes": len(frames)})
        return str(folder / "data.bin"), "rate only"
    if fmt == "nwb":
        return str(_write_nwb(frames, folder / "movie.nwb")), True
    if fmt.startswith("ome-zarr"):  # NGFF 0.5 on Zarr v3, or 0.4 on Zarr v2; with a pyramid
        return str(
            _write_ome_zarr(frames, folder / "movie.ome.zarr", "tyx", fmt.endswith("0.4"))
        ), True
    if fmt == "czi":  # no frame interval: pylibCZIrw writes none
        return str(_write_czi(frames[:, None], folder / "movie.czi")), "size only"
    if fmt == "lif":  # bioio-lif gives no frame interval
        return str(_write_lif(frames, folder / "movie.lif")), "size only"
    if fmt == "nd2":
        return str(_write_nd2(frames, folder / "movie.nd2")), True
    raise AssertionError(fmt)


# pylibCZIrw's writer, run in a process of its own: its native write_metadata crashed a
# test worker once (a segmentation fault after that worker had run other tests; never in a
# fresh process, 40 of 40), and a crash there must not take the test run with it
_CZI_WRITER = """
import sys
import numpy as np
from pylibCZIrw import czi as pyczi
frames, px = np.load(sys.argv[2]), float(sys.argv[3])
with pyczi.create_czi(sys.argv[1], exist_ok=True) as czi:
    for t, channels in enumerate(frames):
        for c, frame in enumerate(channels):
            czi.write(data=frame, plane={"T": t, "Z": 0, "C": c})
    # (in meters, as CZI's metadata stores lengths, whatever the docstring says)
    czi.write_metadata(document_name="movie", scale_x=px * 1e-6, scale_y=px * 1e-6)
"""


def _write_czi(frames, path):
    """(T, C, Y, X) ``frames`` as a Zeiss CZI written by Zeiss' libCZI (pylibCZIrw, the
    reader bioio-czi uses), the pixel size in its metadata."""
    pytest.importorskip("bioio_czi")
    np.save(path.with_suffix(".npy"), frames)
    run = [sys.executable, "-c", _CZI_WRITER, str(path), str(path.with_suffix(".npy")), str(PX)]
    r = subprocess.run(run, capture_output=True, text=True)
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    path.with_suffix(".npy").unlink()
    return path


def _write_ome_zarr(frames, path, axes, v04=False):
    """``frames`` as OME-Zarr written by ome-zarr-py (levels at 1/2 ... 1/16 of the size),
    calibrated in seconds and micrometers."""
    zarr = pytest.importorskip("zarr")
    pytest.importorskip("ome_zarr")
    from ome_zarr.format import FormatV04
    from ome_zarr.writer import write_image

    group = zarr.open_group(path, mode="w", zarr_format=2 if v04 else 3)
    write_image(
        frames,
        group,
        axes=axes,
        scale={"t": 1 / FS, **({"c": 1.0} if "c" in axes else {}), "y": PX, "x": PX},
        axes_units={"t": "second", "y": "micrometer", "x": "micrometer"},
        storage_options={"chunks": (16, *([1] * (frames.ndim - 3)), 64, 64)},
        **({"fmt": FormatV04()} if v04 else {}),
    )
    return path


def _write_nwb(frames, path):
    pynwb = pytest.importorskip("pynwb")
    from datetime import UTC, datetime

    from pynwb.ophys import OpticalChannel, TwoPhotonSeries

    nwb = pynwb.NWBFile(
        session_description="test",
        identifier="movie",
        session_start_time=datetime(2026, 1, 1, tzinfo=UTC),
    )
    device = nwb.create_device(name="scope")
    plane = nwb.create_imaging_plane(
        name="plane",
        optical_channel=OpticalChannel(name="green", description="GCaMP", emission_lambda=510.0),
        description="astrocytes",
        device=device,
        excitation_lambda=920.0,
        imaging_rate=FS,
        indicator="GCaMP6f",
        location="cortex",
        grid_spacing=[PX * 1e-6, PX * 1e-6],
        grid_spacing_unit="meters",
    )
    # the NWB schema's (frame, x, y)
    series = TwoPhotonSeries(
        name="TwoPhotonSeries",
        data=frames.transpose(0, 2, 1),
        imaging_plane=plane,
        rate=FS,
        unit="n.a.",
    )
    nwb.add_acquisition(series)
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path


def _write_lif(frames, path):
    """(T, Y, X) uint16 ``frames`` (or {name: frames} for several images) as a Leica LIF
    (version 2) made here, Leica's reader libraries having no writer: a binary header
    (0x70, size, 0x2A, length) before the UTF-16 XML that describes each image (one
    channel; X, Y and T with their extents in m and s and the bytes between neighbours),
    then one memory block per image (0x70, 0, 0x2A, size, 0x2A, length, its UTF-16 id)
    holding its pixels in that order."""
    pytest.importorskip("bioio_lif")
    import struct

    images = frames if isinstance(frames, dict) else {"movie": frames}
    elements = []
    for k, (name, movie) in enumerate(images.items()):
        t, y, x = movie.shape
        dims = "".join(
            f'<DimensionDescription DimID="{dim}" NumberOfElements="{n}" Origin="0" '
            f'Length="{length!r}" Unit="{unit}" BitInc="0" BytesInc="{inc}"/>'
            for dim, n, length, unit, inc in (
                (1, x, (x - 1) * PX * 1e-6, "m", 2),
                (2, y, (y - 1) * PX * 1e-6, "m", 2 * x),
                (4, t, (t - 1) / FS, "s", 2 * x * y),
            )
        )
        elements.append(
            f'<Element Name="{name}" UniqueID="{k + 2}"><Data><Image><ImageDescription>'
            '<Channels><ChannelDescription DataType="0" ChannelTag="0" Resolution="16" '
            'NameOfMeasuredQuantity="" Min="0" Max="65535" Unit="" LUTName="Green" '
            'IsLUTInverted="0" BytesInc="0" BitInc="0"/></Channels>'
            f"<Dimensions>{dims}</Dimensions></ImageDescription></Image></Data>"
            f'<Memory Size="{movie.nbytes}" MemoryBlockID="MemBlock_{k + 2}"/><Children/>'
            "</Element>"
        )
    xml = (
        '<LMSDataContainerHeader Version="2"><Element Name="project" UniqueID="1"><Data/>'
        '<Memory Size="0" MemoryBlockID="MemBlock_1"/>'
        f"<Children>{''.join(elements)}</Children></Element></LMSDataContainerHeader>"
    )
    with open(path, "wb") as f:
        f.write(struct.pack("<IIBI", 0x70, 2 * len(xml) + 5, 0x2A, len(xml)))
        f.write(xml.encode("utf-16-le"))
        blocks = [("MemBlock_1", b"")]
        blocks += [
            (f"MemBlock_{k + 2}", m.astype("<u2").tobytes()) for k, m in enumerate(images.values())
        ]
        for block, data in blocks:
            f.write(struct.pack("<IIBQBI", 0x70, 0, 0x2A, len(data), 0x2A, len(block)))
            f.write(block.encode("utf-16-le"))
            f.write(data)
    return path


def _clx_lite(name, value):
    """``value`` as one record of Nikon's binary CLX Lite encoding (the ND2 metadata's):
    type code, name length and UTF-16 name, then the value; a dict is a level, its records
    followed by a table of 8 bytes per item."""
    import struct

    def head(kind):
        return bytes([kind, len(name) + 1]) + (name + "\0").encode("utf-16-le")

    if isinstance(value, dict):
        items = b"".join(_clx_lite(k, v) for k, v in value.items())
        size = len(head(11)) + 12 + len(items)
        return head(11) + struct.pack("<IQ", len(value), size) + items + bytes(8 * len(value))
    if isinstance(value, bool):
        return head(1) + struct.pack("<B", value)
    if isinstance(value, int):
        return head(3) + struct.pack("<I", value)
    if isinstance(value, float):
        return head(6) + struct.pack("<d", value)
    return head(8) + (value + "\0").encode("utf-16-le")


def _write_nd2(frames, path):
    """(T, Y, X) uint16 ``frames`` as a Nikon ND2 (version 3) made here, no ND2 writer
    existing outside Nikon's SDK: chunks (magic 0x0ABECEDA, name and data lengths, name,
    data) holding the image attributes, the picture metadata (pixel size, one channel) and
    the experiment (a time loop with its period) in CLX Lite, then one chunk per frame (its
    time in ms, then its pixels, 4,096 bytes after the chunk's start), and at the end the
    map of the chunks' offsets."""
    pytest.importorskip("bioio_nd2")
    import struct

    t, y, x = frames.shape
    times = np.arange(t) * 1000.0 / FS

    def spectrum(nm):
        return {"uiCount": 1, "pPoint": {"Point0": {"dTValue": 1.0, "dWavelength": nm}}}

    attributes = {
        "uiWidth": x, "uiWidthBytes": 2 * x, "uiHeight": y, "uiComp": 1, "uiBpcInMemory": 16,
        "uiBpcSignificant": 16, "uiSequenceCount": t, "eCompression": 2,
    }  # fmt: skip
    channel = {
        "sDescription": "GCaMP", "uiCompCount": 1, "pFluorescentProbe": {
            "m_sName": "GCaMP6f", "m_ExcitationSpectrum": spectrum(488.0),
            "m_EmissionSpectrum": spectrum(510.0),
        },
    }  # fmt: skip
    picture = {
        "bCalibrated": True, "dCalibration": PX,
        "sPicturePlanes": {"uiCount": 1, "sPlaneNew": {"a0": channel}},
    }  # fmt: skip
    time_loop = {"uiCount": t, "dStart": 0.0, "dPeriod": 1000.0 / FS, "dDuration": 0.0}
    chunks = [
        (b"ImageAttributesLV!", _clx_lite("SLxImageAttributes", attributes)),
        (b"ImageMetadataSeqLV|0!", _clx_lite("SLxPictureMetadata", picture)),
        (b"ImageMetadataLV!", _clx_lite("SLxExperiment", {"eType": 1, "uLoopPars": time_loop})),
        (b"CustomData|AcqTimesCache!", times.tobytes()),
    ]
    chunks += [
        (f"ImageDataSeq|{i}!".encode(), struct.pack("<d", ms) + frame.astype("<u2").tobytes())
        for i, (ms, frame) in enumerate(zip(times, frames, strict=True))
    ]

    def chunk(name, data, name_length):
        return (
            struct.pack("<IIQ", 0x0ABECEDA, name_length, len(data))
            + name.ljust(name_length, b"\0")
            + data
        )

    with open(path, "wb") as f:
        f.write(chunk(b"ND2 FILE SIGNATURE CHUNK NAME01!", b"Ver3.0".ljust(64, b"\0"), 32))
        table = b""
        for name, data in chunks:
            table += name + struct.pack("<QQ", f.tell(), len(data))
            f.write(chunk(name, data, 4072 if name.startswith(b"ImageDataSeq|") else len(name)))
        table += b"ND2 CHUNK MAP SIGNATURE 0000001!" + struct.pack("<Q", f.tell())
        f.write(chunk(b"ND2 FILEMAP SIGNATURE NAME 0001!", table, 32))
    return path


def test_lif_scenes(small_movie, tmp_path):
    """A LIF project of two recordings: one is named after a colon; without a name, one
    line lists them."""
    frames = _frames(small_movie)[:20]
    path = _write_lif({"Series001": frames, "Series002": frames // 2 + 3}, tmp_path / "p.lif")
    with pytest.raises(InputError, match=r"p\.lif: 2 scenes \(Series001, Series002\); name one"):
        open_movie(path, frame_rate_hz=FS)
    with open_movie(f"{path}:Series002", frame_rate_hz=FS) as movie:
        assert movie.shape == frames.shape and movie.pixel_size_um == pytest.approx(PX)
        np.testing.assert_array_equal(movie.read(0, 20), frames // 2 + 3)


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_reads_the_frames_and_calibration(small_movie, tmp_path, fmt):
    frames = _frames(small_movie)
    path, calibrated = _write(fmt, frames, tmp_path / fmt)
    with open_movie(path, require_calibration=False) as movie:
        assert movie.shape == frames.shape
        np.testing.assert_array_equal(movie.read(0, movie.n_frames), frames)
        np.testing.assert_array_equal(movie.read(95, 205), frames[95:205])
        assert movie.frame_rate_hz == (FS if calibrated in (True, "rate only") else None)
        assert movie.pixel_size_um == (
            pytest.approx(PX) if calibrated in (True, "size only") else None
        )
        assert all(f.is_file() for f in movie.files)


# the frames read equal the TIFF's (above, in make check); this end-to-end check of the
# stages on each format is in the full tier
@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_motion_and_rois_as_on_the_tiff(small_movie, tmp_path, fmt):
    """`astrocalc run`'s first stages on each format: the shifts and ROIs of the TIFF."""
    frames = _frames(small_movie)
    cfg = config.defaults()
    runs = {}
    for name, path in (("tiff", None), (fmt, _write(fmt, frames, tmp_path / fmt)[0])):
        if path is None:
            path = tmp_path / "movie.tif"
            tifffile.imwrite(path, frames)
        out = tmp_path / f"out_{name}"
        run_motion(path, out, config=cfg, frame_rate_hz=FS, pixel_size_um=PX)
        run_segmentation(out, config=cfg)
        runs[name] = out
    a, b = runs["tiff"], runs[fmt]
    pd.testing.assert_frame_equal(
        pd.read_csv(layout.path(a, "motion/shifts.csv")),
        pd.read_csv(layout.path(b, "motion/shifts.csv")),
    )
    labels = tifffile.imread(layout.path(a, "segmentation/rois.tif"))
    assert labels.max() > 3
    np.testing.assert_array_equal(labels, tifffile.imread(layout.path(b, "segmentation/rois.tif")))


def test_unclear_or_broken_inputs_name_the_file(small_movie, tmp_path):
    frames = _frames(small_movie)
    path, _ = _write("hdf5", frames, tmp_path / "h5")
    bare = path.split(":")[0]
    with pytest.raises(InputError, match=r"movie\.h5: 2 3-D datasets .* after a colon"):
        open_movie(bare)
    with pytest.raises(InputError, match="no 3-D dataset 'nothing'"):
        open_movie(bare + ":nothing")
    _write("suite2p", frames, tmp_path / "s2p")
    with open(tmp_path / "s2p" / "data.bin", "ab") as f:
        f.write(b"\0\0\0")
    with pytest.raises(InputError, match="not a whole number of 64x64 int16 frames"):
        open_movie(tmp_path / "s2p")
    with pytest.raises(InputError, match="nothing_\\*.tif: no file matches this pattern"):
        open_movie(tmp_path / "h5" / "nothing_*.tif")
    folder, _ = _write("folder", frames[:20], tmp_path / "frames")
    with pytest.raises(InputError, match="frames: no frame rate in the file's metadata"):
        open_movie(folder)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no TIFF file in this folder"):
        open_movie(tmp_path / "empty", frame_rate_hz=FS, pixel_size_um=PX)


def test_ome_zarr_channels_and_what_is_not_a_movie(small_movie, tmp_path, monkeypatch):
    """An OME-Zarr image of two channels opens one with ``channel``, and names its
    channels without; a Zarr group that is not an OME-Zarr image, and a missing zarr,
    give one line naming the folder."""
    frames = _frames(small_movie)[:40]
    two = np.stack([frames, frames // 2 + 7], axis=1)  # (t, c, y, x)
    path = _write_ome_zarr(two, tmp_path / "two.ome.zarr", "tcyx")
    with pytest.raises(
        InputError, match=r"two\.ome\.zarr: 2 channels \(axis c\); choose the calcium channel"
    ):
        open_movie(path)
    with open_movie(path, channel=1) as movie:
        assert movie.shape == frames.shape and movie.frame_rate_hz == FS
        np.testing.assert_array_equal(movie.read(3, 9), frames[3:9] // 2 + 7)
    with pytest.raises(InputError, match="channel 2 asked for; the image has 2"):
        open_movie(path, channel=2)
    zarr = pytest.importorskip("zarr")
    zarr.open_group(tmp_path / "plain.zarr", mode="w").create_array("x", data=frames)
    with pytest.raises(InputError, match=r"plain\.zarr: no OME-Zarr 'multiscales' metadata"):
        open_movie(tmp_path / "plain.zarr")
    monkeypatch.setitem(sys.modules, "zarr", None)
    with pytest.raises(InputError, match=r"pip install 'astrocalc\[formats\]'"):
        open_movie(path, channel=0)


def test_czi_channels_scenes_and_a_missing_reader(small_movie, tmp_path, monkeypatch):
    """A CZI of two channels: the channel is chosen with ``channel``, a scene may be named
    after a colon; without the channel, with a scene it lacks, or without bioio-czi, one
    line says what to give or install. (bioio-czi sees one scene in a CZI of several that
    pylibCZIrw writes, so the choice among several is not tested on a file.)"""
    frames = _frames(small_movie)[:12]
    path = _write_czi(np.stack([frames, frames // 2 + 7], axis=1), tmp_path / "two.czi")
    with pytest.raises(InputError, match=r"two\.czi: 2 channels; choose the calcium channel"):
        open_movie(path, frame_rate_hz=FS)
    for name in (path, f"{path}:Image:0"):
        with open_movie(name, channel=1, frame_rate_hz=FS) as movie:
            assert movie.shape == frames.shape and movie.pixel_size_um == pytest.approx(PX)
            np.testing.assert_array_equal(movie.read(3, 9), frames[3:9] // 2 + 7)
            assert movie.files == (path,)
    with pytest.raises(InputError, match="channel 2 asked for; the image has 2"):
        open_movie(path, channel=2)
    with pytest.raises(InputError, match="two\\.czi: no scene 'Image:1'; it has Image:0$"):
        open_movie(f"{path}:Image:1", channel=0)
    monkeypatch.setitem(sys.modules, "bioio_czi", None)
    with pytest.raises(
        InputError, match=r"two\.czi: reading Zeiss CZI needs bioio and bioio-czi.*\[formats\]"
    ):
        open_movie(path, channel=0)


def test_corrected_movie_as_ome_zarr(small_movie, tmp_path):
    """motion.corrected_format: ome-zarr writes the corrected movie as an OME-Zarr image
    that ome-zarr-py reads as one (its frames, scales and units), from which segmentation
    and events give the TIFF's ROIs and events; flagged frames are interpolated in it."""
    pytest.importorskip("ome_zarr")
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Multiscales, Reader

    from astrocalc.pipeline import run_events

    path, _ = small_movie
    runs = {}
    for fmt in ("tiff", "ome-zarr"):
        cfg = config.defaults()
        cfg["motion"].update(corrected_format=fmt, flagged_frames="interpolate")
        cfg["pixel_events"]["enabled"] = False
        out = tmp_path / fmt
        run_motion(path, out, config=cfg, frame_rate_hz=FS, pixel_size_um=PX)
        run_segmentation(out, config=cfg)
        run_events(out, config=cfg)
        runs[fmt] = out
    store = layout.path(runs["ome-zarr"], "motion/corrected.ome.zarr")
    assert store.is_dir() and not layout.path(runs["ome-zarr"], "motion/corrected.tif").exists()
    (image,) = [
        n for n in Reader(parse_url(store))() if any(isinstance(x, Multiscales) for x in n.specs)
    ]
    with open_movie(layout.path(runs["tiff"], "motion/corrected.tif")) as tif:
        frames = tif.read(0, tif.n_frames)
    np.testing.assert_array_equal(np.asarray(image.data[0]), frames)
    axes = image.metadata["axes"]
    assert [(a["name"], a.get("unit")) for a in axes] == [
        ("t", "second"),
        ("y", "micrometer"),
        ("x", "micrometer"),
    ]
    scale = image.metadata["coordinateTransformations"][0][0]["scale"]
    assert scale == pytest.approx([1 / FS, PX, PX])
    for rel in ("segmentation/rois.tif", "events/traces.csv"):
        a, b = (layout.path(runs[f], rel) for f in ("tiff", "ome-zarr"))
        assert a.read_bytes() == b.read_bytes(), rel
    for rel in ("motion/shifts.csv", "events/events.csv"):
        pd.testing.assert_frame_equal(
            pd.read_csv(layout.path(runs["tiff"], rel)),
            pd.read_csv(layout.path(runs["ome-zarr"], rel)),
        )
