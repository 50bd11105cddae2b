"""Synthetic astrocyte movies with known ground truth.

The scene is one astrocyte: a soma, tapering branches and a spongy mesh of fine
processes over a dim textured neuropil. Microdomains sit on the processes and fire
their own Poisson events; global events are waves that start at a random point and
sweep across the cell at a set speed, reaching each microdomain and the soma in turn
(with ``wave_spread`` the cytosol of every process lights up too as the wave passes, so a
wave is one continuous spatiotemporal event). Optional prolonged events of tens of
seconds test that detection keeps them whole.
The movie adds photobleaching, shot and read noise, and rigid subpixel motion (an
Ornstein-Uhlenbeck random walk with occasional jumps).

Event kinetics follow what is reported for GCaMP6 microdomain events in astrocyte
processes (rise of a few hundred ms, decay of about 0.5-3 s, dF/F of 0.3-2; e.g.
Srinivasan et al. 2015 Nat Neurosci 18:708; Bindocci et al. 2017 Science 356:eaai8185),
and wave speeds of 5-30 um/s for intracellular calcium waves (Bazargani & Attwell 2016
Nat Neurosci 19:182).

Everything is drawn from one seeded generator, so a seed gives the same movie.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import fft as sfft
from scipy import ndimage

from .io.outputs import write_csv, write_json
from .io.tiff import MovieWriter, write_image

# time course of the cytosolic Ca2+ rise as a wave sweeps a pixel (``wave_spread``)
WAVE_RISE_S, WAVE_DECAY_S = 0.3, 1.5
# rise and decay time constants (s) of prolonged events (``n_long_events``)
LONG_RISE_S, LONG_DECAY_S = 1.0, 5.0


@dataclass
class SynthParams:
    """Parameters of a synthetic recording (units in the names)."""

    shape: tuple[int, int] = (128, 128)
    n_frames: int = 1200
    frame_rate_hz: float = 10.0
    pixel_size_um: float = 0.4
    n_domains: int = 30
    event_rate_per_min: float = 4.0
    synchrony: float = 0.3
    noise: float = 1.0
    brightness: float = 300.0
    bleach_fraction: float = 0.2
    motion_px: float = 1.0
    jump_rate_per_min: float = 0.5
    wave_speed_um_s: float = 15.0
    amplitude_dff: float = 0.8
    refractory_s: float = 4.0
    offset: float = 0.0
    warp_px: float = 0.0  # amplitude (std) of a smooth non-rigid warp on top of the motion
    n_long_events: int = 0  # prolonged events (one each in distinct microdomains)
    long_event_s: float = 40.0  # full width at half maximum of a prolonged event
    wave_spread: float = 0.0  # peak dF/F of the cytosol (processes, soma) as a wave sweeps it
    domain_scale: float = 1.0  # microdomain size relative to the default (0.6-1.0 um sigma)
    seed: int = 0


@dataclass
class SynthTruth:
    """Ground truth of a synthetic movie. Coordinates are in the reference frame."""

    params: SynthParams
    shifts: np.ndarray  # (T, 2) dy, dx in pixels (content displacement, CONTRACT.md)
    labels: np.ndarray  # (Y, X) uint16, 1..n_domains microdomains
    soma_mask: np.ndarray  # (Y, X) bool
    process_mask: np.ndarray  # (Y, X) bool: branches and fine processes (not soma)
    structure: np.ndarray  # (Y, X) float32 resting fluorescence
    traces: np.ndarray  # (T, n_domains + 1) latent peak dF/F; last column is the soma
    events: pd.DataFrame = field(repr=False)
    waves: pd.DataFrame = field(repr=False)
    warp: np.ndarray | None = None  # (T, 2) coefficients of the non-rigid warp

    @property
    def times_s(self) -> np.ndarray:
        return np.arange(self.params.n_frames) / self.params.frame_rate_hz

    def displacement(self, y, x) -> np.ndarray:
        """(T, ..., 2) content displacement at reference positions ``y, x``; see
        :func:`displacement`."""
        return displacement(self.shifts, self.warp, self.params.shape, y, x)


def displacement(shifts, warp, shape, y, x) -> np.ndarray:
    """(T, ..., 2) displacement (dy, dx) of the content at reference positions ``y, x``
    (arrays of one shape) of a movie of frame ``shape`` with rigid ``shifts`` (T, 2) and
    ``warp`` coefficients (T, 2) or None: the rigid shift plus the warp where the shifted
    content lands (see :func:`warp_field`)."""
    shifts = np.asarray(shifts, float)
    y, x = np.asarray(y, float), np.asarray(x, float)
    expand = (slice(None),) + (None,) * y.ndim
    sy, sx = shifts[:, 0][expand], shifts[:, 1][expand]
    out = np.stack(np.broadcast_arrays(sy + 0 * y, sx + 0 * x), axis=-1)
    if warp is not None:
        for t in range(len(out)):
            out[t] += warp_field(warp[t : t + 1], y + sy[t], x + sx[t], shape)[0]
    return out


def event_kernel(
    t_s: np.ndarray, rise_tau_s: float, decay_tau_s: float, plateau_s: float = 0.0
) -> np.ndarray:
    """Unit-peak event time course, 0 before t = 0:
    (1 - exp(-t/rise))^2 * exp(-max(t - plateau, 0)/decay). With no plateau the decay
    starts at once (brief events); a plateau holds a prolonged event up before it decays."""

    def shape(t):
        return (1 - np.exp(-t / rise_tau_s)) ** 2 * np.exp(
            -np.clip(t - plateau_s, 0, None) / decay_tau_s
        )

    fine = np.linspace(0, plateau_s + 10 * (rise_tau_s + decay_tau_s), 4000)
    return np.where(t_s > 0, shape(np.clip(t_s, 0, None)) / shape(fine).max(), 0.0)


def _kernel_features(
    rise_tau_s: float, decay_tau_s: float, plateau_s: float = 0.0
) -> tuple[float, float, float]:
    """Rise 10-90 %, FWHM and time to peak (s) of :func:`event_kernel`, found numerically."""
    t = np.linspace(0, plateau_s + 12 * (rise_tau_s + decay_tau_s), 20000)
    k = event_kernel(t, rise_tau_s, decay_tau_s, plateau_s)
    ip = int(np.argmax(k))
    rise = t[np.searchsorted(k[:ip], 0.9)] - t[np.searchsorted(k[:ip], 0.1)]
    above = np.flatnonzero(k >= 0.5)
    return float(rise), float(t[above[-1]] - t[above[0]]), float(t[ip])


def _smooth_noise(rng, shape, sigma_px):
    field_ = ndimage.gaussian_filter(rng.standard_normal(shape), sigma_px)
    return field_ / field_.std()


def _draw_cell(rng, shape, um):
    """Soma, branches and spongy processes on a canvas.

    Returns (structure, soma mask, process mask, soma centre).
    """
    h, w = shape
    yy, xx = np.mgrid[:h, :w].astype(float)
    cy = h / 2 + rng.uniform(-0.05, 0.05) * h
    cx = w / 2 + rng.uniform(-0.05, 0.05) * w
    soma_r = 4.5 * um
    cell_r = min(h, w) * 0.42
    r = np.hypot(yy - cy, xx - cx)
    soma = np.clip((soma_r + 1 - r), 0, 1)

    branches = np.zeros(shape)
    n_branch = rng.integers(5, 8)
    angles = np.sort(rng.uniform(0, 2 * np.pi, n_branch))
    for a0 in angles:
        a, y, x = a0, cy, cx
        length = rng.uniform(0.7, 1.0) * cell_r
        steps = int(length / 0.5)
        for i in range(steps):
            a += rng.normal(0, 0.04)
            y += 0.5 * np.sin(a)
            x += 0.5 * np.cos(a)
            radius = (1.6 - 1.1 * i / steps) * um
            iy, ix = int(round(y)), int(round(x))
            r_box = int(radius) + 3
            sl = (
                slice(max(iy - r_box, 0), iy + r_box + 1),
                slice(max(ix - r_box, 0), ix + r_box + 1),
            )
            d = np.hypot(yy[sl] - y, xx[sl] - x)
            branches[sl] = np.maximum(branches[sl], np.clip(radius + 0.5 - d, 0, 1))

    territory = np.clip((cell_r - r) / (0.15 * cell_r), 0, 1)
    sponge = np.clip(_smooth_noise(rng, shape, 1.2 * um) - 0.3, 0, None) * territory
    sponge = np.clip(sponge / 1.5, 0, 1)
    processes = np.maximum(branches * 0.8, sponge * 0.45)
    neuropil = 0.12 + 0.04 * _smooth_noise(rng, shape, 2.0)
    structure = np.maximum(soma, processes) + neuropil
    soma_mask = soma > 0.5
    process_mask = (processes > 0.15) & ~soma_mask
    return structure, soma_mask, process_mask, (cy, cx)


def _place_domains(rng, process_mask, soma_center, n, um, pad, scale=1.0):
    """Microdomain centres on processes, away from the soma, the edges and each other."""
    h, w = process_mask.shape
    ys, xs = np.nonzero(process_mask)
    order = rng.permutation(len(ys))
    min_sep = 4.0 * um * max(1.0, scale)
    soma_clear = 8.0 * um
    centers = []
    for i in order:
        y, x = ys[i], xs[i]
        if min(y - pad, x - pad, h - pad - y, w - pad - x) < 3 * um:
            continue
        if np.hypot(y - soma_center[0], x - soma_center[1]) < soma_clear:
            continue
        if all(np.hypot(y - cy, x - cx) >= min_sep for cy, cx in centers):
            centers.append((float(y), float(x)))
        if len(centers) == n:
            break
    return centers


def _domain_footprints(rng, shape, centers, um, scale=1.0):
    """Anisotropic Gaussian footprints (peak 1), and labels where the footprint is >= 0.25."""
    h, w = shape
    yy, xx = np.mgrid[:h, :w].astype(float)
    footprints = np.zeros((len(centers), h, w), np.float32)
    for k, (cy, cx) in enumerate(centers):
        s1, s2 = rng.uniform(0.6, 1.0, 2) * um * scale
        th = rng.uniform(0, np.pi)
        dy, dx = yy - cy, xx - cx
        u = dx * np.cos(th) + dy * np.sin(th)
        v = -dx * np.sin(th) + dy * np.cos(th)
        footprints[k] = np.exp(-0.5 * ((u / s1) ** 2 + (v / s2) ** 2))
    labels = np.zeros(shape, np.uint16)
    if not centers:
        return footprints, labels
    strongest = footprints.argmax(0)
    inside = footprints.max(0) >= 0.25
    labels[inside] = strongest[inside] + 1
    return footprints, labels


def _motion(rng, p: SynthParams) -> np.ndarray:
    """(T, 2) shifts: an OU random walk (std motion_px, 5 s time constant) plus jumps."""
    t = p.n_frames
    theta = 1.0 / (5.0 * p.frame_rate_hz)
    sigma = p.motion_px * np.sqrt(2 * theta)
    shifts = np.zeros((t, 2))
    jumps = rng.random(t) < p.jump_rate_per_min / 60.0 / p.frame_rate_hz
    for i in range(1, t):
        shifts[i] = shifts[i - 1] * (1 - theta) + rng.normal(0, sigma, 2)
        if jumps[i]:
            angle = rng.uniform(0, 2 * np.pi)
            size = rng.uniform(1.5, 3.0) * p.motion_px
            shifts[i] += size * np.array([np.sin(angle), np.cos(angle)])
    shifts -= np.median(shifts, axis=0)
    return shifts


def warp_field(coefficients: np.ndarray, y, x, shape) -> np.ndarray:
    """(T, ..., 2) smooth non-rigid displacement at positions ``y, x`` of a frame of
    ``shape``: ``dy = c1(t) cos(pi x / X)``, ``dx = c2(t) cos(pi y / Y)``, a bend of the
    field of view that no rigid shift undoes (it averages to zero over the frame)."""
    h, w = shape
    c = np.asarray(coefficients, float)[(slice(None),) + (None,) * np.ndim(y)]
    dy = c[..., 0] * np.cos(np.pi * (np.asarray(x) + 0.5) / w)
    dx = c[..., 1] * np.cos(np.pi * (np.asarray(y) + 0.5) / h)
    return np.stack([dy, dx], axis=-1)


def _warp_coefficients(p: SynthParams) -> np.ndarray:
    """(T, 2) slowly varying warp amplitudes: OU processes, std ``warp_px``, 5 s."""
    rng = np.random.default_rng([p.seed, 7])  # own stream: the rest of the movie is unchanged
    theta = 1.0 / (5.0 * p.frame_rate_hz)
    c = np.zeros((p.n_frames, 2))
    c[0] = rng.normal(0, p.warp_px, 2)
    for i in range(1, p.n_frames):
        c[i] = c[i - 1] * (1 - theta) + rng.normal(0, p.warp_px * np.sqrt(2 * theta), 2)
    return c


def _events(rng, p: SynthParams, centers, soma_center, um):
    """Event table: local Poisson events per domain plus waves over all domains and the soma."""
    duration = p.n_frames / p.frame_rate_hz
    rate_local = p.event_rate_per_min * (1 - p.synchrony) / 60.0
    rate_wave = p.event_rate_per_min * p.synchrony / 60.0
    rows = []
    n = len(centers)
    for d in range(n):
        for onset in rng.uniform(0, duration, rng.poisson(rate_local * duration)):
            rows.append((d + 1, onset, "local", -1))
    waves = []
    h_um = np.array(centers) / um if n else np.zeros((0, 2))
    all_sites = np.vstack([h_um, np.array(soma_center) / um]) if n else np.array([soma_center]) / um
    for w_id, t0 in enumerate(np.sort(rng.uniform(0, duration, rng.poisson(rate_wave * duration)))):
        origin = all_sites[rng.integers(len(all_sites))] + rng.normal(0, 3.0, 2)
        waves.append((w_id, t0, origin[0] * um, origin[1] * um, p.wave_speed_um_s))
        dist = np.hypot(*(all_sites - origin).T)
        for site, d_um in enumerate(dist):
            roi = site + 1 if site < n else 0
            rows.append((roi, t0 + d_um / p.wave_speed_um_s, "global", w_id))
    ev = pd.DataFrame(rows, columns=["domain_id", "onset_s", "kind", "wave_id"])
    ev = ev[(ev.onset_s > 1.0) & (ev.onset_s < duration - 4.0)]
    ev = ev.sort_values(["domain_id", "onset_s"]).reset_index(drop=True)
    keep = np.ones(len(ev), bool)
    last = {}
    for i, (dom, t) in enumerate(zip(ev.domain_id, ev.onset_s, strict=True)):
        if dom in last and t - last[dom] < p.refractory_s:
            keep[i] = False
        else:
            last[dom] = t
    ev = ev[keep].reset_index(drop=True)
    ev["amplitude_dff"] = p.amplitude_dff * rng.lognormal(0, 0.3, len(ev))
    ev["rise_tau_s"] = rng.uniform(0.15, 0.4, len(ev))
    ev["decay_s"] = rng.lognormal(np.log(1.0), 0.35, len(ev))
    ev["plateau_s"] = 0.0
    if p.n_long_events:
        ev = _add_long_events(ev, p, n)
    k = len(ev)
    feats = np.array(
        [
            _kernel_features(r, d, q)
            for r, d, q in zip(ev.rise_tau_s, ev.decay_s, ev.plateau_s, strict=True)
        ]
    ).reshape(k, 3)
    ev["rise_s"] = feats[:, 0] if k else []
    ev["duration_s"] = feats[:, 1] if k else []
    ev["onset_frame"] = np.round(ev.onset_s * p.frame_rate_hz).astype(int)
    ev["peak_frame"] = (
        np.round((ev.onset_s + feats[:, 2]) * p.frame_rate_hz).astype(int) if k else []
    )
    ev = ev.sort_values(["onset_s"]).reset_index(drop=True)
    ev.insert(0, "event_id", np.arange(1, k + 1))
    waves = pd.DataFrame(
        waves, columns=["wave_id", "onset_s", "origin_y_px", "origin_x_px", "speed_um_s"]
    )
    return ev, waves


def _no_events() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Empty event and wave tables with the columns and types of :func:`_events`."""
    ints = ["event_id", "domain_id", "wave_id", "onset_frame", "peak_frame"]
    floats = ["onset_s", "amplitude_dff", "rise_tau_s", "decay_s", "plateau_s", "rise_s"]
    events = pd.DataFrame({c: np.zeros(0, int) for c in ints})
    events = events.assign(**{c: np.zeros(0) for c in [*floats, "duration_s"]}, kind="")
    waves = ["wave_id", "onset_s", "origin_y_px", "origin_x_px", "speed_um_s"]
    return events, pd.DataFrame({c: np.zeros(0) for c in waves})


