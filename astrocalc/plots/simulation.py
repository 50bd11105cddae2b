"""simulation/simulation.png (+ SVG, PDF): compartment calcium, the gate, and the gated
plasticity outcome with its credible intervals over posterior draws."""

from __future__ import annotations

import numpy as np

from ._style import new_figure, save


def plot_simulation(
    compartments, plasticity, path, *, gate_threshold_uM: float, outcome: dict, intervals: dict
):
    fig = new_figure(7.0, 3.4)
    ax = fig.add_subplot(1, 2, 1)
    t = compartments.time_s.to_numpy()
    ca_cols = [c for c in compartments.columns if c.startswith("ca_md_")][:5] + ["ca_soma"]
    for k, col in enumerate(ca_cols):
        ax.plot(t, compartments[col] + 1.2 * k, lw=0.5, color="k" if col == "ca_soma" else f"C{k}")
        ax.text(t[-1], 1.2 * k + 0.1, col[3:], fontsize=5, ha="left")
        ax.axhline(gate_threshold_uM + 1.2 * k, color="0.7", lw=0.4, ls=":")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("[Ca2+] (\u00b5M, offset per compartment)")
    ax.set_title("Model astrocyte: microdomains and soma (dotted: gate threshold)")
    ax2 = fig.add_subplot(1, 2, 2)
    bins = np.linspace(
        min(plasticity.dw.min(), plasticity.dw_ungated.min()),
        max(plasticity.dw.max(), plasticity.dw_ungated.max()) + 1e-9,
        30,
    )
    ax2.hist(plasticity.dw_ungated, bins=bins, color="0.7", label="STDP without astrocyte gate")
    ax2.hist(
        plasticity.dw, bins=bins, color="tab:green", alpha=0.8, label="gated by microdomain Ca"
    )
    ax2.set_xlabel("weight change dw")
    ax2.set_ylabel("synapses")
    ax2.legend(frameon=False)
    ax2.set_title("Plasticity outcome")

    def with_ci(name, fmt):
        ci = intervals.get(f"{name}_ci95")
        text = format(outcome[name], fmt)
        return text + ("" if ci is None else f" ({format(ci[0], fmt)} to {format(ci[1], fmt)})")

    fig.suptitle(
        f"At the fit (95 % interval over posterior draws): gate open "
        f"{with_ci('mean_gate_open_fraction', '.1%')} of the time;\nshare of synapses "
        f"changing together {with_ci('co_permitted_share', '.2f')}; mean dw "
        f"{with_ci('mean_dw', '.3g')}",
        fontsize=7,
    )
    return save(fig, path, formats=("png", "svg", "pdf"), dpi=200)
