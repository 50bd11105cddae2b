"""Corrupted TIFF files: the reader either reads the movie or stops with one InputError
naming the file; nothing else escapes (seeded loop over random corruptions)."""

import warnings

import numpy as np

from astrocalc import synth
from astrocalc.errors import InputError
from astrocalc.io.tiff import open_movie


def _corrupt(data: bytes, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    b = bytearray(data)
    mode = seed % 3
    if mode == 0:  # the header and first IFD: tags, offsets, metadata
        for i in rng.integers(0, min(len(b), 4096), 8):
            b[i] = rng.integers(0, 256)
    elif mode == 1:  # truncated anywhere
        b = b[: int(rng.integers(0, len(b)))]
    else:  # bytes anywhere, pixel data included
        for i in rng.integers(0, len(b), 32):
            b[i] = rng.integers(0, 256)
    return bytes(b)


def test_corrupted_tiffs_read_or_fail_cleanly(tmp_path):
    src = tmp_path / "movie.tif"
    synth.write(src, shape=(32, 32), n_frames=20, n_domains=3, seed=1)
    data = src.read_bytes()
    outcomes = {"read": 0, "refused": 0}
    for seed in range(300):
        path = tmp_path / f"corrupt_{seed}.tif"
        path.write_bytes(_corrupt(data, seed))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # tifffile warns about what it repairs
                with open_movie(path, frame_rate_hz=10, pixel_size_um=0.5) as movie:
                    for *_, block in movie.chunks(8):
                        assert block.shape[1:] == movie.shape[1:]
            outcomes["read"] += 1
        except InputError as exc:
            message = str(exc)
            assert message.startswith(str(path)) and "\n" not in message, message
            outcomes["refused"] += 1
        path.unlink()
    # both outcomes occur: the loop exercises the error paths, not only harmless flips
    assert outcomes["read"] > 20 and outcomes["refused"] > 50, outcomes
