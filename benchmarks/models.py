"""Li-Rinzel compartments with IP3 as a state: astrocalc against Brian2 (cython target).

    python benchmarks/models.py [--sizes 1000 10000 100000] [--seconds 10]
                                [--brian2-python PATH]

The same model in both (astrocalc.models.simulate_li_rinzel; in Brian2 a NeuronGroup with
the same equations), RK4 at 10 ms for ``--seconds`` of model time, calcium recorded every
100 ms, IP3 levels spread over 0.3-0.7 uM so that most compartments oscillate. Brian2
2.9.0, the newest for Python 3.11, does not import with NumPy >= 2.4, so it runs in its own
environment: ``--brian2-python`` (default benchmarks/.venv-brian2/bin/python, created with
brian2 2.9.0, numpy < 2.4 and Cython when absent). For each size it prints seconds of
astrocalc (numba kernel and NumPy arrays; first call with compilation and a second one)
and of Brian2 (first run with code generation and compilation, then a second run of the
same network), the ratios, and the largest calcium difference between the two
simulators.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
BRIAN2_VENV = HERE / ".venv-brian2"
LR = dict(c0=2.0, c1=0.185, v1=6.0, v2=0.11, v3=0.9, k3=0.1, d1=0.13, d2=1.049)
LR.update(d3=0.9434, d5=0.08234, a2=0.2, tau=1 / 0.14)  # astrocalc.models.LiRinzel

EQUATIONS = """
dca/dt = (-c1*v1*(ip3/(ip3 + d1)*ca/(ca + d5)*h)**3*(ca - (c0 - ca)/c1)
          - c1*v2*(ca - (c0 - ca)/c1) - v3*ca**2/(k3**2 + ca**2))/second : 1
dh/dt = a2*(d2*(ip3 + d1)/(ip3 + d3)*(1 - h) - ca*h)/second : 1
dip3/dt = (target - ip3)/(tau*second) : 1
target : 1
"""


def targets(n: int) -> np.ndarray:
    return np.linspace(0.3, 0.7, n)


def brian2_worker(n: int, seconds: float) -> dict:
    """Runs inside the Brian2 environment (no astrocalc import)."""
    import brian2 as b2

    b2.prefs.codegen.target = "cython"
    b2.defaultclock.dt = 10 * b2.ms
    group = b2.NeuronGroup(n, EQUATIONS, method="rk4", namespace=dict(LR))
    group.target = targets(n)
    group.ip3 = targets(n)
    group.ca = 0.1
    group.h = 0.7
    monitor = b2.StateMonitor(group, "ca", record=True, dt=100 * b2.ms)
    net = b2.Network(group, monitor)
    t0 = time.perf_counter()
    net.run(seconds * b2.second)
    first = time.perf_counter() - t0
    ca = np.asarray(monitor.ca).T.copy()  # (n_rec, n)
    t0 = time.perf_counter()
    net.run(seconds * b2.second)
    second = time.perf_counter() - t0
    sample = np.linspace(0, n - 1, min(n, 200)).astype(int)
    return {
        "first": first,
        "second": second,
        "ca": ca[:, sample].tolist(),
        "sample": sample.tolist(),
    }


def ours(n: int, seconds: float, engine: str) -> tuple[float, float, np.ndarray]:
    from astrocalc.models import simulate_li_rinzel

    runs = []
    for _ in range(2):
        t0 = time.perf_counter()
        _, ca = simulate_li_rinzel(targets(n), duration_s=seconds, engine=engine)
        runs.append(time.perf_counter() - t0)
    return runs[0], runs[1], ca


def brian2_python(path: str | None) -> str:
    if path:
        return path
    python = BRIAN2_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {BRIAN2_VENV} (brian2 2.9.0, numpy < 2.4, Cython)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(BRIAN2_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "brian2==2.9.0", "numpy<2.4", "cython"],
            check=True,
        )
    return str(python)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--brian2-python")
    parser.add_argument("--brian2-worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.brian2_worker:
        print(json.dumps(brian2_worker(args.brian2_worker, args.seconds)))
        return
    python = brian2_python(args.brian2_python)
    print(
        f"{'compartments':>12} {'numba 1st':>9} {'numba':>7} {'numpy':>7} "
        f"{'brian2 1st':>10} {'brian2':>7} {'brian2/numba':>12} {'brian2/numpy':>12} "
        f"{'max |dCa| uM':>12}"
    )
    for n in args.sizes:
        numba_first, numba_s, ca = ours(n, args.seconds, "numba")
        _, numpy_s, _ = ours(n, args.seconds, "array")
        cmd = [python, __file__, "--brian2-worker", str(n), "--seconds", str(args.seconds)]
        result = subprocess.run(cmd, capture_output=True, text=True, check=True)
        theirs = json.loads(result.stdout.strip().splitlines()[-1])
        their_ca = np.asarray(theirs["ca"])
        # Brian2 records the state at the start of each 100 ms step: our records 0..n_rec-2
        diff = float(np.abs(their_ca - ca[: len(their_ca), theirs["sample"]]).max())
        brian2_s = theirs["second"]
        print(
            f"{n:>12} {numba_first:>9.2f} {numba_s:>7.2f} {numpy_s:>7.2f} "
            f"{theirs['first']:>10.2f} {brian2_s:>7.2f} "
            f"{brian2_s / numba_s:>12.2f} {brian2_s / numpy_s:>12.2f} {diff:>12.2e}",
            flush=True,
        )


if __name__ == "__main__":
    main()
