"""segmentation/rois.png: ROI outlines over the summary image, coloured by compartment."""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D
from skimage.measure import find_contours

from ._style import COMPARTMENT_COLOURS, image_limits, new_figure, save, scale_bar


def draw_outlines(ax, labels: np.ndarray, colours, *, lw: float = 0.6) -> None:
    """Outline every ROI of ``labels``; ``colours[i]`` is the colour of ROI i + 1."""
    for i in range(1, int(labels.max()) + 1):
        mask = np.pad(labels == i, 1)
        for c in find_contours(mask.astype(float), 0.5):
            ax.plot(c[:, 1] - 1, c[:, 0] - 1, color=colours[i - 1], lw=lw)


def plot_rois(
    summary: np.ndarray, labels: np.ndarray, compartments: list[str], path, *, pixel_size_um: float
):
    fig = new_figure(7.0, 3.6)
    panels = (
        (summary[0], "mean"),
        (summary[1], "max - mean (denoised)"),
        (summary[2], "local correlation"),
    )
    colours = [COMPARTMENT_COLOURS.get(c, "w") for c in compartments]
    for k, (img, title) in enumerate(panels):
        ax = fig.add_subplot(1, 3, k + 1)
        lo, hi = image_limits(img)
        ax.imshow(img, cmap="gray", vmin=lo, vmax=hi)
        if k > 0:
            draw_outlines(ax, labels, colours)
        ax.set_title(title)
        ax.set_axis_off()
        scale_bar(ax, pixel_size_um, img.shape[1])
    present = sorted(set(compartments))
    handles = [
        Line2D([], [], color=COMPARTMENT_COLOURS[c], label=f"{c} ({compartments.count(c)})")
        for c in present
    ]
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncol=len(present), frameon=False)
    else:
        fig.suptitle("no ROI found", y=0.02, va="bottom", fontsize="medium")
    return save(fig, path, formats=("png",), dpi=200)
