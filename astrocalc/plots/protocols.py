"""protocols.png/.svg/.pdf: plasticity protocols with and without the astrocyte."""

from __future__ import annotations

import pandas as pd

from ._style import new_figure, save

WITHOUT, WITH = "#7f7f7f", "#9467bd"


def plot_protocols(
    timing: pd.DataFrame,
    pairings: pd.DataFrame,
    path,
    *,
    n_pairings: int,
    frequency_hz: float,
    lag_ms: float,
    threshold_pairings: float,
):
    """Left: weight change against the pairing lag after ``n_pairings`` at
    ``frequency_hz``; right: against the number of pairings at ``lag_ms``, with the
    astrocyte's threshold marked."""
    fig = new_figure(5.0, 2.2)
    left, right = fig.subplots(1, 2)
    for ax, table, x in ((left, timing, "lag_ms"), (right, pairings, "n_pairings")):
        ax.axhline(0, color="k", lw=0.5)
        ax.plot(table[x], table.dw_without_astrocyte, "o-", ms=2.5, lw=1, color=WITHOUT,
                label="without astrocyte")  # fmt: skip
        ax.plot(table[x], table.dw_with_astrocyte, "s-", ms=2.5, lw=1, color=WITH,
                label="with astrocyte")  # fmt: skip
        ax.set_ylabel("weight change")
    left.axvline(0, color="k", lw=0.5)
    left.set_xlabel("post - pre lag (ms)")
    left.set_title(f"{n_pairings} pairings at {frequency_hz:g} Hz")
    right.axvline(threshold_pairings, color=WITH, lw=0.8, ls="--")
    right.set_xlabel("number of pairings")
    right.set_title(f"post {abs(lag_ms):g} ms before pre, {frequency_hz:g} Hz")
    left.legend(frameon=False, loc="lower right")
    return save(fig, path, formats=("png", "svg", "pdf"))
