"""Fitting model parameters to observed event statistics."""

from ._rate import RateFit, fit_input_rate, invert_rate_curve, simulate_rate_curve
from ._statistics import observed_statistics

__all__ = [
    "RateFit",
    "fit_input_rate",
    "invert_rate_curve",
    "observed_statistics",
    "simulate_rate_curve",
]
