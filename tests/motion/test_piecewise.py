"""Piecewise-rigid correction against a synthetic movie with a known smooth warp."""

import numpy as np
import pandas as pd
import pytest

from astrocalc import synth
from astrocalc.backend import to_numpy
from astrocalc.io import open_movie
from astrocalc.motion import correct_batch, make_blocks, make_template, register_movie
from astrocalc.motion._piecewise import interpolation_weights
from astrocalc.motion._register import Piecewise

PIECES = {"size_px": 64, "overlap": 0.5, "max_shift_px": 5.0}


@pytest.fixture(scope="module")
def warped_movie(tmp_path_factory):
    path = tmp_path_factory.mktemp("warp") / "warp.tif"
    truth = synth.write(
        path, shape=(160, 160), n_frames=240, n_domains=30, warp_px=0.5, motion_px=1.0, seed=4
    )
    return path, truth


def _field_errors(result, truth):
    """RMS error of the block shifts against the true displacement at the block centres,
    and that of the rigid shifts alone; each block's constant offset (its position in
    the reference, which every tool chooses) is removed."""
    b = result.blocks
    true = truth.displacement(b.centre_y.to_numpy(), b.centre_x.to_numpy())  # (T, nb, 2)
    est = result.block_shifts.reshape(true.shape)
    rigid = result.shifts[["dy", "dx"]].to_numpy()[:, None, :]

    def rms(e):
        e = e - e.mean(axis=0)
        return float(np.sqrt((e**2).sum(axis=-1).mean()))

    return rms(est - true), rms(rigid - true)


def test_block_field_recovers_the_warp(warped_movie):
    path, truth = warped_movie
    with open_movie(path) as movie:
        result = register_movie(movie, None, np, chunk_frames=64, max_shift_px=10, piecewise=PIECES)
    assert result.block_shifts.shape == (240, 4, 4, 2)
    assert len(result.blocks) == 16
    field, rigid = _field_errors(result, truth)
    assert field <= 0.12, f"block field RMS error {field:.3f} px"
    assert field < 0.5 * rigid, f"piecewise {field:.3f} px vs rigid {rigid:.3f} px"


def test_blocks_tile_the_frame():
    b = make_blocks((100, 130), 64, 0.5)
    assert b.starts_y[0] == 0 and b.starts_y[-1] + 64 == 100
    assert b.starts_x[0] == 0 and b.starts_x[-1] + 64 == 130
    assert (np.diff(b.starts_x) <= 32).all()
    single = make_blocks((40, 40), 128, 0.5)
    assert single.grid == (1, 1) and single.size == (40, 40)


def test_spline_weights_interpolate_and_hold_beyond_the_ends():
    centres = np.array([10.0, 30.0, 50.0, 70.0])
    w = interpolation_weights(80, centres, np)
    np.testing.assert_allclose(w.sum(axis=1), 1, atol=1e-5)
    values = np.array([1.0, -2.0, 0.5, 3.0])
    field = w @ values
    np.testing.assert_allclose(field[[10, 30, 50, 70]], values, atol=1e-5)
    assert field[0] == pytest.approx(1.0) and field[79] == pytest.approx(3.0)


def test_cupy_and_numpy_agree_on_rigid_and_block_shifts(warped_movie, xp):
    path, _ = warped_movie
    with open_movie(path) as movie:
        frames = movie.read(0, 24)
        reference = movie.read(0, 200).mean(axis=0)
    out = {}
    for mod in {np, xp}:
        ref = mod.asarray(reference)
        piece = Piecewise.build(ref, smooth_sigma_px=1.0, **PIECES)
        res = correct_batch(
            mod.asarray(frames), make_template(ref), ref, max_shift_px=10, piecewise=piece
        )
        out[mod.__name__] = {k: to_numpy(v) for k, v in res.items()}
    a, b = out["numpy"], out[xp.__name__]
    np.testing.assert_allclose(a["shifts"], b["shifts"], atol=0.01)
    np.testing.assert_allclose(a["block_shifts"], b["block_shifts"], atol=0.01)
    scale = float(np.abs(a["corrected"]).max())
    np.testing.assert_allclose(a["corrected"], b["corrected"], atol=1e-3 * scale)


def test_cpu_remap_equals_scipy_map_coordinates():
    """The compiled remap computes SciPy's cubic spline with mirrored edges, including
    coordinates outside the frame."""
    from scipy import ndimage

    from astrocalc.motion._remap import remap_frame

    rng = np.random.default_rng(1)
    frame = rng.random((40, 56)).astype(np.float32) * 100
    yy, xx = np.mgrid[:40, :56].astype(np.float32)
    cy = (yy + 3 * np.sin(xx / 7) + rng.uniform(-0.5, 0.5, yy.shape)).astype(np.float32)
    cx = (xx - 2.5 + 4 * np.cos(yy / 9)).astype(np.float32)
    cy[0, :5] = [-7.3, -0.2, 39.6, 45.1, 90.0]
    expected = ndimage.map_coordinates(frame, np.stack([cy, cx]), order=3, mode="mirror")
    np.testing.assert_allclose(remap_frame(frame, cy, cx), expected, rtol=1e-5, atol=1e-3)


def test_motion_stage_writes_the_block_shifts(warped_movie, tmp_path):
    from astrocalc import config as cfg
    from astrocalc.pipeline.motion import run_motion

    path, truth = warped_movie
    conf = cfg.validate({"motion": {"piecewise": True, "block_size_px": 64}})
    out = run_motion(path, tmp_path / "out", config=conf)
    shifts = np.load(out / "shifts_piecewise.npy")
    blocks = pd.read_csv(out / "blocks.csv")
    assert shifts.shape == (truth.params.n_frames, 4, 4, 2)
    assert len(blocks) == 16 and (blocks.y1 - blocks.y0 == 64).all()
    # the rigid shifts of shifts.csv lie within the spread of the blocks' shifts
    rigid = pd.read_csv(out / "shifts.csv")[["dy", "dx"]].to_numpy()
    spread = shifts.reshape(len(rigid), -1, 2)
    assert (np.abs(rigid - np.median(spread, axis=1)) < 1.0).all()
