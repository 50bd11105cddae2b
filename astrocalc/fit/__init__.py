"""Fitting model parameters to observed event statistics: one recording's whole fit
(:func:`fit_recording`) and its parts."""

from ._fit import (
    BOUNDS,
    PREDICTIVE_P,
    ParameterFit,
    PredictiveCheck,
    calibrate_indicator,
    fit_parameters,
    posterior_draws,
    predictive_check,
    start_kinetic_speed,
)
from ._forward import (
    CELL_WIDE,
    JSON_KEYS,
    MEASURES,
    PARAMETERS,
    STATISTICS,
    UNITS,
    ForwardModel,
    Recording,
    event_statistics,
    forward_statistics,
    model_input,
)
from ._identify import (
    Identifiability,
    Sensitivity,
    design,
    identify,
    local_identifiability,
    simulated_size,
)
from ._recording import RecordingFit, fit_recording, noise_rois
from ._recovery import model_dff, write_model_movie
from ._statistics import microdomain_ids, observed_recording, observed_statistics, shared_noise

__all__ = [
    "BOUNDS",
    "PREDICTIVE_P",
    "PredictiveCheck",
    "posterior_draws",
    "predictive_check",
    "start_kinetic_speed",
    "CELL_WIDE",
    "JSON_KEYS",
    "ForwardModel",
    "MEASURES",
    "PARAMETERS",
    "STATISTICS",
    "UNITS",
    "Identifiability",
    "ParameterFit",
    "Recording",
    "Sensitivity",
    "calibrate_indicator",
    "design",
    "event_statistics",
    "fit_parameters",
    "forward_statistics",
    "identify",
    "local_identifiability",
    "model_dff",
    "microdomain_ids",
    "model_input",
    "observed_recording",
    "observed_statistics",
    "shared_noise",
    "simulated_size",
    "write_model_movie",
    "RecordingFit",
    "fit_recording",
    "noise_rois",
]
