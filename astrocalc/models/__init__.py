"""Astrocyte compartment models and astrocyte-gated three-factor plasticity."""

from ._astrocyte import AstrocyteInput, calcium_events, poisson_drive, simulate_astrocytes
from ._li_rinzel import LiRinzel, li_rinzel_rates, resting_state
from ._plasticity import STDP, eligibility_increments, gated_weight_change, spike_trains
from ._simulate import SimulationResult, simulate_plasticity

__all__ = [
    "STDP",
    "AstrocyteInput",
    "LiRinzel",
    "SimulationResult",
    "calcium_events",
    "eligibility_increments",
    "gated_weight_change",
    "li_rinzel_rates",
    "poisson_drive",
    "resting_state",
    "simulate_astrocytes",
    "simulate_plasticity",
    "spike_trains",
]
