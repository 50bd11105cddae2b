"""Pixel-level spatiotemporal events against planted ground truth."""

import numpy as np
import pandas as pd
import pytest

from astrocalc import config, synth
from astrocalc.events import detect_pixel_events, find_events
from astrocalc.events._pixel_events import MAX_BASELINE_REFITS, active_components
from astrocalc.events._propagation import propagation, split_by_onset
from astrocalc.io import MovieWriter, open_movie
from astrocalc.pixelmodel import (
    PixelModel,
    _store,
    fit_pixel_model,
    model_settings,
    neuropil_field,
)
from astrocalc.settings import Sampling, SegmentationSettings

CONF = config.defaults()
FS, PX = 10.0, 0.4


def _write(tmp_path, movie, name="m.tif"):
    path = tmp_path / name
    with MovieWriter(path, movie.shape, movie.dtype, frame_rate_hz=FS, pixel_size_um=PX) as w:
        w.write(movie)
    return path


def _detect(
    path, *, chunk_frames=256, labels=None, xp=np, structure=None, astrocyte=None, **overrides
):
    with open_movie(path) as movie:
        return detect_pixel_events(
            movie,
            xp,
            sampling=Sampling(FS, PX),
            settings={**CONF["pixel_events"], **overrides},
            chunk_frames=chunk_frames,
            labels=labels,
            structure=structure,
            astrocyte=astrocyte,
        )


def _kernel(t, onset, rise=0.3, decay=1.5):
    return synth.event_kernel(t - onset, rise, decay)


def _patch_movie(onsets, *, seed=0, t_frames=400, spread_s_per_px=0.0):
    """100 x 60 frame, two touching 20 x 20 patches side by side at rows 20-40, columns
    10-30 and 30-50, each with one event (onsets in s, dF/F 1), photon-like noise, and
    20 % bleaching. ``spread_s_per_px`` delays each column by that much (a front moving
    along x at 1 / spread pixels per second)."""
    rng = np.random.default_rng(seed)
    t = np.arange(t_frames) / FS
    movie = np.full((t_frames, 60, 100), 200.0)
    for (c0, c1), onset in zip(((10, 30), (30, 50)), onsets, strict=True):
        for x in range(c0, c1):
            delay = spread_s_per_px * (x - 10)
            movie[:, 20:40, x] *= 1 + _kernel(t, onset + delay)[:, None]
    movie *= np.exp(-t / (t[-1] / np.log(1 / 0.8)))[:, None, None]
    movie = rng.poisson(movie) + rng.normal(0, 2, movie.shape)
    return np.clip(movie, 0, None).astype(np.uint16)


def test_touching_independent_events_are_split(tmp_path):
    path = _write(tmp_path, _patch_movie([10.0, 12.5]))
    found = _detect(path)
    ev, fp = found.events, found.footprints
    assert len(ev) == 2, ev
    patches, onsets = ((10, 30), (30, 50)), (10.0, 12.5)
    for (_, e), (c0, c1), onset in zip(ev.iterrows(), patches, onsets, strict=True):
        pix = fp[fp.event_id == e.event_id]
        inside = (pix.y.between(20, 39) & pix.x.between(c0, c1 - 1)).mean()
        assert inside > 0.9, (e.event_id, inside)
        assert pix.x.between(c0, c1 - 1).sum() >= 0.9 * 400  # the patch is covered
        assert abs(e.onset_s - onset) <= 0.3
        assert e.amplitude_dff == pytest.approx(1.0, rel=0.15)
        assert np.isnan(e.speed_um_s)  # a patch lighting up at once does not propagate


def test_a_background_change_is_taken_out_where_the_astrocyte_is_known(tmp_path):
    """A process (rows 20-40, columns 10-50) with one event (10 s, dF/F 1) on a background
    that brightens by 10 counts everywhere around 25 s (a neuropil bump, sigma 1.5 s; 5 %
    of the process's F0, 8 noise SD of its denoised dF): with the astrocyte given, the
    change read off the pixels around it is taken out (0.7 of it, as from ROI traces) and
    the bump makes no event; without, it does."""
    rng = np.random.default_rng(4)
    t = np.arange(400) / FS
    movie = np.full((400, 60, 100), 100.0)
    movie[:, 20:40, 10:50] = 200.0 * (1 + _kernel(t, 10.0))[:, None, None]
    movie += 10.0 * np.exp(-0.5 * ((t - 25.0) / 1.5) ** 2)[:, None, None]
    movie = np.clip(rng.poisson(movie) + rng.normal(0, 2, movie.shape), 0, None)
    path = _write(tmp_path, movie.astype(np.uint16))
    process = np.zeros((60, 100), bool)
    process[20:40, 10:50] = True

    def bump(events):
        return events.onset_s.between(20.0, 27.0).any()

    corrected = _detect(path, structure=process, astrocyte=process).events
    assert (np.abs(corrected.onset_s - 10.0) <= 0.5).sum() == 1, corrected
    assert not bump(corrected), corrected
    assert bump(_detect(path, structure=process).events)


