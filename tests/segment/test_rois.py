import numpy as np
from scipy import ndimage
from skimage.segmentation import relabel_sequential

from astrocalc.scoring import match_rois
from astrocalc.segment import (
    PROCESS,
    SOMA,
    RiseHits,
    adjacent_pairs,
    attach_soma,
    events_needed,
    events_per_region,
    merge_correlated,
    microdomain_regions,
    on_faint_processes,
    structural_masks,
)


def _blob(shape, cy, cx, r):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))


def _kernel(n, onset, rise=2.0, decay=15.0):
    t = np.arange(n, dtype=float) - onset
    return np.where(t >= 0, (1 - np.exp(-np.clip(t, 0, None) / rise)) * np.exp(-t / decay), 0.0)


def _regions(dff, level, *, allowed=None, structure=None, window=10, noise=0.05, seed=0):
    """Microdomain regions of a movie of dF (T, Y, X) with noise of SD ``noise`` after the
    denoising (a 3-frame mean and a Gaussian of 1 pixel, as the pixel model's), every pixel
    active where that exceeds 3.5 SD for 3 frames."""
    rng = np.random.default_rng(seed)
    white = ndimage.gaussian_filter(rng.standard_normal(dff.shape), (0, 1, 1))
    white = ndimage.uniform_filter1d(white, 3, axis=0)
    dff = ndimage.uniform_filter1d(dff, 3, axis=0) + noise * white / white.std(axis=0)
    up = ndimage.minimum_filter1d(dff > 3.5 * noise, 3, axis=0)
    median = np.median(dff, axis=0)
    down = ndimage.minimum_filter1d(2 * median - dff > 3.5 * noise, 3, axis=0)  # decoys
    hits = RiseHits(
        np.full(level.shape, noise),
        level,
        window_frames=window,
        threshold_sd=3.5,
        split_px=4,
        median=median,
    )
    for start in range(0, len(dff), 37):  # blocks that do not align with the windows
        hits.feed(dff[start : start + 37], up[start : start + 37], down[start : start + 37])
    labels = microdomain_regions(hits.finish(), level.shape, split_px=4, min_px=10, allowed=allowed)
    # as in the segmentation stage, a region is kept if its mean trace holds an event,
    # or two off the structure
    if labels.max() == 0:
        return labels
    traces = np.stack([dff[:, labels == k].mean(axis=1) for k in range(1, labels.max() + 1)], 1)
    n_events = events_per_region(traces + 10.0, frame_rate_hz=10.0)
    structure = np.ones(labels.shape, bool) if structure is None else structure
    keep = n_events >= events_needed(labels, structure, off_structure_min_events=2)
    return relabel_sequential(np.where(np.isin(labels, np.flatnonzero(keep) + 1), labels, 0))[0]


def test_a_dim_microdomain_beside_a_bright_one_is_its_own_roi():
    """Three microdomains, two touching (12 px apart), one of those at 40 % of the other's
    brightness; the two fire alone and together, the dim one's events fall on the bright
    one's decay. Each is its own ROI, matching its half-maximum footprint (IoU >= 0.5)."""
    shape, n = (60, 60), 600
    centres = [(15, 15), (15, 27), (40, 40)]
    gains = [1.0, 0.4, 0.8]
    onsets = [[20, 150, 300, 450], [60, 157, 330, 500], [100, 400]]
    blobs = [_blob(shape, cy, cx, 2.5) for cy, cx in centres]
    dff = sum(
        g * sum(_kernel(n, o) for o in on)[:, None, None] * b[None]
        for g, on, b in zip(gains, onsets, blobs, strict=True)
    )
    level = np.full(shape, 10.0)
    labels = _regions(dff, level)
    truth = np.zeros(shape, np.uint16)
    for k, b in enumerate(blobs, start=1):
        truth[b >= 0.5] = k
    assert labels.max() == 3
    assert len(match_rois(truth, labels, min_iou=0.5)) == 3