def _plateau_for_width(rise_tau_s: float, decay_tau_s: float, width_s: float) -> float:
    """Plateau that gives :func:`event_kernel` a full width at half maximum of ``width_s``
    (bisection; the width grows monotonically with the plateau)."""
    lo, hi = 0.0, width_s
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        wide = _kernel_features(rise_tau_s, decay_tau_s, mid)[1] >= width_s
        lo, hi = (lo, mid) if wide else (mid, hi)
    return 0.5 * (lo + hi)


def _add_long_events(ev: pd.DataFrame, p: SynthParams, n_domains: int) -> pd.DataFrame:
    """Prolonged events (FWHM ``long_event_s``: a rise of time constant 1 s, a plateau,
    a decay of 5 s; amplitude ``amplitude_dff``) in ``n_long_events`` domains, at onsets
    spread over the
    recording; other events of those domains that overlap them are removed. Prolonged
    astrocyte Ca2+ elevations of tens of seconds are reported in vivo, e.g. Ding et al.
    2013 Cell Calcium 54:387 and Paukert et al. 2014 Neuron 82:1263."""
    duration = p.n_frames / p.frame_rate_hz
    n = min(p.n_long_events, n_domains)
    rng = np.random.default_rng([p.seed, 11])  # own stream: the other events are unchanged
    span = 2.0 * p.long_event_s  # the event and its tail
    slot = (duration - 10.0 - span) / max(n, 1)
    if slot <= 0:
        raise ValueError(f"long_event_s {p.long_event_s} does not fit a {duration:.0f} s movie")
    plateau = _plateau_for_width(LONG_RISE_S, LONG_DECAY_S, p.long_event_s)
    rows = []
    for i, dom in enumerate(rng.permutation(np.arange(1, n_domains + 1))[:n]):
        onset = 5.0 + (i + rng.uniform(0.1, 0.9)) * slot
        clash = (ev.domain_id == dom) & (ev.onset_s > onset - p.refractory_s - 5.0)
        ev = ev[~(clash & (ev.onset_s < onset + span))]
        rows.append(
            {
                "domain_id": dom,
                "onset_s": onset,
                "kind": "local",
                "wave_id": -1,
                "amplitude_dff": p.amplitude_dff,
                "rise_tau_s": LONG_RISE_S,
                "decay_s": LONG_DECAY_S,
                "plateau_s": plateau,
            }
        )
    return pd.concat([ev, pd.DataFrame(rows)], ignore_index=True)


