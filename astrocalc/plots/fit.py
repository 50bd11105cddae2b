"""fit/fit.png (+ SVG, PDF): observed statistics inside the fitted model's predictive
distribution."""

from __future__ import annotations

import numpy as np

from ._style import new_figure, save

LABELS = {
    "local_rate_per_min": "local events\n(/microdomain/min)",
    "global_rate_per_min": "global events\n(/microdomain/min)",
    "mean_pairwise_r": "mean\npairwise r",
    "median_duration_s": "median event\nduration (s)",
    "duration_q25_s": "duration\n25th pct (s)",
    "duration_q75_s": "duration\n75th pct (s)",
    "amplitude_spread": "amplitude\nIQR / median",
    "interval_cv": "inter-event\ninterval CV",
    "coactive_share": "share of events\nwith a partner",
    "global_onset_sd_s": "onset SD, global\nevents (s)",
}


def plot_fit(result, check, path):
    """One panel per statistic: the model's predictive distribution at the fit (recordings
    of this size: violin, 95 % band) and the observed value (dot; red where it lies outside
    the band); fitted parameters and the check's verdict in the title."""
    from ..fit import STATISTICS

    fig = new_figure(1.15 * len(STATISTICS), 3.4)  # room for each panel's two-line title
    axes = fig.subplots(1, len(STATISTICS))
    for k, (ax, name) in enumerate(zip(axes, STATISTICS, strict=True)):
        sims = check.simulated[:, k]
        sims = sims[np.isfinite(sims)]
        if len(sims) > 1:
            ax.violinplot(sims, [0], showextrema=False, widths=0.8)
            lo, hi = np.percentile(sims, [2.5, 97.5])
            ax.plot([0, 0], [lo, hi], color="k", lw=1)
        obs, p = check.observed[k], check.statistic_p[k]
        if np.isfinite(obs):
            bad = np.isfinite(p) and p < 0.05
            ax.plot([0], [obs], "o", color="tab:red" if bad else "tab:blue", ms=5, zorder=3)
        ax.set_xticks([])
        ax.set_xlim(-0.7, 0.7)
        ax.set_title(LABELS[name], fontsize=6)
        ax.tick_params(labelsize=6)
    fitted = [
        f"{p} {result.values[p]:.3g} ({lo:.3g}-{hi:.3g})" for p, (lo, hi) in result.ci95.items()
    ]
    lines = ["; ".join(fitted[i : i + 4]) for i in range(0, len(fitted), 4)]
    fig.suptitle(
        (("fitted (95 % CI): " + "\n".join(lines)) if fitted else "nothing fitted")
        + "\nviolins: the fitted model's predictive distribution for a recording of this size "
        + "(bar: 95 %); dots: observed (red: outside the band)\n"
        + check.sentence(),
        fontsize=7,
    )
    return save(fig, path, formats=("png", "svg", "pdf"), dpi=200)
