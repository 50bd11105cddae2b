"""Independent synthetic recordings for evaluation, never for tuning.

:mod:`astrocalc.synth` makes the demo and the unit tests' movies, and astrocalc's
detectors were developed on it. This module is a second generator, written apart from it
and sharing none of its code or choices, so that accuracy measured here says how the
detectors do on data they were not shaped by. Keep it that way: no setting of astrocalc is
to be chosen by looking at scores on these recordings (benchmarks/detection.py reports both
generators side by side).

What differs from :mod:`astrocalc.synth`:

- **Morphology** from a branching model: primary processes leave an elliptical soma as
  persistent random walks that taper and fork, and run past the field's edge; a haze of
  fine processes around them. The soma lies in the middle half of the field.
- **Microdomains anywhere** on the processes, the field's edge included, as elongated
  Gaussian blobs of 0.5-1.4 um SD at random orientations.
- **Events** with a different time course, ``(1 - exp(-t/rise)) * exp(-t/decay)`` scaled to
  unit peak, rise time constant 0.05-0.5 s (log-uniform), decay 0.5-20 s (log-normal,
  median 1.5 s), dF/F 0.2-2 (log-normal); local
  events, events shared by clusters of 2-3 neighbouring microdomains (co-active
  neighbours), and waves that spread from a random start at 5-30 um/s and recruit most
  microdomains and the soma. Each microdomain rests between its events at least
  ``min_gap_s`` plus the previous event's decay time, so every true event is separable.
- **Background and noise**: a neuropil layer with its own slow spatially smooth
  fluctuations; a global intensity change, slow (exponential decline) and stepwise
  (``n_steps`` sudden changes, as when laser power or focus changes); photon shot noise
  and Gaussian read noise with camera gain and offset; rigid motion by bilinear
  interpolation of a larger scene (so the edges hold real content), a random walk with
  occasional jumps.
- **Export**: 16-bit camera counts, or 8-bit frames each min-max normalised to 0..255
  (``export="uint8"``: what video exports of two-photon data look like).

Kinetics and amplitudes span what is reported for GCaMP6/7 astrocyte events
(Srinivasan et al. 2015 Nat Neurosci 18:708; Bindocci et al. 2017 Science 356:eaai8185;
Wang et al. 2019 Nat Neurosci 22:1936, AQuA), wave speeds those of intracellular
calcium waves (5-30 um/s; Bazargani & Attwell 2016 Nat Neurosci 19:182).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage

from .io.outputs import write_csv, write_json
from .io.tiff import MovieWriter, write_image

# a microdomain's truth label: pixels where its footprint is at least this share of its peak
LABEL_LEVEL = 0.35


@dataclass(frozen=True)
class EvalParams:
    """Settings of an evaluation recording (units in the names)."""

    shape: tuple[int, int] = (128, 128)
    n_frames: int = 1200
    frame_rate_hz: float = 10.0
    pixel_size_um: float = 0.4
    n_domains: int = 26
    event_rate_per_min: float = 3.0  # per microdomain, all kinds together
    synchrony: float = 0.5  # share of events that belong to waves
    cluster_share: float = 0.2  # share of the other events shared by 2-3 neighbours
    photons: float = 250.0  # resting photons per frame on a thick process
    read_noise: float = 4.0  # SD of the read noise (photons)
    gain: float = 2.0  # counts per photon
    offset: float = 100.0  # counts
    neuropil: float = 0.25  # neuropil brightness relative to a thick process
    decline: float = 0.3  # share of the intensity lost by the end (slow, exponential)
    n_steps: int = 1  # sudden global intensity changes
    step_size: float = 0.15  # relative size of each (sign drawn at random)
    motion_px: float = 1.5  # SD of the slow rigid drift (pixels)
    export: str = "uint16"  # {"uint16", "uint8"}
    seed: int = 0


@dataclass
class EvalTruth:
    """Ground truth of an evaluation recording, in the coordinates of the field (not moved).

    ``events`` has the columns the scorers in :mod:`astrocalc.scoring` read
    (``domain_id``, 0 for the soma; ``onset_s``; ``amplitude_dff``) and ``kind``
    ({"local", "cluster", "wave"}), ``group_id`` (the wave or cluster), ``rise_tau_s``,
    ``decay_tau_s``, ``peak_dff`` (at the footprint's centre).
    """

    params: EvalParams
    labels: np.ndarray  # (Y, X) uint16 microdomains 1..n
    soma_mask: np.ndarray  # (Y, X) bool
    process_mask: np.ndarray  # (Y, X) bool
    events: pd.DataFrame
    shifts: np.ndarray  # (T, 2) content displacement dy, dx (pixels)
    global_gain: np.ndarray  # (T,) the global intensity factor

    @property
    def wave_share(self) -> float:
        """Share of microdomain events that belong to waves."""
        ev = self.events[self.events.domain_id > 0]
        return float((ev.kind == "wave").mean()) if len(ev) else 0.0


# ---------------------------------------------------------------------------- morphology


def _branches(rng, soma_yx, soma_r, extent, step, um):
    """Polyline points (y, x, radius) of a tapering, forking process tree, in pixels
    (``um``: pixels per um): primary processes 0.8-1.3 um in radius, thinning to 0.3 um."""
    points = []
    stack = []
    for angle in rng.uniform(0, 2 * np.pi, rng.integers(5, 9)):
        start = soma_yx + soma_r * np.array([np.sin(angle), np.cos(angle)])
        stack.append((start, angle, rng.uniform(0.8, 1.3) * um, 0))
    while stack:
        pos, angle, radius, depth = stack.pop()
        length = rng.uniform(0.4, 1.0) * extent / (depth + 1)
        for _ in range(int(length / step)):
            angle += rng.normal(0, 0.12)
            pos = pos + step * np.array([np.sin(angle), np.cos(angle)])
            radius = max(radius * 0.99, 0.3 * um)
            points.append((pos[0], pos[1], radius))
            if depth < 3 and rng.random() < 0.025:
                stack.append(
                    (
                        pos.copy(),
                        angle + rng.choice([-1, 1]) * rng.uniform(0.4, 1.0),
                        radius * 0.8,
                        depth + 1,
                    )
                )
    return np.array(points).reshape(-1, 3)


def _morphology(rng, canvas, margin, px_um):
    """Resting brightness (canvas), soma and process masks, and the process points."""
    h, w = canvas
    um = 1.0 / px_um  # pixels per um
    # the soma in the middle half of the field, its processes reaching past the edges
    inner = np.array([h, w]) - 2 * margin
    soma_yx = margin + rng.uniform(0.25, 0.75, 2) * inner
    soma_r = rng.uniform(4.0, 6.0) * um
    pts = _branches(rng, soma_yx, soma_r, extent=0.9 * max(inner), step=0.5 * um, um=um)
    yy, xx = np.mgrid[:h, :w]
    e = rng.uniform(0.7, 1.0)
    tilt = rng.uniform(0, np.pi)
    dy, dx = yy - soma_yx[0], xx - soma_yx[1]
    u = dy * np.cos(tilt) + dx * np.sin(tilt)
    v = -dy * np.sin(tilt) + dx * np.cos(tilt)
    soma = (u / soma_r) ** 2 + (v / (e * soma_r)) ** 2 <= 1.0
    tree = np.zeros(canvas, np.float32)
    for y, x, r in pts:
        iy, ix = int(round(y)), int(round(x))
        rr = int(np.ceil(r))
        y0, y1, x0, x1 = max(iy - rr, 0), min(iy + rr + 1, h), max(ix - rr, 0), min(ix + rr + 1, w)
        if y0 >= y1 or x0 >= x1:
            continue
        disk = (yy[y0:y1, x0:x1] - y) ** 2 + (xx[y0:y1, x0:x1] - x) ** 2 <= r * r
        tree[y0:y1, x0:x1] = np.maximum(tree[y0:y1, x0:x1], disk * min(0.4 + r / um / 2, 1.0))
    # fine processes: a spongy haze within about 3 um of the branches
    near = ndimage.gaussian_filter((tree > 0).astype(np.float32), 3.0 * um) > 0.05
    sponge = ndimage.gaussian_filter(rng.random(canvas).astype(np.float32), 0.8)
    sponge = np.clip((sponge - sponge.mean()) / sponge.std(), 0, None)
    haze = 0.25 * near * sponge / 2.5
    bright = ndimage.gaussian_filter(
        np.maximum(tree, haze) + 1.6 * soma.astype(np.float32), 0.35 * um
    )
    process = ndimage.gaussian_filter(tree, 0.35 * um) > 0.15
    inside = (pts[:, 0] > 0) & (pts[:, 0] < h) & (pts[:, 1] > 0) & (pts[:, 1] < w)
    return bright, soma, process & ~soma, pts[inside], soma_yx


def _domains(rng, pts, soma_yx, soma_r_px, n, field, margin, um):
    """Centres and footprints (n, canvas) of microdomains on the processes in the field."""
    h, w = field
    y, x = pts[:, 0] - margin, pts[:, 1] - margin
    ok = (y >= 0) & (y < h) & (x >= 0) & (x < w)
    ok &= np.hypot(pts[:, 0] - soma_yx[0], pts[:, 1] - soma_yx[1]) > soma_r_px + 2.5 * um
    cand = pts[ok, :2]
    chosen = []
    for i in rng.permutation(len(cand)):
        c = cand[i] + rng.normal(0, 0.3 * um, 2)
        if all(np.hypot(*(c - d)) > 3.2 * um for d in chosen):
            chosen.append(c)
        if len(chosen) == n:
            break
    return np.array(chosen).reshape(-1, 2)


def _footprints(rng, centres, canvas, um):
    h, w = canvas
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    out = np.zeros((len(centres), h, w), np.float32)
    for k, (cy, cx) in enumerate(centres):
        s_long = rng.uniform(0.6, 1.4) * um
        s_short = s_long / rng.uniform(1.0, 2.0)
        a = rng.uniform(0, np.pi)
        u = (yy - cy) * np.cos(a) + (xx - cx) * np.sin(a)
        v = -(yy - cy) * np.sin(a) + (xx - cx) * np.cos(a)
        out[k] = np.exp(-0.5 * ((u / s_long) ** 2 + (v / s_short) ** 2))
    return out


# -------------------------------------------------------------------------------- events


def _kernel(t, rise, decay):
    """Unit-peak (1 - exp(-t/rise)) * exp(-t/decay), 0 before t = 0."""
    t = np.asarray(t, float)
    peak_t = rise * np.log1p(decay / rise)
    peak = (1 - np.exp(-peak_t / rise)) * np.exp(-peak_t / decay)
    return np.where(t > 0, (1 - np.exp(-np.clip(t, 0, None) / rise)) * np.exp(-t / decay), 0) / peak


def _draw_events(rng, p: EvalParams, centres, soma_yx, um, min_gap_s):
    """Candidate onsets of every kind, then each microdomain's resting rule applied."""
    duration = p.n_frames / p.frame_rate_hz
    n = len(centres)
    rate = p.event_rate_per_min / 60.0
    rows = []  # domain, onset, kind, group
    # waves: their number chosen so that microdomain events in waves make ``synchrony``
    n_waves = rng.poisson(rate * p.synchrony * duration / 0.8)
    sites = np.vstack([centres, soma_yx[None]]) if n else soma_yx[None]
    for g in range(n_waves):
        t0 = rng.uniform(2.0, max(duration - 6.0, 2.0))
        origin = sites[rng.integers(len(sites))] + rng.normal(0, 4 * um, 2)
        speed = rng.uniform(5.0, 30.0) * um  # pixels per s
        for d in range(n + 1):
            if d < n and rng.random() > 0.8:
                continue  # not every microdomain joins every wave
            dist = np.hypot(*(sites[d] - origin))
            rows.append((d + 1 if d < n else 0, t0 + dist / speed, "wave", g))
    other = rate * (1 - p.synchrony) * duration
    group = n_waves
    if n:
        dist = np.hypot(*(centres[:, None] - centres[None]).transpose(2, 0, 1))
        for d in range(n):
            for t0 in rng.uniform(1.0, max(duration - 5.0, 1.0), rng.poisson(other)):
                if rng.random() < p.cluster_share and n > 1:
                    near = np.argsort(dist[d])[1 : 1 + rng.integers(1, 3)]
                    near = near[dist[d, near] < 12 * um]
                    for e in [d, *near.tolist()]:
                        rows.append((e + 1, t0 + rng.uniform(0, 0.3), "cluster", group))
                    group += 1
                else:
                    rows.append((d + 1, t0, "local", -1))
    for t0 in rng.uniform(1.0, max(duration - 5.0, 1.0), rng.poisson(0.3 * rate * duration)):
        rows.append((0, t0, "local", -1))
    ev = pd.DataFrame(rows, columns=["domain_id", "onset_s", "kind", "group_id"])
    ev = ev[(ev.onset_s > 1.0) & (ev.onset_s < duration - 3.0)]
    ev = ev.sort_values(["domain_id", "onset_s"]).reset_index(drop=True)
    k = len(ev)
    ev["rise_tau_s"] = np.exp(rng.uniform(np.log(0.1), np.log(1.0), k)) / 2.0
    ev["decay_tau_s"] = np.clip(np.exp(rng.normal(np.log(1.5), 0.8, k)), 0.5, 20.0)
    ev["peak_dff"] = np.clip(np.exp(rng.normal(np.log(0.7), 0.5, k)), 0.2, 2.0)
    keep = np.ones(k, bool)
    free = {}
    for i, row in enumerate(ev.itertuples()):
        if row.onset_s < free.get(row.domain_id, -np.inf):
            keep[i] = False
        else:
            free[row.domain_id] = row.onset_s + 2 * row.rise_tau_s + row.decay_tau_s + min_gap_s
    return ev[keep].sort_values("onset_s").reset_index(drop=True)


# --------------------------------------------------------------------------------- movie


def _motion(rng, p: EvalParams):
    t = p.n_frames
    walk = np.zeros((t, 2))
    v = np.zeros(2)
    for i in range(1, t):
        v = 0.97 * v + rng.normal(0, 0.03 * p.motion_px, 2)
        walk[i] = 0.995 * walk[i - 1] + v
    walk *= p.motion_px / max(walk.std(), 1e-9)
    jumps = rng.random(t) < 0.3 / 60 / p.frame_rate_hz
    walk += np.cumsum(jumps[:, None] * rng.normal(0, p.motion_px, (t, 2)), axis=0)
    return walk - walk[: min(50, t)].mean(axis=0)


def _global_gain(rng, p: EvalParams):
    t = np.arange(p.n_frames) / p.frame_rate_hz
    duration = p.n_frames / p.frame_rate_hz
    gain = 1 - p.decline * (1 - np.exp(-2.0 * t / duration)) / (1 - np.exp(-2.0))
    for when in rng.uniform(0.15, 0.85, p.n_steps) * duration:
        gain = gain * np.where(t >= when, 1 + rng.choice([-1, 1]) * p.step_size, 1.0)
    return gain


def _neuropil(rng, canvas, n_frames, fs, um):
    """Spatial modes (k, Y, X) of the neuropil and their slow time courses (T, k)."""
    modes = np.stack(
        [ndimage.gaussian_filter(rng.normal(size=canvas), 6 * um) for _ in range(4)]
    ).astype(np.float32)
    modes /= np.abs(modes).max(axis=(1, 2), keepdims=True)
    courses = ndimage.gaussian_filter1d(rng.normal(size=(n_frames, 4)), 3.0 * fs, axis=0)
    courses *= 0.08 / max(courses.std(), 1e-9)
    texture = ndimage.gaussian_filter(rng.random(canvas), 1.5 * um).astype(np.float32)
    texture = 0.7 + 0.6 * (texture - texture.min()) / max(np.ptp(texture), 1e-9)
    return texture, modes, courses.astype(np.float32)


def simulate(params: EvalParams | None = None, **overrides):
    """Ground truth of an evaluation recording and ``render(start, stop)`` giving its
    frames ``start:stop`` in the export's dtype (so long movies are written in chunks).

    Examples
    --------
    >>> truth, render = simulate(shape=(64, 64), n_frames=50, n_domains=5, seed=1)
    >>> render(0, 10).shape
    (10, 64, 64)
    """
    p = replace(params or EvalParams(), **overrides)
    if p.export not in ("uint16", "uint8"):
        raise ValueError(f"export is {p.export!r}; expected 'uint16' or 'uint8'")
    rng = np.random.default_rng([p.seed, 15])
    um = 1.0 / p.pixel_size_um
    shifts = _motion(rng, p)
    margin = int(np.ceil(np.abs(shifts).max())) + 3
    h, w = p.shape
    canvas = (h + 2 * margin, w + 2 * margin)
    bright, soma, process, pts, soma_yx = _morphology(rng, canvas, margin, p.pixel_size_um)
    soma_r_px = np.sqrt(soma.sum() / np.pi)
    centres = _domains(rng, pts, soma_yx, soma_r_px, p.n_domains, p.shape, margin, um)
    fps = _footprints(rng, centres, canvas, um)
    n = len(centres)
    # a microdomain is at least as bright as a fine process, so its events are visible
    rest = bright.copy()
    for fp in fps:
        rest = np.maximum(rest, 0.4 * fp)
    events = _draw_events(rng, p, centres, soma_yx, um, min_gap_s=2.0)
    t_s = np.arange(p.n_frames) / p.frame_rate_hz
    courses = np.zeros((p.n_frames, n + 1), np.float32)  # last column: the soma
    for e in events.itertuples():
        col = e.domain_id - 1 if e.domain_id > 0 else n
        courses[:, col] += e.peak_dff * _kernel(t_s - e.onset_s, e.rise_tau_s, e.decay_tau_s)
    weights = np.concatenate([fps, soma[None].astype(np.float32)]).reshape(n + 1, -1)
    weights = weights * rest.reshape(1, -1)
    texture, modes, np_courses = _neuropil(rng, canvas, p.n_frames, p.frame_rate_hz, um)
    gain = _global_gain(rng, p)
    # truth labels: each microdomain's pixels above LABEL_LEVEL of its peak, the brightest
    # footprint winning where two overlap, off the soma
    crop = (slice(margin, margin + h), slice(margin, margin + w))
    stack = np.concatenate([np.zeros((1, *canvas), np.float32), fps])
    owner = stack.argmax(axis=0)
    labels = np.where((stack.max(axis=0) >= LABEL_LEVEL) & ~soma, owner, 0)[crop]
    # amplitude an ROI on the label measures: the rest-weighted mean footprint over it
    label_gain = np.ones(n + 1)
    for k in range(n):
        inside = labels == k + 1
        if inside.any():
            r = rest[crop][inside]
            label_gain[k + 1] = float((fps[k][crop][inside] * r).sum() / r.sum())
    events = events.assign(
        amplitude_dff=events.peak_dff * label_gain[events.domain_id.to_numpy(int)]
    )
    events.insert(0, "event_id", np.arange(1, len(events) + 1))
    yy, xx = np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64)

    def render(start: int, stop: int) -> np.ndarray:
        out = np.empty((stop - start, h, w), np.uint16 if p.export == "uint16" else np.uint8)
        frng = np.random.default_rng([p.seed, 16, start])
        for i, f in enumerate(range(start, stop)):
            scene = rest.reshape(-1) + courses[f] @ weights
            scene = scene.reshape(canvas)
            scene += p.neuropil * texture * (1 + np.tensordot(np_courses[f], modes, axes=1))
            scene *= gain[f] * p.photons
            # the field sees the scene displaced by shifts[f]: sample it at field - shift
            dy, dx = shifts[f]
            frame = ndimage.map_coordinates(
                scene,
                np.meshgrid(yy + margin - dy, xx + margin - dx, indexing="ij"),
                order=1,
                mode="nearest",
            )
            counts = frng.poisson(np.clip(frame, 0, None)) + frng.normal(0, p.read_noise, (h, w))
            counts = counts * p.gain + p.offset
            if p.export == "uint8":
                lo, hi = counts.min(), counts.max()
                out[i] = np.round(255 * (counts - lo) / max(hi - lo, 1e-9)).astype(np.uint8)
            else:
                out[i] = np.clip(np.round(counts), 0, 65535).astype(np.uint16)
        return out

    truth = EvalTruth(
        params=p,
        labels=labels.astype(np.uint16),
        soma_mask=soma[crop],
        process_mask=process[crop],
        events=events,
        shifts=shifts,
        global_gain=gain,
    )
    return truth, render


