import numpy as np
import pandas as pd
import pytest

from astrocalc.io import MovieWriter, open_movie
from astrocalc.motion import flag_outliers, register_movie


def test_small_movie_shifts_match_truth(small_movie, tmp_path):
    path, truth = small_movie
    with open_movie(path) as movie, MovieWriter(tmp_path / "c.tif", movie.shape) as writer:
        result = register_movie(movie, writer, np, chunk_frames=64, max_shift_px=10)
    err = result.shifts[["dy", "dx"]].to_numpy() - truth.shifts
    rms = np.sqrt((err**2).sum(axis=1).mean())
    assert rms <= 0.1, f"shift RMS error {rms:.3f} px"
    assert result.shifts.frame.tolist() == list(range(truth.params.n_frames))
    assert (result.shifts["corr"] > result.shifts.corr_before - 1e-6).mean() > 0.9


def test_chunk_size_does_not_change_the_result(small_movie, tmp_path):
    path, _ = small_movie
    out = []
    for chunk in (32, 300):
        with open_movie(path) as movie:
            out.append(register_movie(movie, None, np, chunk_frames=chunk, max_shift_px=10).shifts)
    np.testing.assert_allclose(out[0][["dy", "dx"]], out[1][["dy", "dx"]], atol=1e-4)


def test_disabled_motion_copies_the_movie(small_movie, tmp_path):
    path, _ = small_movie
    with open_movie(path) as movie, MovieWriter(tmp_path / "c.tif", movie.shape) as writer:
        result = register_movie(movie, writer, np, chunk_frames=64, max_shift_px=10, enabled=False)
        first = movie.read(0, 5)
    assert (result.shifts[["dy", "dx"]].to_numpy() == 0).all()
    with open_movie(tmp_path / "c.tif", frame_rate_hz=1, pixel_size_um=1) as c:
        np.testing.assert_array_equal(c.read(0, 5), first)


def test_flagging_catches_decorrelated_frames_only():
    corr = np.full(100, 0.99) - np.random.default_rng(0).uniform(0, 0.004, 100)
    corr[[10, 50]] = [0.6, 0.8]
    assert np.flatnonzero(flag_outliers(corr, 10.0)).tolist() == [10, 50]


@pytest.mark.realdata
@pytest.mark.parametrize("seed", [4, 5, 6])
def test_real_texture_with_known_shifts(tmp_path, seed):
    """Real two-photon texture (mean of the sima CA1 frames) moved by known subpixel shifts
    of up to 4 px, plus Gaussian noise. The raw frames carry their own motion (up to 1 px)
    and neuronal activity, so they cannot serve as exact truth, and their frame-to-frame SD
    overstates the noise: half of it is used."""
    import tifffile

    from astrocalc.motion import shift_frames
    from tests.conftest import real_file

    frames = tifffile.imread(real_file("sima_ca1_neurons.tif")).astype(np.float32)
    texture = frames.mean(axis=0)
    noise_sd = float(np.median(np.abs(np.diff(frames, axis=0))) * 1.4826 / np.sqrt(2)) / 2
    rng = np.random.default_rng(seed)
    truth = rng.uniform(-4, 4, (40, 2)).astype(np.float32)
    moved = shift_frames(np.repeat(texture[None], len(truth), axis=0), -truth)
    moved += rng.normal(0, noise_sd, moved.shape).astype(np.float32)
    path = tmp_path / "moved.tif"
    with MovieWriter(path, moved.shape, np.float32, frame_rate_hz=10, pixel_size_um=1) as w:
        w.write(moved)
    with open_movie(path) as movie:
        est = (
            register_movie(movie, None, np, chunk_frames=16, max_shift_px=10, reference_frames=40)
            .shifts[["dy", "dx"]]
            .to_numpy()
        )
    # the reference frame is arbitrary up to a constant: compare after removing it
    err = (est - truth) - (est - truth).mean(axis=0)
    assert np.sqrt((err**2).sum(axis=1).mean()) < 0.1