def test_a_change_of_the_whole_field_makes_no_roi_and_rois_stay_on_the_structure():
    """A 30 % step in the whole field's intensity (laser power; every pixel in proportion
    to its brightness, over a dark offset) makes no ROI; of two microdomains with events,
    the one off the astrocyte's structure (``allowed``) makes none; a one-pixel speck
    makes none."""
    shape, n = (60, 60), 400
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    level = 20.0 + 30.0 * np.exp(-(((yy - 30) / 12.0) ** 2)) + 5.0 * (xx / 60)
    step = np.where(np.arange(n) >= 205, 0.3, 0.0)
    dff = step[:, None, None] * (level - 20.0 + 5)[None]
    for onset in (30, 70, 110, 150, 250, 290, 330):
        dff += (_kernel(n, onset) * 1.0)[:, None, None] * _blob(shape, 30, 20, 2.5)[None]
        dff += (_kernel(n, onset + 20) * 1.0)[:, None, None] * _blob(shape, 10, 45, 2.5)[None]
    dff[100:140, 50, 50] += 2.0
    allowed = np.abs(yy - 30) < 12
    labels = _regions(dff, level, allowed=allowed)
    assert labels.max() == 1
    assert labels[30, 20] == 1


def test_off_the_structure_a_microdomain_needs_recurring_events():
    """Four microdomains: on the astrocyte's structure with one event and with six (ROIs),
    off it with four (an ROI: fine processes the mean image does not show) and off it with
    one (no ROI: seen once over dim background, as likely a neuron or neuropil)."""
    shape, n = (60, 60), 500
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    structure = np.abs(yy - 15) < 8
    places = {
        (15, 15): [100],
        (15, 45): [30, 90, 170, 250, 330, 420],
        (45, 15): [40, 160, 280, 400],
        (45, 45): [220],
    }
    dff = np.zeros((n, *shape))
    for (cy, cx), onsets in places.items():
        for onset in onsets:
            dff += (_kernel(n, onset) * 1.0)[:, None, None] * _blob(shape, cy, cx, 2.5)[None]
    labels = _regions(dff, np.full(shape, 10.0), structure=structure)
    assert labels.max() == 3
    assert labels[15, 15] > 0 and labels[15, 45] > 0 and labels[45, 15] > 0
    assert labels[45, 45] == 0


def test_off_the_structure_mask_a_region_is_kept_on_a_faint_process_only():
    """Mean image: textured background (100, spatial SD 5), a bright process under the
    structure mask, and a thin process 20 above the background (4 SD) outside the mask.
    Of three activity regions found off the mask, the one on the faint process is added;
    the one on background and the one touching an ROI on the mask (as bright) are not,
    nor the first without its process."""
    rng = np.random.default_rng(3)
    shape = (60, 60)
    plain = 100 + 5 * rng.standard_normal(shape)
    structure = np.zeros(shape, bool)
    structure[5:55, 8:14] = True
    plain[structure] += 200
    plain[20:25, 14:18] += 20
    mean = plain.copy()
    mean[30:32, 25:55] += 20  # the faint process
    regions = np.zeros(shape, np.uint32)
    regions[20:25, 9:14] = 1
    candidates = np.zeros(shape, np.uint32)
    candidates[30:32, 38:45] = 1  # on the faint process
    candidates[45:49, 35:40] = 2  # on background
    candidates[20:25, 14:18] = 3  # beside ROI 1
    kw = {"pixel_size_um": 0.5, "min_contrast_sd": 3.0}
    out = on_faint_processes(candidates, regions, mean, structure, **kw)
    assert out.max() == 2
    assert np.array_equal(out == 1, regions == 1)
    assert np.array_equal(out == 2, candidates == 1)
    assert np.array_equal(on_faint_processes(candidates, regions, plain, structure, **kw), regions)


def test_merge_correlated_touching_rois():
    labels = np.zeros((10, 20), np.uint32)
    labels[:, :5], labels[:, 5:10], labels[:, 15:] = 1, 2, 3
    rng = np.random.default_rng(0)
    shared = rng.standard_normal(500)
    dff = np.column_stack(
        [
            shared + 0.1 * rng.standard_normal(500),
            shared + 0.1 * rng.standard_normal(500),
            shared + 0.1 * rng.standard_normal(500),
        ]
    )
    assert adjacent_pairs(labels) == {(1, 2)}
    merged = merge_correlated(labels, dff, merge_r=0.9)
    assert merged.max() == 2  # 1 and 2 touch and correlate; 3 correlates but does not touch
    assert len(np.unique(merged[:, :10])) == 1