def make_movie(params: EvalParams | None = None, **overrides):
    """The whole movie in memory and its truth; for small movies."""
    truth, render = simulate(params, **overrides)
    return render(0, truth.params.n_frames), truth


def write(
    path: str | Path, params: EvalParams | None = None, *, chunk_frames: int = 200, **overrides
) -> EvalTruth:
    """Write an evaluation movie to ``path`` (calibrated TIFF) in chunks and its truth to
    ``<stem>_truth/``: labels.tif, soma.tif, events.csv, shifts.csv, params.json."""
    path = Path(path)
    truth, render = simulate(params, **overrides)
    p = truth.params
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    dtype = np.uint16 if p.export == "uint16" else np.uint8
    with MovieWriter(
        tmp,
        (p.n_frames, *p.shape),
        dtype,
        frame_rate_hz=p.frame_rate_hz,
        pixel_size_um=p.pixel_size_um,
    ) as writer:
        for start in range(0, p.n_frames, chunk_frames):
            writer.write(render(start, min(start + chunk_frames, p.n_frames)))
    tmp.replace(path)
    tdir = path.with_name(path.stem + "_truth")
    tdir.mkdir(exist_ok=True)
    write_image(tdir / "labels.tif", truth.labels, pixel_size_um=p.pixel_size_um)
    write_image(tdir / "soma.tif", truth.soma_mask.astype(np.uint8), pixel_size_um=p.pixel_size_um)
    write_csv(tdir / "events.csv", truth.events)
    write_csv(
        tdir / "shifts.csv",
        pd.DataFrame(
            {
                "frame": np.arange(p.n_frames),
                "dy": truth.shifts[:, 0],
                "dx": truth.shifts[:, 1],
                "global_gain": truth.global_gain,
            }
        ),
    )
    write_json(tdir / "params.json", {**asdict(p), "shape": list(p.shape)})
    return truth
