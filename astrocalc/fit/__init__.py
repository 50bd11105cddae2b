"""Fitting model parameters to observed event statistics."""

from ._identify import (
    PARAMETERS,
    STATISTICS,
    Identifiability,
    local_identifiability,
    simulated_statistics,
)
from ._rate import RateFit, fit_input_rate, invert_rate_curve, simulate_rate_curve
from ._statistics import observed_statistics

__all__ = [
    "PARAMETERS",
    "STATISTICS",
    "Identifiability",
    "local_identifiability",
    "simulated_statistics",
    "RateFit",
    "fit_input_rate",
    "invert_rate_curve",
    "observed_statistics",
    "simulate_rate_curve",
]
