"""fit/fit.png: simulated vs observed microdomain event rate along the input-rate grid."""

from __future__ import annotations

from ._style import new_figure, save


def plot_fit(rate_fit, stats: dict, path):
    fig = new_figure(3.5, 2.8)
    ax = fig.add_subplot(1, 1, 1)
    g, s, e = (
        rate_fit.rate_grid_per_min,
        rate_fit.simulated_rate_per_min,
        rate_fit.simulated_rate_sem,
    )
    ax.errorbar(g, s, yerr=e, fmt="o-", ms=3, lw=0.8, color="k", label="model (mean \u00b1 SEM)")
    lo, hi = stats["rate_per_min_ci95"]
    ax.axhspan(lo, hi, color="tab:blue", alpha=0.2, lw=0)
    ax.axhline(stats["rate_per_min"], color="tab:blue", lw=1, label="observed (95 % CI)")
    ax.axvline(
        rate_fit.input_rate_per_min,
        color="tab:red",
        lw=1,
        ls="--",
        label=f"fitted input {rate_fit.input_rate_per_min:.2g}/min",
    )
    ax.axvspan(*rate_fit.input_rate_ci95, color="tab:red", alpha=0.1, lw=0)
    ax.set_xscale("log")
    ax.set_xlabel("synaptic input rate per microdomain (events/min)")
    ax.set_ylabel("microdomain Ca event rate (events/min)")
    ax.legend(frameon=False, loc="upper left")
    if not rate_fit.identifiable:
        ax.set_title("not identifiable: " + rate_fit.note[:60] + "...", fontsize=6)
    return save(fig, path, formats=("png",), dpi=200)
