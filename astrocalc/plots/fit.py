"""fit/fit.png: observed statistics against those of the fitted model."""

from __future__ import annotations

import numpy as np

from ._style import new_figure, save

LABELS = {
    "local_rate_per_min": "local events\n(per microdomain per min)",
    "global_rate_per_min": "global events\n(per microdomain per min)",
    "mean_pairwise_r": "mean\npairwise r",
    "median_duration_s": "median event\nduration (s)",
}


def plot_fit(result, path):
    """One panel per statistic: the observed value with its 95 % interval for a recording
    of this size, and the fitted model's mean with the spread (SD) over model astrocytes;
    the fitted parameters and their intervals in the title."""
    from ..fit import STATISTICS

    fig = new_figure(6.5, 2.4)
    axes = fig.subplots(1, len(STATISTICS))
    for ax, name, obs, sim, sd, se in zip(
        axes,
        STATISTICS,
        result.observed,
        result.simulated,
        result.simulated_sd,
        result.se,
        strict=True,
    ):
        if np.isfinite(obs):
            ax.errorbar([0], [obs], yerr=[1.96 * se], fmt="o", color="tab:blue", ms=4)
        if np.isfinite(sim):
            ax.errorbar([1], [sim], yerr=[sd], fmt="s", color="k", ms=4)
        ax.set_xticks([0, 1], ["observed", "model"])
        ax.set_xlim(-0.6, 1.6)
        ax.set_ylabel(LABELS[name])
    fitted = [
        f"{p} {result.values[p]:.3g} ({lo:.3g}-{hi:.3g})" for p, (lo, hi) in result.ci95.items()
    ]
    p_value = result.report()["p_value"]
    fig.suptitle(
        (("fitted (95 % CI): " + "; ".join(fitted)) if fitted else "no parameter identifiable")
        + "\nobserved: value and 95 % interval for a recording of this size; "
        + "model: mean and SD over model astrocytes"
        + ("" if p_value is None else f"; misfit chi-square p = {p_value:.2g}"),
        fontsize=7,
    )
    return save(fig, path, formats=("png",), dpi=200)
