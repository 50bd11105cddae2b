"""Parameter recovery through the whole pipeline: a model astrocyte with known parameters
-> GCaMP movie (motion, bleaching, shot noise) -> motion, segmentation, events,
correlation, fit -> the parameters the fit calls identifiable are within 20 % of the
truth in at least 4 of 5 seeds.

Five-minute recordings of 30 microdomains at 5 Hz; the seeds run two at a time (four and
a half minutes on two cores). ``python benchmarks/recovery.py`` runs the same chain on
ten-minute recordings and prints every number.
"""

from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np
import pandas as pd
import pytest

from astrocalc.compare import condition_estimates, posterior_rows
from astrocalc.fit import JSON_KEYS

pytestmark = pytest.mark.slow  # the whole pipeline on five model movies

TRUE = {
    "local_rate_per_min": 1.4,
    "shared_rate_per_min": 0.6,
    "ip3_pulse_uM": 0.6,
    "coupling_per_s": 0.05,
    "kinetic_speed": 1.0,
    "pulse_cv": 0.3,
    "speed_cv": 0.3,
    "gain_cv": 0.2,
    "wave_speed_um_s": 10.0,
}
SEEDS = (1, 2, 3, 4, 5)


def _one(args):
    folder, seed = args
    from astrocalc import config
    from astrocalc.pipeline import recover

    cfg = config.defaults()
    cfg["pixel_events"]["enabled"] = False
    cfg["model"].update(posterior_runs=0, duration_s=20.0)  # the plasticity is not tested here
    cfg["seed"] = 1000 + seed
    return recover(
        folder,
        TRUE,
        seed=seed,
        config=cfg,
        n_frames=1500,
        frame_rate_hz=5.0,
        n_domains=30,
        shape=(128, 128),
    )


@pytest.fixture(scope="module")
def fits(tmp_path_factory):
    root = tmp_path_factory.mktemp("recovery")
    # spawn: numba's worker threads in this process must not be forked
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        return list(pool.map(_one, [(root / f"seed_{s}", s) for s in SEEDS]))


def test_identified_parameters_are_recovered(fits):
    """Every parameter the fit's report calls identified (95 % interval within +-20 %) is
    within 20 % of the truth in all but at most one seed, and some parameter is identified
    in at least two seeds (the local rate, from a few hundred events), the coupling in
    none. The kinetic speed, which the median duration pins while it trades off against
    the IP3 pulse (its interval +-30-50 %, so not identified), is within 20 % in at least
    4 seeds."""
    values = {n: [round(p[JSON_KEYS[n]]["value"], 3) for p in fits] for n in TRUE}
    misses = []
    identified = {name: 0 for name in TRUE}
    for seed, params in zip(SEEDS, fits, strict=True):
        for name, key in JSON_KEYS.items():
            if params[key]["identified"]:
                identified[name] += 1
                if abs(params[key]["value"] / TRUE[name] - 1) > 0.2:
                    misses.append((seed, name))
    assert len(misses) <= 1, (misses, values)
    assert max(identified.values()) >= 2 and identified["coupling_per_s"] == 0, identified
    speed = values["kinetic_speed"]
    assert sum(abs(v / TRUE["kinetic_speed"] - 1) <= 0.2 for v in speed) >= 4, speed


def test_intervals_cover_the_truth(fits):
    """Every parameter's 95 % credible interval holds the true value in at least 4 of 5
    seeds (the posterior's Laplace approximation, prior included, is not overconfident)."""
    for name, key in JSON_KEYS.items():
        cover = [params[key]["ci95"][0] <= TRUE[name] <= params[key]["ci95"][1] for params in fits]
        assert sum(cover) >= 4, (name, [params[key]["ci95"] for params in fits])


def test_the_model_describes_its_own_movies(fits):
    """The posterior predictive check passes on movies the model made, in at least 4 of 5
    seeds (at p >= 0.01 it fails about one recording in a hundred by chance)."""
    p = [params["predictive_check"]["p_value"] for params in fits]
    assert sum(v >= 0.01 for v in p) >= 4, p


def test_shared_input_is_recovered_at_the_condition_level(fits):
    """The five seeds share their truth, as the recordings of one condition would: pooled
    (compare's random-effects condition level), the shared input rate, which no single
    five-minute recording identifies, has a 95 % interval that holds the truth and is
    narrower than any one recording's; where that interval is within +-20 % (identified),
    the value is within 20 % of the truth. Five recordings of about three waves each
    carry the Poisson error of some fifteen waves (about 26 %), so the pooled interval is
    not expected within +-20 % here."""
    rows = [
        {"sample": f"seed_{seed}", "condition": "model", **row}
        for seed, params in zip(SEEDS, fits, strict=True)
        for row in posterior_rows(params)
    ]
    est = condition_estimates(pd.DataFrame(rows), "condition")
    pooled = est[(est.level == "condition") & (est.parameter == "shared_rate_per_min")]
    value, low, high = pooled[["value", "ci95_low", "ci95_high"]].iloc[0]
    truth = TRUE["shared_rate_per_min"]
    assert low <= truth <= high, (value, low, high)
    single = min(np.log(hi / lo) for lo, hi in (p["shared_rate_per_min"]["ci95"] for p in fits))
    assert np.log(high / low) < single, (low, high, single)
    if np.log(high / low) / 2 < np.log(1.2):
        assert abs(value / truth - 1) <= 0.2, (value, low, high)
