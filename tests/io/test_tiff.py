import numpy as np
import pytest
import tifffile

from astrocalc.errors import InputError
from astrocalc.io import MovieWriter, open_movie


def _movie(n=20, shape=(32, 40), dtype=np.uint16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 1000, (n, *shape)).astype(dtype)


def test_chunked_read_equals_whole_and_calibration_roundtrip(tmp_path):
    data = _movie()
    path = tmp_path / "m.tif"
    with MovieWriter(path, data.shape, np.uint16, frame_rate_hz=12.5, pixel_size_um=0.8) as w:
        w.write(data[:7])
        w.write(data[7:])
    with open_movie(path) as m:
        assert m.shape == data.shape
        assert m.frame_rate_hz == pytest.approx(12.5)
        assert m.pixel_size_um == pytest.approx(0.8)
        parts = [block[start - lo : stop - lo] for start, stop, lo, block in m.chunks(6, overlap=2)]
        np.testing.assert_array_equal(np.concatenate(parts), data.astype(np.float32))


def test_compressed_file_is_read_page_by_page(tmp_path):
    data = _movie()
    path = tmp_path / "c.tif"
    tifffile.imwrite(path, data, compression="zlib")
    with open_movie(path, frame_rate_hz=5, pixel_size_um=1) as m:
        assert m._offset is None
        np.testing.assert_array_equal(m.read(3, 9), data[3:9])


def test_big_endian_file_is_read_at_its_offset(tmp_path):
    data = _movie()
    path = tmp_path / "be.tif"
    tifffile.imwrite(path, data, byteorder=">")
    with open_movie(path, frame_rate_hz=5, pixel_size_um=1) as m:
        assert m._offset is not None
        np.testing.assert_array_equal(m.read(2, 7), data[2:7])


def test_ome_metadata(tmp_path):
    path = tmp_path / "o.ome.tif"
    tifffile.imwrite(
        path,
        _movie(),
        ome=True,
        metadata={
            "axes": "TYX",
            "PhysicalSizeX": 0.5,
            "PhysicalSizeXUnit": "µm",
            "TimeIncrement": 0.25,
            "TimeIncrementUnit": "s",
        },
    )
    with open_movie(path) as m:
        assert m.pixel_size_um == pytest.approx(0.5)
        assert m.frame_rate_hz == pytest.approx(4.0)


def test_imagej_micron_unit(tmp_path):
    path = tmp_path / "ij.tif"
    tifffile.imwrite(
        path,
        _movie(),
        imagej=True,
        resolution=(2.0, 2.0),
        metadata={"axes": "TYX", "unit": "micron", "finterval": 0.5},
    )
    with open_movie(path) as m:
        assert m.pixel_size_um == pytest.approx(0.5)
        assert m.frame_rate_hz == pytest.approx(2.0)


def test_flags_override_metadata(tmp_path):
    path = tmp_path / "m.tif"
    with MovieWriter(path, (12, 32, 32), np.uint16, frame_rate_hz=10, pixel_size_um=1) as w:
        w.write(_movie(12, (32, 32)))
    with open_movie(path, frame_rate_hz=3.0, pixel_size_um=2.0) as m:
        assert (m.frame_rate_hz, m.pixel_size_um) == (3.0, 2.0)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_bytes(b"not a tiff at all"), "not a readable TIFF"),
        (lambda p: tifffile.imwrite(p, _movie(1)[0]), "single 2-D image"),
        (lambda p: tifffile.imwrite(p, _movie(5)), "5 frames; expected at least 10"),
        (lambda p: tifffile.imwrite(p, _movie(12).astype(np.complex64)), "pixel type complex64"),
    ],
)
def test_bad_movies_give_one_clear_error(tmp_path, make, message):
    path = tmp_path / "bad.tif"
    make(path)
    with pytest.raises(InputError, match=message) as err:
        open_movie(path, frame_rate_hz=10, pixel_size_um=1)
    assert str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_calibration_names_the_flag(tmp_path):
    path = tmp_path / "m.tif"
    tifffile.imwrite(path, _movie())
    with pytest.raises(InputError, match="--frame-rate"):
        open_movie(path, pixel_size_um=1)
    with pytest.raises(InputError, match="--pixel-size"):
        open_movie(path, frame_rate_hz=1)


def test_nan_frames_are_rejected(tmp_path):
    data = _movie().astype(np.float32)
    data[13, 4, 4] = np.nan
    path = tmp_path / "nan.tif"
    tifffile.imwrite(path, data)
    with open_movie(path, frame_rate_hz=10, pixel_size_um=1) as m:
        with pytest.raises(InputError, match="frame 13 contains NaN"):
            for _ in m.chunks(8):
                pass


def test_truncated_file(tmp_path):
    path = tmp_path / "t.tif"
    tifffile.imwrite(path, _movie(30), compression="zlib")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(InputError, match=str(path)):
        open_movie(path, frame_rate_hz=10, pixel_size_um=1)


@pytest.mark.parametrize("axes", ["TCYX", "CTYX"])
@pytest.mark.parametrize("compression", [None, "zlib"])
def test_one_channel_of_a_two_channel_file(tmp_path, axes, compression):
    data = np.arange(12 * 2 * 20 * 24, dtype=np.uint16).reshape(12, 2, 20, 24)
    stored = data if axes == "TCYX" else data.transpose(1, 0, 2, 3)
    path = tmp_path / "two.tif"
    if axes == "TCYX":
        tifffile.imwrite(
            path, stored, imagej=True, metadata={"axes": axes}, compression=compression
        )
    else:
        tifffile.imwrite(path, stored, metadata={"axes": axes}, compression=compression)
    for channel in (0, 1):
        with open_movie(path, frame_rate_hz=5, pixel_size_um=1, channel=channel) as m:
            assert m.shape == (12, 20, 24) and m.n_channels == 2
            np.testing.assert_array_equal(m.read(3, 9), data[3:9, channel])


def test_two_channel_file_needs_a_channel(tmp_path):
    path = tmp_path / "two.tif"
    tifffile.imwrite(
        path, np.zeros((12, 2, 20, 20), np.uint16), imagej=True, metadata={"axes": "TCYX"}
    )
    with pytest.raises(InputError, match="2 channels.*motion.channel"):
        open_movie(path, frame_rate_hz=5, pixel_size_um=1)
    with pytest.raises(InputError, match="channel 2 asked for"):
        open_movie(path, frame_rate_hz=5, pixel_size_um=1, channel=2)


def test_bigtiff_keeps_its_calibration(tmp_path, monkeypatch):
    """Movies over the BigTIFF size store frame rate and pixel size as OME metadata."""
    import astrocalc.io.tiff as tiff

    monkeypatch.setattr(tiff, "BIGTIFF_BYTES", 1000)
    data = np.random.default_rng(0).random((12, 20, 24)).astype(np.float32)
    path = tmp_path / "big.tif"
    with MovieWriter(path, data.shape, frame_rate_hz=12.5, pixel_size_um=0.8) as w:
        w.write(data)
    with tifffile.TiffFile(path) as tif:
        assert tif.is_bigtiff
    with open_movie(path) as m:
        assert m.frame_rate_hz == pytest.approx(12.5)
        assert m.pixel_size_um == pytest.approx(0.8)
        np.testing.assert_array_equal(m.read(0, 12), data)