def test_successive_events_in_one_place_are_split(tmp_path):
    """Two events in the same patch 4 s apart, the second before the first has decayed
    (decay 3 s): the voxels stay active throughout, yet two events are found, each at its
    own onset (one event starting at the first onset before)."""
    rng = np.random.default_rng(3)
    t = np.arange(400) / FS
    movie = np.full((400, 60, 100), 200.0)
    trace = _kernel(t, 10.0, decay=3.0) + _kernel(t, 14.0, decay=3.0)
    movie[:, 20:40, 30:50] *= 1 + trace[:, None, None]
    movie = np.clip(rng.poisson(movie) + rng.normal(0, 2, movie.shape), 0, None)
    ev = _detect(_write(tmp_path, movie.astype(np.uint16))).events
    assert len(ev) == 2, ev
    assert ev.onset_s.to_numpy() == pytest.approx([10.0, 14.0], abs=0.5)


def test_baseline_refits_stop_when_the_long_event_stops_growing(tmp_path, monkeypatch):
    """A 30 s plateau (half the 60 s baseline window) lifts the running percentile under it:
    the baseline is refitted without it, so the event keeps its length, and the refits stop
    once the event reaches no new bins instead of running to the limit (each is a pass)."""
    rng = np.random.default_rng(8)
    t = np.arange(1500) / FS
    trace = np.clip((t - 50.0) / 0.5, 0, 1) * np.exp(-np.clip(t - 80.0, 0, None) / 2.0)
    movie = np.full((len(t), 40, 40), 200.0)
    movie[:, 12:28, 12:28] *= 1 + trace[:, None, None]
    movie = np.clip(rng.poisson(movie) + rng.normal(0, 2, movie.shape), 0, None)
    refits = []
    excluding = PixelModel.excluding
    monkeypatch.setattr(
        PixelModel, "excluding", lambda self, *a, **k: refits.append(1) or excluding(self, *a, **k)
    )
    ev = _detect(_write(tmp_path, movie.astype(np.uint16))).events
    assert 1 <= len(refits) < MAX_BASELINE_REFITS
    assert len(ev) == 1, ev
    assert ev.onset_s[0] == pytest.approx(50.0, abs=0.5)
    assert ev.duration_s[0] == pytest.approx(30.0 + 2.0 * np.log(2), rel=0.15)  # FWHM


def test_a_front_crossing_both_patches_is_one_event_with_its_speed(tmp_path):
    # 0.1 s per pixel of 0.4 um: 4 um/s along +x
    path = _write(tmp_path, _patch_movie([10.0, 10.0], spread_s_per_px=0.1))
    ev = _detect(path).events
    assert len(ev) == 1, ev
    assert ev.speed_um_s[0] == pytest.approx(4.0, rel=0.2)
    assert abs(ev.direction_deg[0]) < 20  # towards +x


@pytest.mark.slow
@pytest.mark.parametrize("speed", [6.0, 15.0])
def test_wave_speed_of_synthetic_astrocyte(tmp_path, speed):
    """Waves sweep the whole synthetic cell (cytosol and microdomains) from a random point:
    the events that cover most of the cell start with a wave and have its speed within
    20 %."""
    movie, truth = synth.make_movie(
        n_frames=900,
        synchrony=1.0,
        wave_spread=1.0,
        wave_speed_um_s=speed,
        event_rate_per_min=4.0,
        motion_px=0.0,
        seed=5,
    )
    ev = _detect(_write(tmp_path, movie), labels=truth.labels).events
    cell = int((truth.process_mask | truth.soma_mask).sum())
    big = ev[ev.area_px > 0.5 * cell]
    assert len(big) >= 4, (len(truth.waves), big)
    for row in big.itertuples():
        assert (np.abs(truth.waves.onset_s - row.onset_s) < 2.0).any(), row
        assert row.speed_um_s == pytest.approx(speed, rel=0.2), row
        assert row.kind == "global"