def test_a_microdomain_firing_with_the_soma_beside_it_is_not_merged_into_it():
    """Touching ROIs whose traces correlate (synchronous activity): two halves of the
    soma merge; the microdomain beside it, mostly off the soma, stays its own ROI (merged,
    the soma ROI would absorb it)."""
    labels = np.zeros((20, 30), np.uint32)
    labels[:, :6], labels[:, 6:12], labels[:, 12:18] = 1, 2, 3
    soma = np.zeros(labels.shape, bool)
    soma[:, :13] = True  # the microdomain (3) overlaps the soma's edge by one column
    shared = np.random.default_rng(0).standard_normal(500)
    dff = np.column_stack([shared + 0.05 * k for k in range(3)])
    merged = merge_correlated(labels, dff, merge_r=0.9, on_soma=soma)
    assert merged.max() == 2
    assert merged[0, 0] == merged[0, 6] != merged[0, 12]
    assert merge_correlated(labels, dff, merge_r=0.9).max() == 1  # without the soma mask


def test_soma_and_processes_from_structure():
    shape = (100, 100)
    yy, xx = np.mgrid[:100, :100]
    img = np.full(shape, 10.0)
    img[(yy - 50) ** 2 + (xx - 50) ** 2 <= 64] = 100.0  # soma, radius 8
    img[48:52, 58:95] = 50.0  # a thin branch
    masks = structural_masks(img, soma_radius_px=4)
    soma = masks == SOMA
    assert abs(soma.sum() - np.pi * 64) < 0.25 * np.pi * 64
    assert (masks[49:51, 70:90] == PROCESS).all()
    activity = np.zeros(shape, np.uint32)
    activity[45:55, 45:55] = 1  # on the soma: absorbed
    activity[48:52, 80:84] = 2  # on the branch: a microdomain
    labels, names = attach_soma(activity, masks, min_area_px=4, max_microdomain_area_px=50)
    assert sorted(names) == ["microdomain", "soma"]
    assert (labels[50, 50] > 0) and names[labels[50, 50] - 1] == "soma"


def test_pure_noise_makes_no_roi():
    """Hits of noise pass no false-discovery threshold: its decoys (the mirror image of
    the dF about its median) are as many."""
    labels = _regions(np.zeros((600, 60, 60)), np.full((60, 60), 10.0), seed=4)
    assert labels.max() == 0


def test_microdomains_apart_along_a_diagonal_get_their_own_rois():
    """Two places with recurring events 5 px apart along a diagonal (4 down, 3 across),
    further than the split distance (4 px): two ROIs, each on its own events' pixels."""
    from astrocalc.segment import Hit

    shape = (40, 40)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    hits = []
    for cy, cx, n in ((20, 20, 9), (24, 23, 7)):
        pixels = np.flatnonzero((yy - cy) ** 2 + (xx - cx) ** 2 <= 4)
        hits += [Hit(cy, cx, 8.0, pixels) for _ in range(n)]
    labels = microdomain_regions(hits, shape, split_px=4, min_px=5)
    assert labels.max() == 2
    assert labels[20, 20] != labels[24, 23] and labels[20, 20] > 0 and labels[24, 23] > 0


def test_activity_already_decaying_at_the_start_makes_no_roi():
    """Twelve places elevated at the recording's first frame and decaying from there (an
    event that began before it, or a running baseline's bias at its start), nothing
    rising afterwards: the first window has nothing to rise from, so no ROI."""
    shape, n = (60, 80), 400
    t = np.arange(n, dtype=float)
    dff = np.zeros((n, *shape))
    for cy in (12, 30, 48):
        for cx in (12, 30, 48, 66):
            dff += np.exp(-t / 8.0)[:, None, None] * _blob(shape, cy, cx, 2.5)[None]
    assert _regions(dff, np.full(shape, 10.0)).max() == 0
