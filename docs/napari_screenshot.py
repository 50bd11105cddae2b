"""Make docs/napari.png: napari on one recording's results with the event review open.

    python docs/napari_screenshot.py results/young_1   (on a display, or under xvfb-run)
"""

import sys
from pathlib import Path

import napari
from skimage.io import imsave

from astrocalc.viewer._widget import EventReview


def main(results: str, event: int = 12) -> None:
    viewer = napari.Viewer(show=False)
    viewer.window.resize(1300, 760)
    viewer.open(results, plugin="astrocalc")
    review = EventReview(viewer)
    viewer.window.add_dock_widget(review, name="Event review")
    review.go_to(event)
    viewer.layers.selection.active = viewer.layers["ROI events"]
    shot = viewer.screenshot(canvas_only=False, flash=False)
    imsave(Path(__file__).parent / "napari.png", shot, check_contrast=False)
    viewer.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
