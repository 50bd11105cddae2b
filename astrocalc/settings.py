"""Typed settings, and the one place where the config's units become the data's.

The config schema (``astrocalc/schemas/config.schema.yaml``, listed in
``config/README.md``) is the home of every setting: its default, allowed values, unit and
meaning. The classes here are the typed view of a validated section that science code
takes, one per section; a test checks that their fields are the schema's properties.
:class:`Sampling` is where seconds become frames and micrometres become pixels.

Each class's :meth:`~Section.of` takes an instance, or a plain mapping of some of the
section's keys (a notebook's ``{"high_threshold_sd": 3}``): the rest get the schema's
defaults, and a bad value one error line naming the setting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Self


@dataclass(frozen=True)
class Sampling:
    """A recording's frame rate and pixel size: seconds to frames, um to pixels."""

    frame_rate_hz: float
    pixel_size_um: float

    def frames(self, seconds: float, *, at_least: int = 1) -> int:
        """Whole frames nearest to ``seconds``, at least ``at_least``."""
        return max(at_least, int(round(seconds * self.frame_rate_hz)))

    def frame_span(self, seconds: float) -> float:
        """``seconds`` in frames, not rounded (windows that are split into bins)."""
        return seconds * self.frame_rate_hz

    def px(self, um: float) -> float:
        """A length in pixels, not rounded."""
        return um / self.pixel_size_um

    def area_px(self, um2: float) -> float:
        """An area in pixels, not rounded."""
        return um2 / self.pixel_size_um**2

    def min_area_px(self, um2: float, floor_px: int) -> int:
        """Smallest footprint in whole pixels: ``um2`` rounded up, at least ``floor_px``."""
        return max(int(floor_px), math.ceil(self.area_px(um2)))


# float32 frame-sized arrays alive per streamed frame at a stage's peak: segmentation's
# activity maps hold 6.5 per chunk frame (tracemalloc, 256 x 256, chunks of 200 and 600
# frames), plus each chunk's overlap; pixel events and ROI traces hold fewer
WORKING_FRAMES = 8
# longer chunks than this gain little and raise small movies' peak memory (a 256 x 256
# movie's segmentation: 1.7 GB at 512-frame chunks)
MAX_CHUNK_FRAMES = 256


def stream_frames(config: dict, frame_shape: tuple[int, ...], *, state_frames: int = 0) -> int:
    """Frames a stage streams at once: the config's ``chunk_frames`` where set, else as
    many as ``memory_mb`` holds for frames of ``frame_shape`` (16 to ``MAX_CHUNK_FRAMES``)
    once ``state_frames`` frame-sized float32 arrays of per-pixel state (the baselines a
    stage keeps for the whole recording) are set aside, so that neither a larger field nor
    a longer recording takes more memory, only shorter chunks."""
    if config["chunk_frames"] is not None:
        return int(config["chunk_frames"])
    pixels = math.prod(frame_shape)
    budget = config["memory_mb"] * 2**20 - state_frames * 4 * pixels
    return int(min(max(budget // (WORKING_FRAMES * 4 * pixels), 16), MAX_CHUNK_FRAMES))


class Section:
    """A config section as a frozen dataclass; ``section`` names it in the config."""

    section: ClassVar[str]

    @classmethod
    def of(cls, value: Self | dict[str, Any] | None = None) -> Self:
        """``value`` as this section's settings: an instance as it is, a mapping of some
        of its keys with the schema's defaults for the rest (validated), None the
        defaults."""
        if isinstance(value, cls):
            return value
        from .config import validate  # deferred: jsonschema and yaml are slow to import

        section = validate({cls.section: dict(value or {})})[cls.section]
        return cls(**{f.name: section[f.name] for f in fields(cls)})

    @classmethod
    def from_config(cls, config: dict) -> Self:
        """The section of a whole validated config."""
        return cls(**{f.name: config[cls.section][f.name] for f in fields(cls)})


@dataclass(frozen=True)
class SegmentationSettings(Section):
    section: ClassVar[str] = "segmentation"

    smooth_um: float
    smooth_s: float
    baseline_window_s: float
    baseline_percentile: float
    active_threshold_sd: float
    min_active_s: float
    min_area_um2: float
    min_area_px: int
    footprint_fraction: float
    event_window_s: float
    structure_only: bool
    faint_process_contrast_sd: float
    off_structure_min_events: int
    structure_margin_um: float
    max_microdomain_area_um2: float
    split_distance_um: float
    merge_r: float
    soma_radius_um: float


@dataclass(frozen=True)
class EventSettings(Section):
    section: ClassVar[str] = "events"

    baseline_window_s: float
    baseline_percentile: float
    offset: float
    neuropil_coefficient: float
    smooth_s: float
    high_threshold_sd: float
    low_threshold_sd: float
    min_duration_s: float
    coactive_window_s: float
    global_fraction: float


@dataclass(frozen=True)
class PixelEventSettings(Section):
    section: ClassVar[str] = "pixel_events"

    enabled: bool
    threshold_sd: float
    seed_sd: float
    min_active_s: float
    min_area_um2: float
    min_area_px: int
    split_onset_gap_s: float
    min_delay_s: float
    structure_only: bool


@dataclass(frozen=True)
class CorrelationSettings(Section):
    section: ClassVar[str] = "correlation"

    min_shift_s: float
    cluster_threshold: float
    co_event_window_s: float
    max_lag_s: float
    null_model: str  # auto | circular | autocorrelation


@dataclass(frozen=True)
class ModelSettings(Section):
    section: ClassVar[str] = "model"

    dt_s: float
    ip3_coupling_per_s: float
    ca_coupling_per_s: float
    n_branches: int
    ip3_pulse_uM: float
    gate_fraction: float
    synapses_per_microdomain: int
    pre_rate_hz: float
    pairing_lag_s: float
    duration_s: float
    posterior_runs: int


@dataclass(frozen=True)
class FitSettings(Section):
    section: ClassVar[str] = "fit"

    n_astrocytes: int
    max_domains: int
    max_duration_s: float
    max_iterations: int
    predictive_recordings: int
    indicator: str


SECTIONS: tuple[type[Section], ...] = (
    SegmentationSettings,
    EventSettings,
    PixelEventSettings,
    CorrelationSettings,
    ModelSettings,
    FitSettings,
)