def _wave_onsets(waves: pd.DataFrame, shape, um: float) -> np.ndarray:
    """(n_waves, Y * X) time (s) at which each wave reaches each pixel of the canvas."""
    yy, xx = np.mgrid[: shape[0], : shape[1]].astype(np.float32)
    out = np.empty((len(waves), shape[0] * shape[1]), np.float32)
    for i, w in enumerate(waves.itertuples()):
        dist_um = np.hypot(yy - w.origin_y_px, xx - w.origin_x_px) / um
        out[i] = (w.onset_s + dist_um / w.speed_um_s).ravel()
    return out


def _latent_traces(p: SynthParams, events: pd.DataFrame, n_domains: int) -> np.ndarray:
    """(T, n_domains + 1) dF/F; column d-1 is domain d, the last column the soma."""
    t = np.arange(p.n_frames) / p.frame_rate_hz
    traces = np.zeros((p.n_frames, n_domains + 1), np.float32)
    for ev in events.itertuples():
        col = ev.domain_id - 1 if ev.domain_id > 0 else n_domains
        span = slice(int(ev.onset_s * p.frame_rate_hz), None)
        traces[span, col] += ev.amplitude_dff * event_kernel(
            t[span] - ev.onset_s, ev.rise_tau_s, ev.decay_s, ev.plateau_s
        )
    return traces