def test_bins_kept_in_a_file_give_the_same_events(tmp_path, monkeypatch):
    """Bin means too large for memory go to a temporary file: the events, their footprints
    and the baseline refit without a long plateau (read and written a block of pixels at a
    time) are those of the bins in memory, value for value."""
    rng = np.random.default_rng(8)
    t = np.arange(1500) / FS
    trace = np.clip((t - 50.0) / 0.5, 0, 1) * np.exp(-np.clip(t - 80.0, 0, None) / 2.0)
    movie = np.full((len(t), 40, 40), 200.0)
    movie[:, 12:28, 12:28] *= 1 + trace[:, None, None]
    movie[:, 30:36, 4:10] *= 1 + _kernel(t, 20.0)[:, None, None]
    movie = np.clip(rng.poisson(movie) + rng.normal(0, 2, movie.shape), 0, None)
    path = _write(tmp_path, movie.astype(np.uint16))
    in_memory = _detect(path, chunk_frames=200)
    files = []
    monkeypatch.setattr(_store, "SPILL_BYTES", 0)
    monkeypatch.setattr(
        _store.SpilledArray,
        "copy",
        lambda self, c=_store.SpilledArray.copy: files.append(1) or c(self),
    )
    spilled = _detect(path, chunk_frames=200)
    assert files  # the refit copied bins kept in a file
    assert len(in_memory.events) == 2
    pd.testing.assert_frame_equal(spilled.events, in_memory.events, check_exact=True)
    pd.testing.assert_frame_equal(spilled.footprints, in_memory.footprints, check_exact=True)


def test_refit_passes_recompute_only_what_the_refit_changed(tmp_path, monkeypatch):
    """A refit of the baseline without a long plateau changes it only within a baseline
    window or so of the plateau: the refit's pass reads only the chunks around it and
    takes the others' labels from the pass before; or it stores its denoised frames at
    the pixels active before, and the next refit's pass reads nothing from the movie. The
    components are those of full passes, value for value (events later in the recording,
    one across a chunk's seam, and a background taken out, included)."""
    rng = np.random.default_rng(4)
    t = np.arange(3000) / FS
    plateau = np.clip((t - 20.0) / 0.5, 0, 1) * np.exp(-np.clip(t - 45.0, 0, None) / 2.0)
    movie = np.full((len(t), 24, 24), 200.0)
    movie[:, 4:12, 4:12] *= 1 + plateau[:, None, None]
    for onset in (150.0, 199.0, 260.0):  # 199 s: active across the seam at frame 2000
        movie[:, 14:20, 14:20] *= 1 + _kernel(t, onset)[:, None, None]
    movie = np.clip(rng.poisson(movie) + rng.normal(0, 2, movie.shape), 0, None)
    path = _write(tmp_path, movie.astype(np.uint16))
    sampling = Sampling(FS, PX)
    settings = model_settings(SegmentationSettings.of(CONF["segmentation"]), sampling)
    astrocyte = np.zeros((24, 24), bool)
    astrocyte[2:22, 2:22] = True
    background = neuropil_field(astrocyte, np, sigma_px=3.0, margin_px=0, coefficient=1.0)
    # events only on the astrocyte, as in the pipeline: the background's estimate (off
    # it) is never refitted
    kw = dict(chunk_frames=100, fs=FS, threshold_sd=3.0, min_active_frames=3, allowed=astrocyte)
    reads = []

    def passes(mv, refit, previous, changed, **more):
        full = active_components(mv, refit, **kw).components
        reads.clear()
        reused = active_components(mv, refit, previous=previous, changed=changed, **kw, **more)
        for name in ("component", "pixel", "first", "onset", "last", "peak_z"):
            np.testing.assert_array_equal(
                getattr(reused.components, name), getattr(full, name), err_msg=name
            )
        return reused, len(reads)

    def excluding(model, comps, on):
        refit = model.excluding(comps.pixel[on], comps.first[on] - 20, comps.last[on] + 20)
        changed = refit.changed_frames(model)
        differs = (refit.baseline.at(0, len(t)) != model.baseline.at(0, len(t))).any(axis=(1, 2))
        assert differs.any() and not (differs & ~changed).any()
        return refit, changed

    with open_movie(path) as mv:
        model = fit_pixel_model(mv, np, chunk_frames=100, neuropil=background, **settings)
        first = active_components(mv, model, **kw)
        comps = first.components
        assert comps.n >= 4
        read = type(mv).read
        monkeypatch.setattr(
            type(mv), "read", lambda self, *a, **k: reads.append(a) or read(self, *a, **k)
        )
        refit, changed = excluding(model, comps, comps.last - comps.first > 100)  # the plateau
        assert changed.sum() < 0.6 * len(t)
        _, n_read = passes(mv, refit, first, changed)
        assert 0 < n_read < 0.7 * len(first.chunks)
        # with most chunks unchanged, labels are taken rather than frames stored
        assert (
            passes(mv, refit, first, changed, candidates=np.unique(comps.pixel))[0].stored is None
        )
        # stored at every pixel that may be active; the later pass computes those active
        second, n_read = passes(mv, refit, first, None, candidates=np.flatnonzero(astrocyte))
        assert n_read == len(first.chunks)  # storing takes every frame
        refit2, changed2 = excluding(refit, second.components, second.components.pixel >= 0)
        third, n_read = passes(mv, refit2, second, changed2, candidates=np.unique(comps.pixel))
        assert n_read == 0 and third.stored is second.stored
        # a refit of pixels the background is estimated from changes it: not from the store
        ring = np.flatnonzero(~astrocyte.ravel())[:5]
        assert not second.stored.serves(refit2.excluding(ring, np.zeros(5, int), np.full(5, 99)))


