"""Across recordings: per-recording summaries, group tests (pure functions on tables)."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .errors import InputError
from .layout import COMPARE
from .viewer import event_marks, review_summary

STATISTICS = (
    "mean_pairwise_r",
    "share_significant_pairs",
    "decay_length_um",
    "mean_sttc",
    "event_rate_per_min",
    "share_global_events",
    "mean_co_event_fraction",
    "co_permitted_share",
    "input_correlation",
)
# fitted parameters pooled over the recordings of a condition (condition.csv): the input
# rates, the shared one being the synchrony the co-activity statistics carry
POOLED = ("shared_rate_per_min", "local_rate_per_min")
_SHEET_ONLY = ("path", "frame_rate_hz", "pixel_size_um")


def recording_summary(results: Path, pairs: pd.DataFrame | None = None) -> dict:
    """One row of summary.csv from a finished results folder; ``pairs`` is its
    :func:`summary_pairs` where already read."""

    def read(rel):
        return pd.read_csv(COMPARE.input(results, rel))

    rois, per_roi = read("segmentation/rois.csv"), read("events/events_per_roi.csv")
    pairs = summary_pairs(results) if pairs is None else pairs
    events = read("events/events.csv")
    marks = event_marks(results, events)
    review = review_summary(marks)
    false = marks.eq(False).to_numpy(bool, na_value=False)
    events, per_roi = without_marked_false(events, per_roi, false)
    run = _json(results, "run.json") or {}
    return {
        "n_rois": len(rois),
        "n_microdomains": int((rois.compartment == "microdomain").sum()),
        "n_events": len(events),
        "event_rate_per_min": float(per_roi.rate_per_min.mean()),
        "share_global_events": float((events.kind == "global").mean()) if len(events) else 0.0,
        "mean_pairwise_r": float(pairs.r.mean()) if len(pairs) else np.nan,
        "median_pairwise_r": float(pairs.r.median()) if len(pairs) else np.nan,
        "share_significant_pairs": float(pairs.significant.mean()) if len(pairs) else np.nan,
        "mean_co_event_fraction": float(pairs.co_event_fraction.mean()) if len(pairs) else np.nan,
        "mean_sttc": float(pairs.sttc.mean()) if "sttc" in pairs and len(pairs) else np.nan,
        "decay_length_um": _stage_value(results, "correlation/stage.json", "decay_length_um"),
        "co_permitted_share": _stage_value(results, "simulation/stage.json", "co_permitted_share"),
        "input_correlation": _fit_value(results, "input_correlation"),
        "model_predictive_p": _fit_value(results, "predictive_check", "p_value"),
        **review,
        "frame_rate_hz": run.get("frame_rate_hz"),
        "duration_s": (run.get("shape", [0])[0] / run["frame_rate_hz"])
        if run.get("frame_rate_hz")
        else None,
    }


def without_marked_false(
    events: pd.DataFrame, per_roi: pd.DataFrame, false: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """events.csv and events_per_roi.csv without the events a person marked false in the
    viewer (``false``, a mask over ``events``): each ROI's rate scaled by the share of its
    events kept. The correlation statistics come from the traces and keep them."""
    if not false.any():
        return events, per_roi
    n_false = events[false].groupby("roi_id").size()
    n_false = n_false.reindex(per_roi.roi_id, fill_value=0).to_numpy()
    kept = 1.0 - n_false / per_roi.n_events.clip(lower=1).to_numpy()
    per_roi = per_roi.assign(
        n_events=per_roi.n_events - n_false, rate_per_min=per_roi.rate_per_min * kept
    )
    return events[~false], per_roi


def summary_pairs(results: Path) -> pd.DataFrame:
    """The columns of pairs.csv that the summary and the tests use (it has millions of rows
    for thousands of ROIs)."""
    columns = ("r", "significant", "co_event_fraction", "sttc")
    return pd.read_csv(
        COMPARE.input(results, "correlation/pairs.csv"), usecols=lambda c: c in columns
    )


def _json(results: Path, rel: str) -> dict | None:
    """A JSON file compare reads from a recording's results, None where absent (a stage
    whose summaries are optional, or a results folder written by an older version)."""
    path = COMPARE.input(results, rel, required=False)
    return json.loads(path.read_text()) if path is not None else None


def _stage_value(results: Path, rel: str, key: str) -> float:
    """A number from a stage.json, NaN where absent."""
    value = (_json(results, rel) or {}).get(key)
    return float(value) if value is not None else np.nan


def _fit_value(results: Path, *keys) -> float:
    """A number from fit/parameters.json (its "value" where it is an entry), NaN where
    absent."""
    value = _json(results, "fit/parameters.json")
    if value is None:
        return np.nan
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    if isinstance(value, dict):
        value = value.get("value")
    return float(value) if value is not None else np.nan


def fitted_parameters(samples: pd.DataFrame, results_dir: Path, by: str) -> pd.DataFrame:
    """:func:`posterior_rows` of every recording's fit/parameters.json, with its sample
    name and group."""
    rows = []
    for _, row in samples.iterrows():
        path = COMPARE.input(results_dir / str(row["sample"]), "fit/parameters.json")
        for entry in posterior_rows(json.loads(path.read_text())):
            rows.append({"sample": row["sample"], by: row[by], **entry})
    return pd.DataFrame(rows)


def posterior_rows(params: dict) -> list[dict]:
    """One row per :data:`POOLED` parameter of one fit (its parameters.json): the
    posterior's log-mean and log-SD (from its 95 % interval) and the prior's."""
    rows = []
    for name in POOLED:
        entry = params[name]
        prior_sd = float(entry["prior"]["sd_log"])
        # nothing fitted (no events): the posterior is the prior, the statistics add nothing
        spread = np.exp(1.96 * prior_sd)
        lo, hi = entry["ci95"] or (entry["value"] / spread, entry["value"] * spread)
        rows.append(
            {
                "parameter": name,
                "log_mean": float(np.log(entry["value"])),
                "log_sd": float(np.log(hi / lo) / (2 * 1.96)),
                "prior_log_mean": float(np.log(entry["prior"]["centre"])),
                "prior_log_sd": prior_sd,
            }
        )
    return rows


def condition_estimates(fits: pd.DataFrame, by: str) -> pd.DataFrame:
    """condition.csv: each :data:`POOLED` parameter at the condition level, a group value
    with between-recording variation, and each recording's value pooled towards it.

    Per recording, the fit's Gaussian posterior of the log-parameter is divided by its
    prior (Gaussian too), which leaves what the recording's statistics say (their
    likelihood; almost nothing where the prior dominated the fit). These are combined by
    a random-effects model, log value_i ~ N(mu, tau^2 + v_i) with v_i the likelihood's
    variance (DerSimonian & Laird 1986 Control Clin Trials 7:177 for tau^2): mu is the
    condition's value (95 % interval), tau the SD between its recordings, and each
    recording's pooled value the posterior mean of its own log value given mu and tau
    (partial pooling: a recording its statistics pin keeps its value, one they do not
    takes the condition's). Columns: group, parameter, level (condition | recording),
    sample, value, ci95_low, ci95_high, between_recording_sd_log, n_recordings.
    """
    rows = []
    for (group, name), g in fits.groupby([by, "parameter"], sort=False):
        post_prec = 1.0 / g.log_sd.to_numpy() ** 2
        prior_prec = 1.0 / g.prior_log_sd.to_numpy() ** 2
        # the likelihood's precision; a flat one (at most a hundredth of the prior's) keeps
        # that hundredth and the posterior's mean, so that it weighs next to nothing
        informative = post_prec - prior_prec > 0.01 * prior_prec
        w = np.where(informative, post_prec - prior_prec, 0.01 * prior_prec)
        log_mean, prior_mean = g.log_mean.to_numpy(), g.prior_log_mean.to_numpy()
        mean = np.where(informative, (log_mean * post_prec - prior_mean * prior_prec) / w, log_mean)
        mu_fixed = float((w * mean).sum() / w.sum())
        q = float((w * (mean - mu_fixed) ** 2).sum())
        k = len(g)
        tau2 = max(0.0, (q - (k - 1)) / (w.sum() - (w**2).sum() / w.sum())) if k > 1 else 0.0
        w_star = 1.0 / (1.0 / w + tau2)
        mu = float((w_star * mean).sum() / w_star.sum())
        se = float(1.0 / np.sqrt(w_star.sum()))
        common = {by: group, "parameter": name, "n_recordings": k}
        rows.append(
            {
                **common,
                "level": "condition",
                "sample": "",
                "value": np.exp(mu),
                "ci95_low": np.exp(mu - 1.96 * se),
                "ci95_high": np.exp(mu + 1.96 * se),
                "between_recording_sd_log": np.sqrt(tau2),
            }
        )
        shrunk_prec = w + (1.0 / tau2 if tau2 > 0 else np.inf)
        for sample, m, pw, sp in zip(g["sample"], mean, w, shrunk_prec, strict=True):
            if np.isinf(sp):
                value, sd = mu, se
            else:
                value = (m * pw + mu / tau2) / sp
                sd = float(np.sqrt(1.0 / sp))
            rows.append(
                {
                    **common,
                    "level": "recording",
                    "sample": sample,
                    "value": np.exp(value),
                    "ci95_low": np.exp(value - 1.96 * sd),
                    "ci95_high": np.exp(value + 1.96 * sd),
                    "between_recording_sd_log": np.sqrt(tau2),
                }
            )
    columns = [by, "parameter", "level", "sample", "value", "ci95_low", "ci95_high",
               "between_recording_sd_log", "n_recordings"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def summarise(
    samples: pd.DataFrame, results_dir: Path, *, pair_r: dict | None = None
) -> pd.DataFrame:
    """summary.csv: one row per recording, the sample sheet's group columns included.
    ``pair_r``, where given, is filled with each recording's pairwise r (pairs.csv read
    once for both)."""
    rows = []
    for _, row in samples.iterrows():
        groups = {k: v for k, v in row.items() if k not in _SHEET_ONLY}
        results = results_dir / str(row["sample"])
        pairs = summary_pairs(results)
        if pair_r is not None:
            pair_r[row["sample"]] = pairs.r.to_numpy()
        rows.append({**groups, **recording_summary(results, pairs)})
    return pd.DataFrame(rows)


def permutation_pvalue(a: np.ndarray, b: np.ndarray, *, n_max: int = 20000, seed: int = 0) -> float:
    """Two-sided permutation test of the difference in means over recordings (exact when
    the number of relabellings is at most ``n_max``)."""
    pooled = np.concatenate([a, b])
    n, k = len(pooled), len(a)
    observed = abs(a.mean() - b.mean())
    combos = list(itertools.combinations(range(n), k)) if _n_choose_k(n, k) <= n_max else None
    if combos is None:
        rng = np.random.default_rng(seed)
        combos = [rng.permutation(n)[:k] for _ in range(n_max)]
    diffs = []
    for idx in combos:
        mask = np.zeros(n, bool)
        mask[list(idx)] = True
        diffs.append(abs(pooled[mask].mean() - pooled[~mask].mean()))
    return float((np.sum(np.array(diffs) >= observed - 1e-12)) / len(diffs))


def _n_choose_k(n: int, k: int) -> int:
    from math import comb

    return comb(n, k)


def group_tests(
    summary: pd.DataFrame, by: str, *, pairs_by_sample: dict | None = None
) -> pd.DataFrame:
    """tests.csv: statistic, groups, value (difference of group means), p, test, n.

    Across recordings: Mann-Whitney U and a permutation test of the difference in means,
    for every pair of groups and every statistic. When pairwise r values are given per
    sample, a Mann-Whitney test on pooled pairs is added ('mann_whitney_pairs'): pairs of
    one recording are not independent, so treat it as descriptive when recordings are few.
    """
    if by not in summary.columns:
        raise InputError(
            f"compare_by: column '{by}' is not in the sample sheet "
            f"(columns: {', '.join(map(str, summary.columns))})"
        )
    rows = []
    groups = list(dict.fromkeys(summary[by].astype(str)))
    for g1, g2 in itertools.combinations(groups, 2):
        s1 = summary[summary[by].astype(str) == g1]
        s2 = summary[summary[by].astype(str) == g2]
        label = f"{g1} vs {g2}"
        for stat in STATISTICS:
            a, b = s1[stat].to_numpy(float), s2[stat].to_numpy(float)
            a, b = a[np.isfinite(a)], b[np.isfinite(b)]
            if not len(a) or not len(b):
                continue
            value = float(a.mean() - b.mean())
            mw = stats.mannwhitneyu(a, b, alternative="two-sided")
            n = f"{len(a)}+{len(b)} recordings"
            rows.append((stat, label, value, float(mw.pvalue), "mann_whitney", n))
            rows.append((stat, label, value, permutation_pvalue(a, b), "permutation", n))
        if pairs_by_sample:
            r1 = np.concatenate([pairs_by_sample[s] for s in s1["sample"]])
            r2 = np.concatenate([pairs_by_sample[s] for s in s2["sample"]])
            if len(r1) and len(r2):
                mw = stats.mannwhitneyu(r1, r2, alternative="two-sided")
                rows.append(
                    (
                        "pairwise_r",
                        label,
                        float(r1.mean() - r2.mean()),
                        float(mw.pvalue),
                        "mann_whitney_pairs",
                        f"{len(r1)}+{len(r2)} pairs",
                    )
                )
    return pd.DataFrame(rows, columns=["statistic", "groups", "value", "p", "test", "n"])


@dataclass
class Comparison:
    """What ``astrocalc compare`` writes: summary.csv, tests.csv and condition.csv."""

    summary: pd.DataFrame  # one row per recording
    tests: pd.DataFrame  # group tests of every statistic
    condition: pd.DataFrame  # fitted input rates pooled per group


def compare_recordings(samples: pd.DataFrame, results_dir: str | Path, by: str) -> Comparison:
    """Compare the finished recordings of ``samples`` (a sample sheet, as
    :func:`astrocalc.samples.read_samples` gives it), each in ``results_dir``/<sample>,
    grouped by the sheet's column ``by``."""
    results_dir = Path(results_dir)
    pairs: dict = {}
    summary = summarise(samples, results_dir, pair_r=pairs)
    tests = group_tests(summary, by, pairs_by_sample=pairs)
    condition = condition_estimates(fitted_parameters(samples, results_dir, by), by)
    return Comparison(summary, tests, condition)
