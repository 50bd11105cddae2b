import numpy as np
import roifile
from skimage.draw import polygon2mask

from astrocalc.io.imagej_rois import write_roi_zip


def test_roi_zip_polygons_reproduce_the_labels(tmp_path):
    labels = np.zeros((40, 50), np.uint16)
    labels[5:15, 8:20] = 1
    yy, xx = np.mgrid[:40, :50]
    labels[(yy - 28) ** 2 + (xx - 30) ** 2 <= 36] = 2
    path = tmp_path / "rois.zip"
    write_roi_zip(path, labels)
    rois = roifile.roiread(path)
    assert [r.name for r in rois] == ["roi_1", "roi_2"]
    for i, roi in enumerate(rois, start=1):
        xy = roi.coordinates()
        # pixel centres inside the polygon (shift by -0.5: ImageJ edges -> centres)
        mask = polygon2mask(labels.shape, xy[:, ::-1] - 0.5)
        truth = labels == i
        iou = (mask & truth).sum() / (mask | truth).sum()
        assert iou > 0.85
