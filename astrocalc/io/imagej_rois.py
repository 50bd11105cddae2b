"""ImageJ/Fiji ROI sets (.zip of .roi polygons) from a label image, via roifile."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import roifile
from skimage.measure import find_contours


def label_polygons(labels: np.ndarray) -> dict[int, np.ndarray]:
    """Outline of each ROI as (x, y) vertices in pixel-edge coordinates (largest contour)."""
    out = {}
    for i in range(1, int(labels.max()) + 1):
        mask = np.pad(labels == i, 1).astype(float)
        contours = find_contours(mask, 0.5)
        if not contours:
            continue
        c = max(contours, key=len)
        # contour runs through pixel centres' half-way points; +0.5 maps to ImageJ's pixel edges
        out[i] = np.column_stack([c[:, 1] - 1 + 0.5, c[:, 0] - 1 + 0.5])
    return out


def write_roi_zip(path: str | Path, labels: np.ndarray) -> None:
    """Write one polygon ROI per label, named ``roi_<id>``, to an ImageJ ROI zip."""
    path = Path(path)
    rois = []
    for i, pts in label_polygons(labels).items():
        roi = roifile.ImagejRoi.frompoints(pts, name=f"roi_{i}")
        roi.roitype = roifile.ROI_TYPE.POLYGON
        rois.append(roi)
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}.zip")
    roifile.roiwrite(tmp, rois, mode="w")
    tmp.replace(path)
