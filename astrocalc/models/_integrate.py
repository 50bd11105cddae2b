"""Fixed-step integration of a batch of ODE systems on the NumPy or CuPy backend.

The state is a tuple of arrays of one shape (one entry per compartment, astrocyte or
parameter candidate); the right-hand side returns the tuple of derivatives. A fixed step
keeps every member of the batch in lockstep, so the whole batch is one array operation per
stage; accuracy is checked against an adaptive solver in the tests
(tests/models/test_oscillations.py).
"""

from __future__ import annotations


def rk4_step(rhs, state: tuple, dt: float) -> tuple:
    """One classic fourth-order Runge-Kutta step of ``d state / dt = rhs(state)``."""
    k1 = rhs(state)
    k2 = rhs(tuple(s + 0.5 * dt * k for s, k in zip(state, k1, strict=True)))
    k3 = rhs(tuple(s + 0.5 * dt * k for s, k in zip(state, k2, strict=True)))
    k4 = rhs(tuple(s + dt * k for s, k in zip(state, k3, strict=True)))
    return tuple(
        s + dt / 6.0 * (a + 2.0 * b + 2.0 * c + d)
        for s, a, b, c, d in zip(state, k1, k2, k3, k4, strict=True)
    )


def integrate(rhs, state: tuple, *, dt: float, n_steps: int, record_every: int, xp):
    """Integrate ``n_steps`` RK4 steps; returns the final state and the recorded states
    (a tuple of (n_records, ...) arrays: the initial state, then every ``record_every``
    steps)."""
    records = [[s.copy()] for s in state]
    for step in range(1, n_steps + 1):
        state = rk4_step(rhs, state, dt)
        if step % record_every == 0:
            for rec, s in zip(records, state, strict=True):
                rec.append(s.copy())
    return state, tuple(xp.stack(rec) for rec in records)
