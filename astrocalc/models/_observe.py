"""What a GCaMP recording of model calcium looks like: the indicator's dF/F.

Hill binding with first-order kinetics: the bound fraction at equilibrium is
s(Ca) = Ca^n / (Ca^n + Kd^n), and the bound fraction b(t) follows it with the rise time
constant while it rises and the decay time constant while it falls,

    db/dt = (s(Ca) - b) / tau,   tau = tau_rise if s(Ca) > b else tau_decay,

with tau = t_half / ln 2 from the half-rise and half-decay times of single-action-potential
responses (the fastest each indicator reports; astrocyte events are slower, so the
indicator then follows calcium and only sub-second events are shaped by it). The
fluorescence grows linearly with b, so

    dF/F = dff_saturation * (b - s(Ca_rest)) / (1 - s(Ca_rest)),

where ``dff_saturation`` is the dF/F at saturating calcium. Its in-vitro value (tens-fold)
is far above what astrocytes show in situ; the default of 2 is ours, chosen so that the
model's microdomain events (peaks near 0.9 uM) have the dF/F of 0.5-2 reported for GCaMP6
microdomain events (Srinivasan et al. 2015 Nat Neurosci 18:708). The fit calibrates it.

Presets (:data:`INDICATORS`), Kd and Hill coefficient from titrations of purified protein,
half-times from one action potential in neurons, rounded:

- GCaMP6s, 6m, 6f: Chen T-W et al. (2013) Nature 499:295 (Kd 144, 167, 375 nM; Hill 2.90,
  2.96, 2.27; half-rise about 180, 80, 45 ms; half-decay about 550, 270, 140 ms).
- jGCaMP7s, 7f: Dana H et al. (2019) Nat Methods 16:649 (Kd 68, 174 nM; Hill 2.49, 2.3;
  half-rise about 100, 25 ms; half-decay about 1690, 180 ms).
- jGCaMP8s, 8m, 8f: Zhang Y et al. (2023) Nature 615:884 (Kd 46, 108, 334 nM; Hill 1.6,
  1.9, 2.1; half-rise 10.1, 7.1, 7.1 ms; half-decay 307, 118, 67 ms).

The kinetic half-times differ between preparations by up to a factor of 2-3 (in vivo
responses are slower than in culture); for the seconds-long astrocyte events the fit
works on, they shape only the shortest events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Indicator:
    name: str = "GCaMP6f"
    kd_uM: float = 0.375
    hill: float = 2.27
    rise_half_s: float = 0.045
    decay_half_s: float = 0.14
    dff_saturation: float = 2.0

    def bound(self, ca):
        """Equilibrium bound fraction at calcium ``ca`` (uM)."""
        c = np.power(np.maximum(ca, 0.0) / self.kd_uM, self.hill)
        return c / (1.0 + c)

    def dff(self, ca, ca_rest: float, *, dt_s: float | None = None) -> np.ndarray:
        """dF/F of calcium ``ca`` (uM; time on axis 0, any other shape) relative to the
        resting ``ca_rest``. With ``dt_s`` (the sampling step) the binding kinetics are
        applied along time, starting at rest; without, the equilibrium (no kinetics)."""
        s0 = self.bound(ca_rest)
        b = self.bound(np.asarray(ca, np.float64))
        if dt_s is not None:
            b = self._kinetics(b, s0, dt_s)
        return (self.dff_saturation * (b - s0) / (1.0 - s0)).astype(np.float32)

    def _kinetics(self, target: np.ndarray, start: float, dt_s: float) -> np.ndarray:
        # exact exponential approach over each step to the equilibrium at its end
        up = 1.0 - np.exp(-dt_s * np.log(2) / self.rise_half_s)
        down = 1.0 - np.exp(-dt_s * np.log(2) / self.decay_half_s)
        out = np.empty_like(target)
        b = np.full(target.shape[1:], start)
        for t in range(target.shape[0]):
            gap = target[t] - b
            b = b + gap * np.where(gap > 0, up, down)
            out[t] = b
        return out


INDICATORS = {
    ind.name: ind
    for ind in (
        Indicator("GCaMP6s", 0.144, 2.90, 0.18, 0.55),
        Indicator("GCaMP6m", 0.167, 2.96, 0.08, 0.27),
        Indicator("GCaMP6f", 0.375, 2.27, 0.045, 0.14),
        Indicator("jGCaMP7s", 0.068, 2.49, 0.10, 1.69),
        Indicator("jGCaMP7f", 0.174, 2.3, 0.025, 0.18),
        Indicator("jGCaMP8s", 0.046, 1.6, 0.0101, 0.307),
        Indicator("jGCaMP8m", 0.108, 1.9, 0.0071, 0.118),
        Indicator("jGCaMP8f", 0.334, 2.1, 0.0071, 0.067),
    )
}
GCAMP6F = INDICATORS["GCaMP6f"]


def indicator(name: str) -> Indicator:
    """The preset called ``name`` (:data:`INDICATORS`), or a ValueError naming them."""
    try:
        return INDICATORS[name]
    except KeyError:
        raise ValueError(
            f"indicator: expected one of {', '.join(INDICATORS)}, got {name!r}"
        ) from None