def test_chunked_equals_unchunked(tmp_path):
    movie, truth = synth.make_movie(
        shape=(64, 64), n_frames=400, n_domains=8, wave_spread=0.8, synchrony=0.5, seed=3
    )
    path = _write(tmp_path, movie)
    whole = _detect(path, chunk_frames=400, labels=truth.labels)
    assert len(whole.events) >= 5
    for chunk in (37, 128):
        part = _detect(path, chunk_frames=chunk, labels=truth.labels)
        pd.testing.assert_frame_equal(part.events, whole.events, check_exact=True)
        pd.testing.assert_frame_equal(part.footprints, whole.footprints, check_exact=True)


@pytest.mark.slow
def test_prolonged_event_is_one_event_at_both_levels(tmp_path):
    """40 s events (FWHM) on a 60 s baseline window: one event each, duration within 15 %,
    at the ROI level (dF/F within 15 % too) and at the pixel level."""
    movie, truth = synth.make_movie(
        shape=(96, 96), n_frames=3000, n_long_events=3, long_event_s=40.0, motion_px=0, seed=4
    )
    long = truth.events[truth.events.plateau_s > 0]
    labels = truth.labels
    flat = movie.reshape(len(movie), -1).astype(np.float64)
    traces = np.stack([flat[:, labels.ravel() == k].mean(1) for k in range(1, labels.max() + 1)])
    rois = find_events(traces.T, np.arange(1, labels.max() + 1), frame_rate_hz=FS).events
    pixel = _detect(_write(tmp_path, movie), labels=labels).events
    for e in long.itertuples():
        for level, table in (("roi", rois), ("pixel", pixel)):
            mine = table[
                (table.roi_id == e.domain_id)
                & table.onset_s.between(e.onset_s - 3, e.onset_s + e.duration_s)
            ]
            assert len(mine) == 1, (level, e.onset_s, mine)
            assert mine.duration_s.iloc[0] == pytest.approx(e.duration_s, rel=0.15), level
            assert abs(mine.onset_s.iloc[0] - e.onset_s) <= 1.5, level
        amp = rois[(rois.roi_id == e.domain_id) & (abs(rois.onset_s - e.onset_s) < 3)]
        assert amp.amplitude_dff.iloc[0] == pytest.approx(e.amplitude_dff, rel=0.15)


@pytest.mark.slow
def test_roi_and_pixel_events_agree(tmp_path):
    """Every ROI event has a pixel event whose footprint covers part of that ROI, with an
    onset within 1.5 s, and so does (almost) every pixel event on a ROI the other way
    round. A pixel event may cover several ROIs: a wave over neighbouring microdomains."""
    movie, truth = synth.make_movie(n_frames=1200, motion_px=0, seed=7)
    labels = truth.labels
    flat = movie.reshape(len(movie), -1).astype(np.float64)
    traces = np.stack([flat[:, labels.ravel() == k].mean(1) for k in range(1, labels.max() + 1)])
    rois = find_events(traces.T, np.arange(1, labels.max() + 1), frame_rate_hz=FS).events
    found = _detect(_write(tmp_path, movie), labels=labels)
    pixel, fp = found.events, found.footprints
    covers = {k: set(np.unique(labels[g.y, g.x])) - {0} for k, g in fp.groupby("event_id")}
    pixel_hits = [
        any(
            r.roi_id in covers[p.event_id] and abs(p.onset_s - r.onset_s) <= 1.5
            for p in pixel.itertuples()
        )
        for r in rois.itertuples()
    ]
    assert np.mean(pixel_hits) >= 0.9
    on_rois = pixel[[bool(covers[k]) for k in pixel.event_id]]
    roi_hits = [
        ((rois.roi_id.isin(covers[p.event_id])) & (abs(rois.onset_s - p.onset_s) <= 1.5)).any()
        for p in on_rois.itertuples()
    ]
    assert np.mean(roi_hits) >= 0.9


