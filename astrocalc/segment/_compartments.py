"""Soma and process masks from the structural (mean) image, and ROI compartments."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.filters import threshold_multiotsu, threshold_otsu
from skimage.morphology import disk, remove_small_objects
from skimage.segmentation import relabel_sequential

from ._rois import mostly_on

SOMA, PROCESS = 1, 2


def structural_masks(mean_image: np.ndarray, *, soma_radius_px: float) -> np.ndarray:
    """Label soma (1) and processes (2) in a mean image; 0 is background.

    Three intensity classes (multi-Otsu: background, processes, soma) on the lightly
    smoothed image; soma are the bright parts that survive a morphological opening with a
    disk of ``soma_radius_px`` (thick bodies, not thin branches); processes are the rest
    of the foreground. Images without three separable classes fall back to Otsu's two.
    """
    img = ndimage.gaussian_filter(mean_image.astype(np.float64), 1.0)
    try:
        t_fg, t_soma = threshold_multiotsu(img, classes=3)
    except ValueError:  # too few distinct grey levels
        t_fg = t_soma = threshold_otsu(img) if np.ptp(img) > 0 else np.inf
    foreground = img > t_fg
    r = max(int(round(soma_radius_px)), 1)
    soma = ndimage.binary_opening(img > t_soma, structure=disk(r))
    soma = remove_small_objects(soma, max_size=int(np.pi * r * r) - 1)
    soma = ndimage.binary_fill_holes(soma)
    out = np.zeros(mean_image.shape, np.uint8)
    out[foreground] = PROCESS
    out[soma] = SOMA
    return out


def structure_mask(masks: np.ndarray, *, margin_um: float, pixel_size_um: float) -> np.ndarray:
    """The astrocyte's structure: the foreground (soma and processes of
    :func:`structural_masks`) widened by ``margin_um``, for microdomains at the edge of a
    process that the mean image shows thinner than their activity."""
    r = int(round(margin_um / pixel_size_um))
    foreground = masks > 0
    return ndimage.binary_dilation(foreground, structure=disk(r)) if r > 0 else foreground


def astrocyte_mask(
    masks: np.ndarray, labels: np.ndarray, *, margin_um: float, pixel_size_um: float
) -> np.ndarray:
    """The astrocyte's structure (:func:`structure_mask`) and the ROIs (``labels`` > 0):
    the places whose activity segmentation has shown. Pixel-level events lie there (unless
    ``pixel_events.structure_only`` is false) and the background is read off it."""
    return structure_mask(masks, margin_um=margin_um, pixel_size_um=pixel_size_um) | (labels > 0)


def attach_soma(
    labels: np.ndarray,
    compartments: np.ndarray,
    *,
    min_area_px: float,
    max_microdomain_area_px: float,
) -> tuple[np.ndarray, list[str]]:
    """Add each soma as one ROI and name every ROI's compartment.

    Activity ROIs lying mostly (>= 50 %) on a soma are absorbed into it; ROIs partly on
    it lose those pixels. Other ROIs are 'microdomain', or 'process' when larger than
    ``max_microdomain_area_px``.

    Returns
    -------
    labels : uint32 array (Y, X)
        Relabelled 1..N.
    compartments : list of str
        Compartment of ROI i + 1.
    """
    soma_lab, n_soma = ndimage.label(compartments == SOMA)
    labels = labels.copy()
    if labels.max():
        absorbed = np.flatnonzero(mostly_on(labels, soma_lab > 0)) + 1
        labels[np.isin(labels, absorbed)] = 0
        labels[soma_lab > 0] = 0
        sizes = np.bincount(labels.ravel())
        labels[np.isin(labels, np.flatnonzero(sizes < min_area_px))] = 0
        labels = relabel_sequential(labels)[0]
    n_active = int(labels.max())
    names = []
    areas = np.bincount(labels.ravel(), minlength=n_active + 1)
    for i in range(1, n_active + 1):
        names.append("process" if areas[i] > max_microdomain_area_px else "microdomain")
    for s in range(1, n_soma + 1):
        labels[soma_lab == s] = n_active + s
        names.append("soma")
    return labels.astype(np.uint32), names