def simulate(
    params: SynthParams | None = None, *, domain_traces: np.ndarray | None = None, **overrides
) -> tuple[SynthTruth, callable]:
    """Build the ground truth of a synthetic recording.

    Returns the truth and ``render(start, stop)``, which returns frames ``start:stop`` of
    the movie as uint16, so long movies can be written chunk by chunk.

    ``domain_traces`` (n_frames, n_domains + 1), peak dF/F of each microdomain and (last
    column) the soma, replaces the drawn events: a model's activity, e.g. GCaMP dF/F of
    :func:`astrocalc.models.simulate_astrocytes` calcium, rendered on the scene's
    footprints. Where the cell has room for fewer microdomains than ``n_domains``, the
    first columns are used (``truth.traces`` holds those rendered). It may instead be a
    function of the placed microdomains' centres, (n, 2) (x, y) in um in the field,
    returning (n_frames, n + 1): a model whose microdomains lie where they are drawn. The
    truth's event and wave tables are then empty.

    Examples
    --------
    >>> truth, render = simulate(shape=(64, 64), n_frames=100, seed=1)
    >>> render(0, 10).shape
    (10, 64, 64)
    """
    p = params or SynthParams()
    if overrides:
        p = SynthParams(**{**p.__dict__, **overrides})
    rng = np.random.default_rng(p.seed)
    um = 1.0 / p.pixel_size_um  # pixels per um
    shifts = _motion(rng, p)
    pad = int(np.ceil(np.abs(shifts).max())) + 4
    h, w = p.shape
    canvas = (h + 2 * pad, w + 2 * pad)
    structure, soma_mask, process_mask, soma_center = _draw_cell(rng, canvas, um)
    centers = _place_domains(rng, process_mask, soma_center, p.n_domains, um, pad, p.domain_scale)
    footprints, labels = _domain_footprints(rng, canvas, centers, um, p.domain_scale)
    if domain_traces is None:
        events, waves = _events(rng, p, centers, soma_center, um)
        traces = _latent_traces(p, events, len(centers))
    else:
        n_columns = p.n_domains + 1
        if callable(domain_traces):
            xy_um = np.array([(x - pad, y - pad) for y, x in centers], float).reshape(-1, 2) / um
            domain_traces, n_columns = domain_traces(xy_um), len(centers) + 1
        given = np.asarray(domain_traces, np.float32)
        if given.shape != (p.n_frames, n_columns):
            raise ValueError(
                f"domain_traces has shape {given.shape}; expected (n_frames, microdomains "
                f"+ 1) = ({p.n_frames}, {n_columns})"
            )
        traces = np.concatenate([given[:, : len(centers)], given[:, -1:]], axis=1)
        events, waves = _no_events()

    # resting fluorescence under a domain is at least that of a fine process, so that
    # events are visible where the mesh is too thin to see in the mean image
    base = structure.copy()
    for fp in footprints:
        base = np.maximum(base, 0.35 * fp + 0.12)
    weights = np.concatenate([footprints, soma_mask[None].astype(np.float32)]) * base
    weights = weights.reshape(len(weights), -1)
    tau_bleach = (
        -(p.n_frames / p.frame_rate_hz) / np.log(1 - p.bleach_fraction)
        if p.bleach_fraction > 0
        else np.inf
    )
    bleach = np.exp(-np.arange(p.n_frames) / p.frame_rate_hz / tau_bleach)
    ky = sfft.fftfreq(canvas[0])[:, None]
    kx = sfft.rfftfreq(canvas[1])[None, :]
    crop = (slice(pad, pad + h), slice(pad, pad + w))
    offset, gain2 = p.offset, p.noise**2
    warp = _warp_coefficients(p) if p.warp_px > 0 else None

    def warped(frames, start):
        """Content moved by the warp field, evaluated where it lands in the frame."""
        grid_y, grid_x = np.mgrid[: canvas[0], : canvas[1]].astype(np.float64)
        out = np.empty_like(frames)
        for i, frame in enumerate(frames):
            d = warp_field(warp[start + i : start + i + 1], grid_y - pad, grid_x - pad, p.shape)[0]
            coords = np.stack([grid_y - d[..., 0], grid_x - d[..., 1]])
            out[i] = ndimage.map_coordinates(frame, coords, order=3, mode="mirror")
        return out

    cytosol = ((soma_mask | process_mask) * base).reshape(-1).astype(np.float32)
    wave_onsets = _wave_onsets(waves, canvas, um)
    wave_span = [(float(o.min()), float(o.max()) + 12 * WAVE_DECAY_S) for o in wave_onsets]

    def render(start: int, stop: int) -> np.ndarray:
        frames = base.reshape(-1)[None] + traces[start:stop] @ weights.astype(np.float32)
        if p.wave_spread > 0:
            t = (np.arange(start, stop) / p.frame_rate_hz).astype(np.float32)
            for onset, (first, last) in zip(wave_onsets, wave_span, strict=True):
                on = np.flatnonzero((t > first) & (t < last))
                if len(on):
                    lag = t[on, None] - onset[None]
                    kernel = event_kernel(lag, WAVE_RISE_S, WAVE_DECAY_S).astype(np.float32)
                    frames[on] += p.wave_spread * kernel * cytosol
        frames = frames.reshape(-1, *canvas) * bleach[start:stop, None, None]
        spec = sfft.rfft2(frames.astype(np.float32), workers=-1)
        sh = shifts[start:stop]
        ramp = np.exp(-2j * np.pi * ky[None] * sh[:, 0, None, None]) * np.exp(
            -2j * np.pi * kx[None] * sh[:, 1, None, None]
        )
        frames = sfft.irfft2(spec * ramp, s=canvas, workers=-1)
        if warp is not None:
            frames = warped(frames, start)
        frames = frames[:, crop[0], crop[1]]
        frames = np.clip(frames, 0, None) * p.brightness
        frame_rng = np.random.default_rng([p.seed, start])
        photons = frame_rng.poisson(frames / gain2) + frame_rng.normal(0, 2.0, frames.shape)
        return np.clip(photons * gain2 + offset, 0, 65535).astype(np.uint16)

    # what an ROI covering the domain's label measures: the footprint- and
    # resting-fluorescence-weighted mean of the peak dF/F over the label
    label_gain = np.ones(len(centers) + 1)
    for k in range(len(centers)):
        inside = labels == k + 1
        label_gain[k + 1] = float((footprints[k] * base)[inside].sum() / base[inside].sum())
    events = events.copy()
    events["peak_amplitude_dff"] = events.amplitude_dff
    events["amplitude_dff"] = events.amplitude_dff * label_gain[events.domain_id.to_numpy(int)]
    events["y"] = [
        centers[d - 1][0] - pad if d > 0 else soma_center[0] - pad for d in events.domain_id
    ]
    events["x"] = [
        centers[d - 1][1] - pad if d > 0 else soma_center[1] - pad for d in events.domain_id
    ]
    truth = SynthTruth(
        params=p,
        shifts=shifts,
        labels=labels[crop],
        soma_mask=soma_mask[crop],
        process_mask=process_mask[crop],
        structure=(base[crop] * p.brightness + offset).astype(np.float32),
        traces=traces,
        events=events,
        waves=waves.assign(
            origin_y_px=waves.origin_y_px - pad, origin_x_px=waves.origin_x_px - pad
        ),
        warp=warp,
    )
    return truth, render


