"""Which model parameters the observed statistics can identify.

The model astrocyte (``astrocalc.models.simulate_astrocytes``) has the free parameters of
:data:`PARAMETERS` (input rates, IP3 pulse and its spread, IP3 coupling, kinetic speed and
its spread across microdomains, the spread of the dF/F gain); the data give the
statistics of :data:`STATISTICS` (event rates, mean pairwise r, duration quartiles,
amplitude spread, interval CV, co-active share), each simulated by
:func:`forward_statistics` as the pipeline measures it.

Local identifiability (e.g. Raue et al. 2009 Bioinformatics 25:1923 for the profile view;
Gutenkunst et al. 2007 PLoS Comput Biol 3:e189 for "sloppy" directions) is read off the
sensitivity matrix S[i, k] = d statistic_i / d log parameter_k, each statistic divided by
its standard error for one recording like the observed one: with common random numbers
S comes from central differences of simulated means. Its singular values say how well
each parameter combination is pinned down; the standard error of each log-parameter,
with the others free, is sqrt(diag((S^T S)^-1)). Parameters are set aside one at a time,
each time the one that dominates the sloppiest direction, until the 95 % interval of
every one left is within +-20 %: those are identifiable from these statistics; for the
others the fit's prior holds (:func:`astrocalc.fit.fit_parameters`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ._forward import CELL_WIDE, PARAMETERS, STATISTICS, ForwardModel, Recording

RELATIVE_TOLERANCE = 0.2  # an identifiable parameter's 95 % interval is within +-20 %


def design(theta: dict, rel_step: float, parameters=PARAMETERS) -> list[dict]:
    """The centre, then each parameter stepped up and down by ``rel_step`` in log."""
    out = [dict(theta)]
    for name in parameters:
        out.append(dict(theta, **{name: theta[name] * np.exp(rel_step)}))
        out.append(dict(theta, **{name: theta[name] * np.exp(-rel_step)}))
    return out


def finite_mean(x: np.ndarray, axis: int = 0) -> np.ndarray:
    """Means over the finite values along ``axis`` (NaN where none), without warnings."""
    ok = np.isfinite(x)
    total = np.where(ok, x, 0).sum(axis=axis)
    n = ok.sum(axis=axis)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def finite_sd(x: np.ndarray, axis: int = 0) -> np.ndarray:
    """SDs (ddof 1) over the finite values along ``axis`` (NaN where fewer than two)."""
    ok = np.isfinite(x)
    n = ok.sum(axis=axis)
    dev = np.where(ok, x - np.expand_dims(finite_mean(x, axis), axis), 0.0)
    return np.where(n > 1, np.sqrt((dev**2).sum(axis=axis) / np.maximum(n - 1, 1)), np.nan)


def finite_correlation(x: np.ndarray) -> np.ndarray:
    """Correlation matrix of the columns of ``x`` (samples, n), each pair over the samples
    where both are finite (0 where fewer than three; 1 on the diagonal), made positive
    semi-definite (negative eigenvalues, which pairwise estimates can have, set to 0)."""
    x = np.asarray(x, float)
    ok = np.isfinite(x)
    sd = finite_sd(x)
    z = np.where(ok & (sd > 0), (x - finite_mean(x)) / np.where(sd > 0, sd, 1.0), 0.0)
    m = ok.astype(float)
    n = m.T @ m
    r = np.where(n >= 3, (z.T @ z) / np.maximum(n - 1, 1), 0.0)
    np.fill_diagonal(r, 1.0)
    r = np.clip(r, -1.0, 1.0)
    w, v = np.linalg.eigh(r)
    r = (v * np.clip(w, 0, None)) @ v.T
    d = np.sqrt(np.clip(np.diag(r), 1e-12, None))
    return r / d[:, None] / d[None, :]


@dataclass
class Sensitivity:
    """Simulated statistics around one parameter set (from a :func:`design` batch)."""

    mean: np.ndarray  # (n_stat,) at the centre
    se: np.ndarray  # (n_stat,) SE of one observed recording plus the simulated mean's error
    matrix: np.ndarray  # (n_stat, n_par): d(stat / se) / d log(parameter)

    @classmethod
    def from_batch(
        cls, stats: np.ndarray, rel_step: float, se_scale: float | np.ndarray = 1.0
    ) -> Sensitivity:
        """``stats`` (1 + 2 n_par, A, n_measures) from :func:`forward_statistics` on a
        :func:`design`; ``se_scale`` (one for all or one per statistic) scales the spread
        over model astrocytes to the observed recording's size where they are smaller
        (see :func:`simulated_size`)."""
        stats = stats[..., : len(STATISTICS)]
        means = finite_mean(stats, axis=1)
        n_ast = stats.shape[1]
        # the spread over model astrocytes is that of one recording's statistic; the
        # simulated mean adds its own Monte-Carlo error
        spread = finite_sd(stats[0], axis=0)
        se = np.maximum(spread * np.sqrt(se_scale**2 + 1 / n_ast), 1e-9)
        diff = (means[1::2] - means[2::2]).T / (2 * rel_step)
        return cls(means[0], se, np.nan_to_num(diff / se[:, None]))


@dataclass
class Identifiability:
    parameters: tuple
    statistics: tuple
    sensitivity: np.ndarray  # (n_stat, n_par): d(stat / se) / d log(parameter)
    singular_values: np.ndarray
    directions: np.ndarray  # rows: parameter combinations (log), stiffest first
    log_se: np.ndarray  # standard error of each identifiable log-parameter (inf: fixed)
    identifiable: np.ndarray  # bool per parameter: 95 % interval within +-20 %

    def report(self) -> dict:
        return {
            "parameters": list(self.parameters),
            "statistics": list(self.statistics),
            "relative_se": {
                p: float(np.expm1(se)) if np.isfinite(se) else None
                for p, se in zip(self.parameters, self.log_se, strict=True)
            },
            "identifiable": {
                p: bool(ok) for p, ok in zip(self.parameters, self.identifiable, strict=True)
            },
            "singular_values": self.singular_values.tolist(),
            "sloppiest_direction": {
                p: float(w) for p, w in zip(self.parameters, self.directions[-1], strict=True)
            },
        }


def identify(
    sensitivity: np.ndarray,
    parameters: tuple = PARAMETERS,
    tolerance: float = RELATIVE_TOLERANCE,
) -> Identifiability:
    """Set aside, one at a time, the parameter that dominates the sloppiest direction of
    those still free, until every free one is pinned within +-``tolerance`` (95 %).
    No statistic (no rows) identifies nothing."""
    sensitivity = np.asarray(sensitivity, float).reshape(-1, len(parameters))
    if not len(sensitivity):
        sensitivity = np.zeros((1, len(parameters)))
    # full: with fewer statistics than parameters the last rows span the null space,
    # the sloppiest directions
    _, sv, vt = np.linalg.svd(sensitivity, full_matrices=True)
    free = list(range(len(parameters)))
    log_se = np.full(len(parameters), np.inf)
    while free:
        sub = sensitivity[:, free]
        _, sub_sv, sub_vt = np.linalg.svd(sub, full_matrices=True)
        full_rank = len(sub_sv) == len(free)  # no more parameters than statistics
        if full_rank and sub_sv.min() > 1e-9 * max(sub_sv.max(), 1e-300):
            # diag((S^T S)^-1) from the SVD: inverting S^T S squares the condition number
            par_se = np.sqrt(((sub_vt.T / sub_sv) ** 2).sum(axis=1))
            if (1.96 * par_se < np.log(1 + tolerance)).all():
                log_se[free] = par_se
                break
        free.pop(int(np.argmax(np.abs(sub_vt[-1]))))
    return Identifiability(
        tuple(parameters), STATISTICS, sensitivity, sv, vt, log_se, np.isfinite(log_se)
    )


def simulated_size(
    recording: Recording, *, max_domains: int, max_duration_s: float
) -> tuple[Recording, np.ndarray]:
    """The recording the model imitates, at most ``max_domains`` microdomains and
    ``max_duration_s`` long, and per statistic (:data:`STATISTICS`) the factor by which
    its spread over such smaller recordings exceeds the observed one's: sqrt(simulated
    size / observed size) for statistics averaged over microdomains and time, sqrt(of the
    durations) for those the cell's shared events set (:data:`CELL_WIDE`: more
    microdomains see the same waves). Fewer microdomains are taken evenly over the
    recording's (every k-th position: spread over the cell as they are)."""
    n = int(min(recording.n_domains, max_domains))
    positions = recording.positions_um
    if len(positions) > n:
        keep = np.rint(np.linspace(0, len(positions) - 1, n)).astype(int)
        positions = tuple(positions[i] for i in keep)
    small = replace(
        recording,
        n_domains=n,
        duration_s=float(min(recording.duration_s, max_duration_s)),
        positions_um=positions,
    )
    duration = small.duration_s / recording.duration_s
    size = small.n_domains * duration / recording.n_domains
    scale = [np.sqrt(duration if s in CELL_WIDE else size) for s in STATISTICS]
    return small, np.array(scale)


def local_identifiability(
    theta: dict, forward: ForwardModel, *, rel_step: float = 0.1, se_scale: float | np.ndarray = 1.0
) -> Identifiability:
    """Identifiability of :data:`PARAMETERS` around ``theta`` for the recording ``forward``
    imitates (one batch of model astrocytes)."""
    stats = forward(design(theta, rel_step))
    return identify(Sensitivity.from_batch(stats, rel_step, se_scale).matrix)
