"""astrocalc: astrocyte calcium imaging from raw movie to astrocyte-gated plasticity."""

__version__ = "0.1.0"