def test_noise_alone_gives_almost_no_event(tmp_path):
    rng = np.random.default_rng(3)
    movie = rng.poisson(np.full((300, 64, 64), 150.0)).astype(np.uint16)
    ev = _detect(_write(tmp_path, movie)).events
    assert len(ev) <= 2, ev


def test_split_by_onset_steps_and_seeds():
    ys, xs = np.mgrid[:10, :20]
    ys, xs = ys.ravel(), xs.ravel()
    step = np.where(xs < 10, 5.0, 30.0)
    assert len(np.unique(split_by_onset(ys, xs, step, gap=10, min_area_px=4))) == 2
    front = 5.0 + 0.5 * xs  # a smooth front: one event
    assert len(np.unique(split_by_onset(ys, xs, front, gap=10, min_area_px=4))) == 1
    # two fronts starting at either end and meeting in the middle
    meet = 5.0 + 2.0 * np.minimum(xs, 19 - xs)
    assert len(np.unique(split_by_onset(ys, xs, meet, gap=10, min_area_px=4))) == 2


def test_propagation_models():
    ys, xs = np.mgrid[:30, :30]
    ys, xs = ys.ravel().astype(float), xs.ravel().astype(float)
    # a plane front moving towards +y at 5 um/s with 0.5 um pixels
    speed, direction = propagation(ys, xs, ys * 0.5 / 5.0, pixel_size_um=0.5, min_delay_s=0.5)
    assert speed == pytest.approx(5.0, rel=1e-6) and direction == pytest.approx(90.0)
    # a circular front from (5, 5) at 10 um/s
    onset = np.hypot(ys - 5, xs - 5) * 0.5 / 10.0
    speed, _ = propagation(ys, xs, onset, pixel_size_um=0.5, min_delay_s=0.5)
    assert speed == pytest.approx(10.0, rel=0.05)
    # onsets that do not spread
    flat = np.random.default_rng(0).normal(0, 0.05, len(ys))
    assert np.isnan(propagation(ys, xs, flat, pixel_size_um=0.5, min_delay_s=0.5)[0])


@pytest.mark.gpu
def test_cupy_matches_numpy(tmp_path):
    cupy = pytest.importorskip("cupy")
    from tests.conftest import _cupy_usable

    if not _cupy_usable():
        pytest.skip("CuPy with a CUDA device is not available")
    movie, truth = synth.make_movie(shape=(64, 64), n_frames=400, wave_spread=0.8, seed=3)
    path = _write(tmp_path, movie)
    cpu = _detect(path, labels=truth.labels).events
    gpu = _detect(path, labels=truth.labels, xp=cupy).events
    assert len(gpu) == len(cpu)
    for col in ("onset_frame", "end_frame", "area_px", "roi_id"):
        np.testing.assert_array_equal(gpu[col], cpu[col])
    np.testing.assert_allclose(gpu.amplitude_dff, cpu.amplitude_dff, rtol=1e-3)


def test_an_event_in_progress_at_the_first_frame_is_not_reported(tmp_path):
    """One patch decaying from the first frame (an event begun before the recording: no
    onset to measure), the other with an event at 12 s: only that one, within 0.5 s."""
    t = np.arange(400) / FS
    movie = _patch_movie([10.0, 12.0]).astype(np.float64)
    movie[:, 20:40, 10:30] = 200.0 * (1 + 1.5 * np.exp(-t / 2.0))[:, None, None]
    movie[:, 20:40, 10:30] += np.random.default_rng(1).normal(0, 14, (400, 20, 20))
    ev = _detect(_write(tmp_path, np.clip(movie, 0, None).astype(np.uint16))).events
    assert len(ev) == 1, ev
    assert ev.onset_s.iloc[0] == pytest.approx(12.0, abs=0.5)
    assert ev.x.iloc[0] > 30
