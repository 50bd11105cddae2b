"""Shared figure style: sizes for a journal column, scale bars, saving PNG/SVG/PDF."""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

mpl.rcParams.update(
    {
        "svg.fonttype": "none",  # text stays text in SVG
        "pdf.fonttype": 42,
        "font.size": 7,
        "axes.titlesize": 8,
        "axes.labelsize": 7,
        "xtick.labelsize": 6,
        "ytick.labelsize": 6,
        "legend.fontsize": 6,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)

COLUMN_IN = 3.5  # single-column width (inches)
COMPARTMENT_COLOURS = {
    "soma": "#d62728",
    "process": "#ff7f0e",
    "microdomain": "#1f77b4",
    "unknown": "#7f7f7f",
}


def new_figure(width_in: float = 2 * COLUMN_IN, height_in: float = 3.0) -> Figure:
    return Figure(figsize=(width_in, height_in), layout="constrained")


def save(fig: Figure, path: str | Path, *, formats=("png",), dpi: int = 300) -> list[Path]:
    """Save ``fig`` as ``path`` with each suffix in ``formats`` (path's own suffix ignored)."""
    path = Path(path)
    out = []
    engine = fig.get_layout_engine()
    try:
        for fmt in formats:
            target = path.with_suffix(f".{fmt}")
            tmp = target.with_name(f".{target.name}.partial.{fmt}")
            fig.savefig(tmp, dpi=dpi, format=fmt)
            tmp.replace(target)
            out.append(target)
            # the layout made for the first format serves the others (it is most of the
            # time of a save, and the formats then agree to the point)
            fig.set_layout_engine("none")
    finally:
        fig.set_layout_engine(engine)
    return out


def scale_bar(ax, pixel_size_um: float, image_width_px: int, *, colour: str = "white") -> None:
    """A scale bar of a round length (um) in the lower right corner of an image axis."""
    width_um = image_width_px * pixel_size_um
    nice = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
    length = max([n for n in nice if n <= width_um / 4] or [nice[0]])
    px = length / pixel_size_um
    h = ax.get_ylim()[0]
    y = h - 0.06 * h
    x1 = image_width_px * 0.95
    ax.plot([x1 - px, x1], [y, y], color=colour, lw=2, solid_capstyle="butt")
    ax.text(
        x1 - px / 2,
        y - 0.03 * h,
        f"{length:g} \u00b5m",
        color=colour,
        ha="center",
        va="bottom",
        fontsize=6,
    )


def image_limits(image: np.ndarray) -> tuple[float, float]:
    lo, hi = np.percentile(image, [1, 99.5])
    return float(lo), float(hi if hi > lo else lo + 1)