def test_frame_wide_gain_and_offset_are_undone(small_movie, tmp_path):
    """Frames rescaled one by one (laser power, per-frame normalisation) are put back."""
    path, truth = small_movie
    with open_movie(path) as movie:
        frames = movie.read(0, movie.n_frames)
    rng = np.random.default_rng(0)
    gain = rng.uniform(0.6, 1.4, len(frames)).astype(np.float32)
    offset = rng.uniform(-50, 50, len(frames)).astype(np.float32)
    scaled = frames * gain[:, None, None] + offset[:, None, None]
    src = tmp_path / "scaled.tif"
    with MovieWriter(src, scaled.shape, np.float32, frame_rate_hz=10, pixel_size_um=0.4) as w:
        w.write(scaled)
    with open_movie(src) as movie:
        result = register_movie(
            movie, None, np, chunk_frames=64, max_shift_px=10, normalize_intensity=True
        )
    # estimated gain / applied gain leaves the recording's own frame-wide gain change,
    # its photobleaching (which the option undoes too), up to the reference's scale
    ratio = result.shifts.gain.to_numpy() / gain
    n = len(frames)
    bleach = (1 - truth.params.bleach_fraction) ** (np.arange(n) / n)
    expected = bleach / bleach.mean() * ratio.mean()
    assert np.abs(ratio / expected - 1).max() < 0.03


def test_structural_channel_guides_the_calcium_channel(tmp_path):
    """A dim, noisy calcium channel and a bright structural channel moving together: the
    shifts measured on the structural channel and applied to the calcium one beat those
    measured on the calcium channel itself, and the calcium frames are the ones moved."""
    import tifffile

    from astrocalc import config as cfg
    from astrocalc.pipeline.motion import run_motion
    from astrocalc.synth import make_movie

    common = {"shape": (96, 96), "n_frames": 200, "n_domains": 10, "motion_px": 1.5, "seed": 8}
    calcium, truth = make_movie(brightness=6.0, noise=3.0, **common)
    structure, truth2 = make_movie(brightness=600.0, amplitude_dff=0.0, noise=0.5, **common)
    np.testing.assert_array_equal(truth.shifts, truth2.shifts)
    path = tmp_path / "two.tif"
    tifffile.imwrite(
        path, np.stack([calcium, structure], axis=1), imagej=True, metadata={"axes": "TCYX"}
    )
    errors = {}
    for guide in (None, 1):
        conf = cfg.validate({"motion": {"channel": 0, "reference_channel": guide}})
        out = run_motion(
            path, tmp_path / f"out{guide}", config=conf, frame_rate_hz=10, pixel_size_um=0.4
        )
        est = pd.read_csv(out / "shifts.csv")[["dy", "dx"]].to_numpy()
        err = (est - truth.shifts) - (est - truth.shifts).mean(axis=0)
        errors[guide] = float(np.sqrt((err**2).sum(axis=1).mean()))
    assert errors[1] <= 0.05, errors
    assert errors[1] < 0.5 * errors[None], errors
    with open_movie(tmp_path / "out1" / "motion" / "corrected.tif") as corrected:
        mean = corrected.read(0, 200).mean(axis=0)
    # the calcium channel was written: its level, not the structural channel's
    assert abs(float(mean.mean()) - float(calcium.mean())) < 0.1 * float(calcium.mean())


@pytest.mark.realdata
def test_astrocyte_texture_with_known_shifts(tmp_path):
    """Frames of the real astrocyte recording (ASTRA notebook field of view: sparse, dim
    texture, frames rescaled one by one) moved by known subpixel shifts of up to 4 px.
    The recording moves by itself (SD about 0.4 px), so the shifts found in the moved
    frames must equal the known ones plus those found in the frames as recorded; the
    tolerance covers the errors of both registrations (measured: 0.11 px)."""
    import tifffile

    from astrocalc.motion import shift_frames
    from tests.conftest import real_file

    frames = tifffile.imread(real_file("astra_fov_notebook.tif")).astype(np.float32)[:120]
    rng = np.random.default_rng(3)
    truth = rng.uniform(-4, 4, (len(frames), 2)).astype(np.float32)

    def register(movie_frames, name):
        path = tmp_path / name
        with MovieWriter(
            path, movie_frames.shape, np.float32, frame_rate_hz=10, pixel_size_um=1
        ) as w:
            w.write(movie_frames)
        with open_movie(path) as movie:
            result = register_movie(
                movie, None, np, chunk_frames=32, max_shift_px=10, reference_frames=60
            )
        return result.shifts[["dy", "dx"]].to_numpy()

    own = register(frames, "recorded.tif")
    moved = register(shift_frames(frames, -truth), "moved.tif")
    err = moved - truth - own
    err -= err.mean(axis=0)
    assert np.sqrt((err**2).sum(axis=1).mean()) < 0.15


