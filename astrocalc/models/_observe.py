"""What a GCaMP recording of model calcium looks like: the indicator's dF/F.

Steady-state Hill binding of the indicator (its kinetics are faster than astrocyte events
and are left out): the bound fraction s(Ca) = Ca^n / (Ca^n + Kd^n), and the fluorescence
grows linearly with it, so

    dF/F(Ca) = dff_saturation * (s(Ca) - s(Ca_rest)) / (1 - s(Ca_rest)),

where ``dff_saturation`` is the dF/F at saturating calcium. GCaMP6f: Kd 0.375 uM and Hill
coefficient 2.27 (Chen et al. 2013 Nature 499:295, Table 1). Its in-vitro dynamic range
(about 52-fold) is far above what astrocytes show in situ; the default saturation dF/F of
2 is ours, chosen so that the model's microdomain events (peaks near 0.9 uM) have the
dF/F of 0.5-2 reported for GCaMP6 microdomain events (Srinivasan et al. 2015 Nat
Neurosci 18:708).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Indicator:
    kd_uM: float = 0.375
    hill: float = 2.27
    dff_saturation: float = 2.0

    def bound(self, ca):
        c = np.power(np.maximum(ca, 0.0) / self.kd_uM, self.hill)
        return c / (1.0 + c)

    def dff(self, ca, ca_rest: float) -> np.ndarray:
        """dF/F of calcium ``ca`` (uM, any shape) relative to the resting ``ca_rest``."""
        s0 = self.bound(ca_rest)
        return (self.dff_saturation * (self.bound(ca) - s0) / (1.0 - s0)).astype(np.float32)


GCAMP6F = Indicator()
