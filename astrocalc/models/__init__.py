"""Astrocyte compartment models and astrocyte-gated three-factor plasticity."""

from ._astrocyte import (
    AstrocyteInput,
    calcium_event_runs,
    calcium_events,
    heterogeneity,
    poisson_drive,
    pulse_sizes,
    simulate_astrocytes,
    simulate_input,
    size_table,
    tree,
)
from ._compartments import simulate_li_rinzel
from ._gchi import (
    FM_OSCILLATOR,
    STIMBERG_2019,
    GChI,
    gchi_from_li_rinzel,
    gchi_rates,
    simulate_gchi,
)
from ._integrate import integrate, rk4_step
from ._li_rinzel import LiRinzel, li_rinzel_rates, resting_state
from ._observe import GCAMP6F, INDICATORS, Indicator, indicator
from ._oscillations import (
    envelope_growth_rate,
    hopf_points,
    leading_eigenvalue,
    oscillation_measures,
    oscillation_window,
    simulate_clamped,
    steady_state,
)
from ._plasticity import (
    STDP,
    AstrocyteLTDGate,
    astrocyte_gated_ltd,
    co_permission,
    eligibility_increments,
    gated_weight_change,
    pairing_trains,
    spike_trains,
    stdp_window,
)
from ._protocols import pairing_sweep, timing_sweep
from ._simulate import SimulationResult, gate_threshold, simulate_plasticity

__all__ = [
    "GCAMP6F",
    "INDICATORS",
    "Indicator",
    "indicator",
    "FM_OSCILLATOR",
    "GChI",
    "STIMBERG_2019",
    "gchi_from_li_rinzel",
    "gchi_rates",
    "simulate_gchi",
    "simulate_li_rinzel",
    "STDP",
    "AstrocyteInput",
    "AstrocyteLTDGate",
    "astrocyte_gated_ltd",
    "LiRinzel",
    "SimulationResult",
    "calcium_event_runs",
    "calcium_events",
    "co_permission",
    "eligibility_increments",
    "envelope_growth_rate",
    "gated_weight_change",
    "hopf_points",
    "integrate",
    "leading_eigenvalue",
    "li_rinzel_rates",
    "oscillation_measures",
    "oscillation_window",
    "pairing_sweep",
    "pairing_trains",
    "heterogeneity",
    "poisson_drive",
    "pulse_sizes",
    "size_table",
    "resting_state",
    "rk4_step",
    "simulate_clamped",
    "simulate_astrocytes",
    "simulate_input",
    "simulate_plasticity",
    "gate_threshold",
    "spike_trains",
    "stdp_window",
    "steady_state",
    "timing_sweep",
    "tree",
]