def test_flagged_frames_can_be_interpolated(small_movie, tmp_path):
    """Two frames replaced by out-of-focus blur (z-motion) are flagged and, on request,
    replaced in corrected.tif by the mean of their neighbours."""
    import tifffile
    from scipy import ndimage

    from astrocalc import config as cfg
    from astrocalc.pipeline.motion import run_motion

    path, _ = small_movie
    frames = tifffile.imread(path)
    for i in (50, 120):
        frames[i] = ndimage.gaussian_filter(frames[i].astype(float), 6).astype(frames.dtype)
    bad = tmp_path / "zmotion.tif"
    tifffile.imwrite(bad, frames)
    conf = cfg.validate({"motion": {"flagged_frames": "interpolate"}})
    out = run_motion(bad, tmp_path / "out", config=conf, frame_rate_hz=10, pixel_size_um=0.4)
    shifts = pd.read_csv(out / "shifts.csv")
    assert np.flatnonzero(shifts.flagged).tolist() == [50, 120]
    assert np.flatnonzero(shifts.interpolated).tolist() == [50, 120]
    corrected = tifffile.imread(out / "corrected.tif")
    for i in (50, 120):
        np.testing.assert_allclose(
            corrected[i], 0.5 * (corrected[i - 1] + corrected[i + 1]), rtol=1e-5, atol=1e-3
        )


def test_frames_stretched_one_by_one_are_found_and_put_back(small_movie, tmp_path):
    """An 8-bit export that stretches every frame to 0-255 (a scaling that follows the
    frame's brightest and darkest pixels, so every bright event) is told from a recording
    by its frames' extremes and undone frame by frame (motion.normalize_intensity: auto):
    the corrected frames follow the recorded ones with one gain, where the export's gain
    wavers from frame to frame. The recording itself is not rescaled."""
    import json

    import tifffile

    from astrocalc import config as cfg
    from astrocalc.pipeline.motion import run_motion

    path, _ = small_movie
    with open_movie(path) as movie:
        frames = movie.read(0, movie.n_frames).astype(np.float64)
    lo, hi = frames.min(axis=(1, 2)), frames.max(axis=(1, 2))
    stretched = np.round(255 * (frames - lo[:, None, None]) / (hi - lo)[:, None, None])
    src = tmp_path / "export.tif"
    tifffile.imwrite(src, stretched.astype(np.uint8), imagej=True, metadata={"axes": "TYX"})
    conf = cfg.defaults()
    runs = {}
    for name, movie_path in (("export", src), ("recording", path)):
        out = run_motion(
            movie_path, tmp_path / name, config=conf, frame_rate_hz=10, pixel_size_um=0.4
        )
        qc = json.loads((out / "stage.json").read_text())["qc"]
        with open_movie(out / "corrected.tif") as movie:
            runs[name] = (qc["intensity_normalized"], movie.read(0, movie.n_frames))
    assert runs["export"][0] is True and runs["recording"][0] is False

    def frame_to_frame(a, b):
        """Relative change of each frame's gain against the next, a fitted on b."""
        x, y = b.reshape(len(b), -1), a.reshape(len(a), -1)
        xc, yc = x - x.mean(1, keepdims=True), y - y.mean(1, keepdims=True)
        gain = (xc * yc).sum(1) / (xc * xc).sum(1)
        return np.abs(np.diff(gain) / gain[1:])

    inner = (slice(None), slice(8, -8), slice(8, -8))  # away from the shifted edge
    before = frame_to_frame(stretched[inner], frames[inner])  # median 3 %
    after = frame_to_frame(runs["export"][1][inner], runs["recording"][1][inner])
    assert np.median(after) < np.median(before) / 5
