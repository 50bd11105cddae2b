"""compare/compare.png/.svg/.pdf: per-recording summaries by group."""

from __future__ import annotations

import numpy as np

from ._style import new_figure, save

PANELS = (
    ("mean_pairwise_r", "mean pairwise r"),
    ("share_significant_pairs", "share of significant pairs"),
    ("event_rate_per_min", "events / ROI / min"),
    ("share_global_events", "share of global events"),
    ("decay_length_um", "correlation length (\u00b5m)"),
)


def plot_compare(summary, by: str, path, *, tests=None):
    groups = list(dict.fromkeys(summary[by].astype(str)))
    fig = new_figure(7.0, 2.6)
    for k, (col, label) in enumerate(PANELS):
        ax = fig.add_subplot(1, len(PANELS), k + 1)
        ticks = []
        for i, g in enumerate(groups):
            vals = summary.loc[summary[by].astype(str) == g, col].to_numpy(float)
            known = vals[np.isfinite(vals)]
            if len(known):
                ax.bar(i, known.mean(), color=f"C{i}", alpha=0.4, width=0.6)
            ax.plot(
                np.full(len(known), i) + np.linspace(-0.1, 0.1, len(known)),
                known,
                "o",
                color=f"C{i}",
                ms=4,
            )
            # recordings without a value (e.g. no measurable decay) are said, not hidden
            ticks.append(g if len(known) == len(vals) else f"{g}\n{len(known)} of {len(vals)}")
        ax.set_xticks(range(len(groups)), ticks)
        ax.set_ylabel(label)
        if tests is not None:
            row = tests[(tests.statistic == col) & (tests.test == "mann_whitney")]
            if len(row):
                ax.set_title(f"Mann-Whitney p = {row.p.iloc[0]:.2g}", fontsize=6)
    fig.suptitle(f"Recordings grouped by {by} (one point per recording)")
    return save(fig, path, formats=("png", "svg", "pdf"))