def make_movie(
    params: SynthParams | None = None, *, domain_traces: np.ndarray | None = None, **overrides
) -> tuple[np.ndarray, SynthTruth]:
    """The whole movie in memory (uint16, (T, Y, X)) and its truth; for small movies."""
    truth, render = simulate(params, domain_traces=domain_traces, **overrides)
    return render(0, truth.params.n_frames), truth


def write(
    path: str | Path,
    params: SynthParams | None = None,
    *,
    chunk_frames: int = 256,
    domain_traces: np.ndarray | None = None,
    **overrides,
) -> SynthTruth:
    """Write a synthetic movie to ``path`` (calibrated TIFF) chunk by chunk, and its truth
    to ``<path stem>_truth/``: shifts.csv, labels.tif, soma.tif, events.csv, waves.csv,
    traces.npy, params.json. ``domain_traces``: see :func:`simulate`."""
    path = Path(path)
    truth, render = simulate(params, domain_traces=domain_traces, **overrides)
    p = truth.params
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    with MovieWriter(
        tmp,
        (p.n_frames, *p.shape),
        np.uint16,
        frame_rate_hz=p.frame_rate_hz,
        pixel_size_um=p.pixel_size_um,
    ) as writer:
        for start in range(0, p.n_frames, chunk_frames):
            writer.write(render(start, min(start + chunk_frames, p.n_frames)))
    tmp.replace(path)
    tdir = path.with_name(path.stem + "_truth")
    tdir.mkdir(exist_ok=True)
    write_csv(
        tdir / "shifts.csv",
        pd.DataFrame(
            {"frame": np.arange(p.n_frames), "dy": truth.shifts[:, 0], "dx": truth.shifts[:, 1]}
        ),
    )
    write_image(tdir / "labels.tif", truth.labels, pixel_size_um=p.pixel_size_um)
    write_image(tdir / "soma.tif", truth.soma_mask.astype(np.uint8), pixel_size_um=p.pixel_size_um)
    write_csv(tdir / "events.csv", truth.events)
    write_csv(tdir / "waves.csv", truth.waves)
    np.save(tdir / "traces.npy", truth.traces)
    if truth.warp is not None:
        np.save(tdir / "warp.npy", truth.warp)
    write_json(tdir / "params.json", {**p.__dict__, "shape": list(p.shape)})
    return truth
