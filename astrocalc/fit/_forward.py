"""The forward model of a recording's statistics: model astrocytes seen as the pipeline sees
a recording.

Model calcium is turned into GCaMP dF/F (:class:`astrocalc.models.Indicator`), sampled at
the recording's frame rate, given white noise of the recording's level in each
microdomain, and passed through the pipeline's own event detector
(:func:`astrocalc.events.find_events`) and statistics (:func:`event_statistics`), so that
simulated and observed statistics are measured the same way: detection thresholds,
baseline, smoothing and the event duration's definition all cancel out of the fit.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..backend import map_threads, worker_threads
from ..events import coactive_rois, find_events_side_by_side, smoothing_gain
from ..models import (
    GCAMP6F,
    AstrocyteInput,
    Indicator,
    LiRinzel,
    heterogeneity,
    resting_state,
    simulate_input,
)
from ..settings import EventSettings, ModelSettings

# model traces (float64) simulated at once: the simulation and the event detection on them
# hold several arrays as large, so this bounds the fit's memory whatever the recording's
# length. A 600 s model astrocyte of 40 microdomains at 10 Hz is 15 MB of them; all of a
# search step's 19 parameter sets x 8 astrocytes at once took the fit of a 1,000 s
# recording to 3.4 GB, this 1.8 GB (and 389 s instead of 461 s, the same posterior)
BATCH_BYTES = 1 << 26

# synaptic input events per minute that reach one microdomain alone, and that reach every
# microdomain of the cell at once; IP3 per input event; IP3 exchange along the tree; the
# speed of the cell's own calcium and IP3 kinetics (1: Li-Rinzel's; sets event durations);
# the coefficient of variation of the IP3 pulse between input events (sets the spread of
# event amplitudes); the CV of the kinetic speed across microdomains (microdomains differ
# in size and ER content: the spread of durations); the CV of the dF/F gain across
# microdomain ROIs (how much of its ROI a microdomain fills, out-of-focus blur: the spread
# of amplitudes between ROIs); the speed at which a shared input spreads from the
# microdomain where it starts to the others (a wave: reaching them up to seconds apart, it
# makes co-active events with less zero-lag correlation than one reaching all at once)
PARAMETERS = (
    "local_rate_per_min",
    "shared_rate_per_min",
    "ip3_pulse_uM",
    "coupling_per_s",
    "kinetic_speed",
    "pulse_cv",
    "speed_cv",
    "gain_cv",
    "wave_speed_um_s",
)
# events per microdomain per minute that are local and that are global (rather than the
# total rate and the share of global events: the count of shared input events, small in
# any recording, moves both of those, while it leaves the local rate alone)
# Then the distributions: duration quartiles, the amplitudes' spread (interquartile range
# over median: free of the indicator's brightness), the coefficient of variation of the
# intervals between a microdomain's events (1 for Poisson, above for bursts) and the share
# of events that another microdomain joins within the co-activity window; how far apart in
# time the microdomains join a global event (the median over global events of the SD of the
# onsets within the co-activity window around it: the wave's transit across the cell).
STATISTICS = (
    "local_rate_per_min",
    "global_rate_per_min",
    "mean_pairwise_r",
    "median_duration_s",
    "duration_q25_s",
    "duration_q75_s",
    "amplitude_spread",
    "interval_cv",
    "coactive_share",
    "global_onset_sd_s",
)
# the statistics set by the cell's shared events (the waves: their count, the correlation
# and co-activity they bring, their transit): a recording with more microdomains sees the
# same waves, so their spread between recordings falls with its length alone
CELL_WIDE = ("global_rate_per_min", "mean_pairwise_r", "coactive_share", "global_onset_sd_s")
# what forward_statistics measures: the fitted statistics, then the median event amplitude,
# which scales with the indicator's brightness and calibrates it instead of being fitted
MEASURES = (*STATISTICS, "median_amplitude_dff")
# the key of each parameter in fit/parameters.json (the coupling named as in the config)
JSON_KEYS = {
    "local_rate_per_min": "local_rate_per_min",
    "shared_rate_per_min": "shared_rate_per_min",
    "ip3_pulse_uM": "ip3_pulse_uM",
    "coupling_per_s": "ip3_coupling_per_s",
    "kinetic_speed": "kinetic_speed",
    "pulse_cv": "ip3_pulse_cv",
    "speed_cv": "speed_cv",
    "gain_cv": "gain_cv",
    "wave_speed_um_s": "wave_speed_um_s",
}
# units of the parameters, for reports
UNITS = {
    "local_rate_per_min": "events/min",
    "shared_rate_per_min": "events/min",
    "ip3_pulse_uM": "uM",
    "coupling_per_s": "1/s",
    "kinetic_speed": "",
    "pulse_cv": "",
    "speed_cv": "",
    "gain_cv": "",
    "wave_speed_um_s": "um/s",
}


@dataclass(frozen=True)
class Recording:
    """What the forward model copies from the observed recording."""

    n_domains: int  # microdomain ROIs
    duration_s: float
    frame_rate_hz: float
    noise_sd_dff: tuple  # noise SD of the smoothed dF/F of each microdomain ROI
    # share of the (white) noise common to all microdomains (shot noise of a shared
    # background, a frame-wide rescaling): see astrocalc.fit.shared_noise
    noise_shared: float = 0.0
    # where the microdomain ROIs lie (um), one (x, y) per microdomain: a shared input
    # spreads over them at the wave speed; empty: it reaches them all at once
    positions_um: tuple = ()


def event_statistics(
    roi: np.ndarray,
    onset_s: np.ndarray,
    duration_s: np.ndarray,
    amplitude_dff: np.ndarray,
    *,
    n_rois: int,
    recording_s: float,
    pairwise_r: np.ndarray,
    coactive_window_s: float,
    global_fraction: float,
) -> np.ndarray:
    """The :data:`MEASURES` of one cell's microdomain events.

    Events are global when microdomains making up at least ``global_fraction`` of
    ``n_rois`` start one within ``coactive_window_s`` (the pipeline's rule, applied to
    microdomains alone, so that soma and process ROIs, which the model does not render,
    do not enter). NaN where undefined (no events, fewer than two microdomains).
    """
    roi = np.asarray(roi)
    onset_s = np.asarray(onset_s, float)
    duration_s = np.asarray(duration_s, float)
    amplitude_dff = np.asarray(amplitude_dff, float)
    n_global, coactive, onset_sd = 0, np.nan, np.nan
    if len(roi):
        n_active = coactive_rois(roi, onset_s, window_s=coactive_window_s)
        is_global = n_active >= global_fraction * n_rois
        n_global = int(is_global.sum())
        coactive = float((n_active >= 2).mean()) if n_rois > 1 else np.nan
        if n_global:
            onset_sd = _onset_sd_around(onset_s, onset_s[is_global], coactive_window_s)
    per_min = 1.0 / max(n_rois, 1) / (recording_s / 60.0)
    r = np.asarray(pairwise_r, float)
    r = r[np.isfinite(r)]
    dq = np.percentile(duration_s, [25, 50, 75]) if len(duration_s) else np.full(3, np.nan)
    aq = np.percentile(amplitude_dff, [25, 50, 75]) if len(amplitude_dff) else np.full(3, np.nan)
    return np.array(
        [
            (len(roi) - n_global) * per_min,
            n_global * per_min,
            float(r.mean()) if len(r) else np.nan,
            dq[1],
            dq[0],
            dq[2],
            (aq[2] - aq[0]) / aq[1] if aq[1] > 0 else np.nan,
            _interval_cv(roi, onset_s),
            coactive,
            onset_sd,
            aq[1],
        ]
    )


def _onset_sd_around(onset_s: np.ndarray, centres_s: np.ndarray, window_s: float) -> float:
    """Median over ``centres_s`` of the SD of the onsets within ``window_s`` of each."""
    t = np.sort(onset_s)
    lo = np.searchsorted(t, centres_s - window_s, side="left")
    hi = np.searchsorted(t, centres_s + window_s, side="right")
    rel = np.concatenate([[0.0], np.cumsum(t - t[0])])
    rel2 = np.concatenate([[0.0], np.cumsum((t - t[0]) ** 2)])
    m = hi - lo
    mean = (rel[hi] - rel[lo]) / m
    var = np.maximum((rel2[hi] - rel2[lo]) / m - mean**2, 0.0)
    return float(np.median(np.sqrt(var)))


def _interval_cv(roi: np.ndarray, onset_s: np.ndarray) -> float:
    """CV of the intervals between successive events of each ROI, pooled (NaN: < 3)."""
    order = np.lexsort((onset_s, roi))
    same = roi[order][1:] == roi[order][:-1]
    gaps = np.diff(onset_s[order])[same]
    if len(gaps) < 3 or gaps.mean() <= 0:
        return np.nan
    return float(gaps.std(ddof=1) / gaps.mean())


def model_input(local_rate_per_min, shared_rate_per_min, wave_speed_um_s=np.inf) -> AstrocyteInput:
    """The model's input as a rate per microdomain, the share of it common to all, and
    the speed at which that shared input spreads over the microdomains."""
    local = np.atleast_1d(np.asarray(local_rate_per_min, float))
    shared = np.atleast_1d(np.asarray(shared_rate_per_min, float))
    rate = local + shared
    speed = np.broadcast_to(np.asarray(wave_speed_um_s, float), rate.shape).copy()
    return AstrocyteInput(rate, shared / rate, wave_speed_um_s=speed)


def forward_statistics(
    thetas: list[dict],
    recording: Recording,
    *,
    n_astrocytes: int,
    model: ModelSettings | dict | None,
    events: EventSettings | dict | None,
    seed: int,
    indicator: Indicator = GCAMP6F,
    xp=np,
) -> np.ndarray:
    """:data:`MEASURES` of ``n_astrocytes`` model recordings per parameter set: an array
    (K, A, len(MEASURES)).

    Parameters
    ----------
    thetas : list of dict
        Parameter sets, each with every name of :data:`PARAMETERS`.
    recording : Recording
        Size, rate and noise of the recording to imitate: every model astrocyte has its
        number of microdomains and duration, so the spread over astrocytes is the spread
        of the statistic over recordings like it.
    n_astrocytes : int
        Model astrocytes per parameter set.
    model, events : ModelSettings, EventSettings or mappings
        The ``model`` (dt_s, n_branches, ca_coupling_per_s) and ``events`` config sections.
    seed : int
        Common random numbers: every parameter set sees the same uniform draws (thinned to
        its rates) and the same noise, so differences between sets are not Monte-Carlo
        noise.
    """
    k, a, n = len(thetas), n_astrocytes, recording.n_domains
    model, events = ModelSettings.of(model), EventSettings.of(events)
    dt = model.dt_s
    every = max(1, int(round(1.0 / (recording.frame_rate_hz * dt))))
    fs = 1.0 / (every * dt)  # the model's sampling; equals the frame rate when dt divides it
    n_frames = int(round(recording.duration_s * fs))
    column = {name: np.repeat([float(t[name]) for t in thetas], a) for name in PARAMETERS}
    # per-microdomain draws shared by every parameter set (common random numbers)
    z_speed = np.tile(np.random.default_rng([seed, 3]).standard_normal((a, n)), (k, 1))
    z_gain = np.tile(np.random.default_rng([seed, 4]).standard_normal((a, n)), (k, 1))
    rec = simulate_input(
        np.random.default_rng([seed, 0]),
        model_input(
            column["local_rate_per_min"],
            column["shared_rate_per_min"],
            column["wave_speed_um_s"],
        ),
        n_domains=n,
        n_steps=n_frames * every,
        model=model,
        coupling_per_s=column["coupling_per_s"],
        ip3_pulse_uM=column["ip3_pulse_uM"],
        record_every=every,
        kinetic_speed=column["kinetic_speed"],
        speed_factors=heterogeneity(column["speed_cv"], z_speed),
        pulse_cv=column["pulse_cv"],
        replicate=np.tile(np.arange(a), k),
        positions_um=np.asarray(recording.positions_um, float) if recording.positions_um else None,
        xp=xp,
    )
    dff = indicator.dff(rec["ca"][:, :, :n], resting_ca(), dt_s=1.0 / fs)
    dff *= heterogeneity(column["gain_cv"], z_gain).astype(np.float32)[None]
    gain = smoothing_gain(events.smooth_s * fs)
    sd = np.resize(np.asarray(recording.noise_sd_dff, float), n) / gain
    white = np.random.default_rng([seed, 1]).standard_normal((n_frames, a, n + 1))
    rho = float(np.clip(recording.noise_shared, 0.0, 0.95))
    noise = (np.sqrt(1 - rho) * white[..., :n] + np.sqrt(rho) * white[..., n:]) * sd
    out = np.full((k, a, len(MEASURES)), np.nan)
    roi_ids = np.arange(1, n + 1)
    iu = np.triu_indices(n, 1)
    traces = (1.0 + dff + noise[:, np.tile(np.arange(a), k)]).reshape(n_frames, k * a * n)
    results = find_events_side_by_side(traces, roi_ids, frame_rate_hz=fs, settings=events)
    for b, found in enumerate(results):
        ev = found.events
        with np.errstate(invalid="ignore", divide="ignore"):  # a flat trace: NaN r
            r = np.corrcoef(found.dff.T)[iu] if n > 1 else np.zeros(0)
        out[b // a, b % a] = event_statistics(
            ev.roi_id.to_numpy(),
            ev.onset_s.to_numpy(),
            ev.duration_s.to_numpy(),
            ev.amplitude_dff.to_numpy(),
            n_rois=n,
            recording_s=n_frames / fs,
            pairwise_r=r,
            coactive_window_s=events.coactive_window_s,
            global_fraction=events.global_fraction,
        )
    return out


@dataclass(frozen=True)
class ForwardModel:
    """:func:`forward_statistics` with everything but the parameter sets fixed: the
    recording to imitate, the model astrocytes per set, the config sections, the seed of
    the common random numbers and the indicator."""

    recording: Recording
    n_astrocytes: int
    model: ModelSettings
    events: EventSettings
    seed: int
    indicator: Indicator = GCAMP6F
    xp: object = np

    def __post_init__(self):
        # mappings become settings once, not at each of the fit's many calls
        object.__setattr__(self, "model", ModelSettings.of(self.model))
        object.__setattr__(self, "events", EventSettings.of(self.events))

    def __call__(self, thetas: list[dict]) -> np.ndarray:
        """Statistics (len(thetas), n_astrocytes, len(MEASURES)), simulated a few parameter
        sets at a time (:meth:`batch_sets`), the batches on every core (the model's event
        detection runs on one); each set sees the same random numbers in any batch, so the
        result depends neither on the batches nor on the cores."""
        per = self.batch_sets()

        def batch(i: int) -> np.ndarray:
            return forward_statistics(
                thetas[i : i + per],
                self.recording,
                n_astrocytes=self.n_astrocytes,
                model=self.model,
                events=self.events,
                seed=self.seed,
                indicator=self.indicator,
                xp=self.xp,
            )

        return np.concatenate(map_threads(batch, list(range(0, len(thetas), per)), self.xp))

    def batch_sets(self) -> int:
        """Parameter sets simulated at once: the model traces (float64, one per
        microdomain, astrocyte and frame) of the batches in flight (one per core on NumPy:
        :func:`map_threads`) within :data:`BATCH_BYTES`, at least one set."""
        rec = self.recording
        per_set = 8 * self.n_astrocytes * rec.n_domains * rec.duration_s * rec.frame_rate_hz
        return max(1, int(BATCH_BYTES // max(per_set * worker_threads(self.xp), 1)))


@functools.cache
def resting_ca() -> float:
    """Resting calcium of the model (uM), the indicator's dF/F reference."""
    return resting_state(LiRinzel())[0]
