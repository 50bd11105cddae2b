import numpy as np

from astrocalc.scoring import match_rois
from astrocalc.segment import (
    PROCESS,
    SOMA,
    adjacent_pairs,
    attach_soma,
    find_active_regions,
    merge_correlated,
    structural_masks,
)


def _blob(shape, cy, cx, r):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))


def test_planted_regions_are_found_and_split():
    """Three microdomains, two of them touching and always active together, one of those
    at 40 % of the other's brightness: each is its own ROI at its own half maximum."""
    shape = (60, 60)
    centres = [(15, 15), (15, 27), (40, 40)]
    gains = [1.0, 0.4, 0.8]
    peak = sum(g * _blob(shape, cy, cx, 2.5) for g, (cy, cx) in zip(gains, centres, strict=True))
    activations = (peak > 0.1).astype(int) * 3
    labels = find_active_regions(activations, peak, min_area_px=5, split_distance_px=4)
    truth = np.zeros(shape, np.uint16)
    for k, (cy, cx) in enumerate(centres, start=1):
        truth[_blob(shape, cy, cx, 2.5) >= 0.5] = k
    assert labels.max() == 3
    assert len(match_rois(truth, labels, min_iou=0.5)) == 3


def test_border_band_small_specks_and_background_are_ignored():
    act = np.zeros((40, 40), int)
    act[0:3, 10:16] = 2  # in the motion border
    act[20, 20] = 5  # one pixel
    peak = act.astype(float)
    labels = find_active_regions(act, peak, min_area_px=4, split_distance_px=3, border_px=3)
    assert labels.max() == 0
    act[25:35, 25:35] = 3  # a large active patch, but off the astrocyte's structure
    allowed = np.zeros(act.shape, bool)
    allowed[:, :20] = True
    settings = {"min_area_px": 4, "split_distance_px": 3, "border_px": 3}
    assert find_active_regions(act, act.astype(float), **settings).max() == 1
    labels = find_active_regions(act, act.astype(float), allowed=allowed, **settings)
    assert labels.max() == 0


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
