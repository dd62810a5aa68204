"""The kinetic battery model (KiBaM) of Manwell & McGowan (1993), with its exact constant-current step.

Charge sits in two wells: ``available`` (fraction ``c`` of the capacity) feeds the load; ``bound``
flows into it at ``k * (h2 - h1)``, with heights ``h1 = available / c``, ``h2 = bound / (1 - c)``.
A heavy load empties the available well before the bound charge can follow (less charge under a
heavy or pulsed load); a rest lets it refill (recovery). Under a constant current the two-well
equations have a closed form (Manwell & McGowan 1993; as written by Jongerden & Haverkort,
"Which battery model to use?", IET Software 3(6), 2009), with ``k' = k / (c (1 - c))``:

    y1(t) = y1 e^{-k't} + (y c k' - I)(1 - e^{-k't}) / k' - I c (k't - 1 + e^{-k't}) / k'
    y2(t) = y2 e^{-k't} + y (1 - c)(1 - e^{-k't}) - I (1 - c)(k't - 1 + e^{-k't}) / k'

so a long constant-current period is one step. The cell is cut off when the available well is empty
or, as for the other models, when the terminal voltage (a function of the total state of charge)
reaches the cut-off voltage. As ``k`` grows the wells stay level and KiBaM becomes the ideal counter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from hw_models.battery import Battery
from hw_models.cell_voltage import cutoff_soc, mean_ocv_v, ocv_v
from hw_models.cells import YEAR_S, Discharge, check_draw

__all__ = ["KibamCell"]

_EPS = 1e-12


def _terms(kp: float, t: float) -> tuple[float, float, float]:
    """``e^{-x}``, ``1 - e^{-x}`` and ``x - 1 + e^{-x}`` for ``x = k' t``, accurate for small x."""
    x = kp * t
    if x < 1e-4:
        ramp = x * x * (0.5 - x * (1 / 6 - x * (1 / 24 - x / 120)))
    else:
        ramp = x + math.expm1(-x)
    return math.exp(-x), -math.expm1(-x), ramp


@dataclass(frozen=True)
class KibamCell:
    """A cell under the kinetic battery model.

    Parameters
    ----------
    battery : Battery
    available_c, bound_c : float
        Charge in the available and bound wells (C).
    capacity_fraction : float
        ``c``, the available well's share of the capacity (0 < c < 1).
    rate_per_s : float
        ``k``, the rate constant between the wells (1/s).
    cutoff_voltage_v : float or None
        Overrides ``battery.cutoff_voltage_v``.
    """

    battery: Battery
    available_c: float
    bound_c: float
    capacity_fraction: float
    rate_per_s: float
    cutoff_voltage_v: float | None = None

    def __post_init__(self) -> None:
        if not 0 < self.capacity_fraction < 1 or not self.rate_per_s > 0:
            raise ValueError(
                f"need 0 < capacity_fraction < 1 and rate_per_s > 0, got "
                f"{self.capacity_fraction!r}, {self.rate_per_s!r}"
            )

    @classmethod
    def full(
        cls,
        battery: Battery,
        *,
        cutoff_voltage_v: float | None = None,
        capacity_fraction: float | None = None,
        rate_per_s: float | None = None,
    ) -> KibamCell:
        """A fresh, full cell at rest (both wells level); ``c`` and ``k`` default to the battery's."""
        c = battery.kibam_capacity_fraction if capacity_fraction is None else capacity_fraction
        k = battery.kibam_rate_per_s if rate_per_s is None else rate_per_s
        if c is None or k is None:
            raise ValueError(
                f"battery {battery.name!r} has no KiBaM parameters: pass capacity_fraction and rate_per_s"
            )
        q = battery.capacity_c
        return cls(battery, c * q, (1 - c) * q, c, k, cutoff_voltage_v)

    @property
    def _kp(self) -> float:
        c = self.capacity_fraction
        return self.rate_per_s / (c * (1 - c))

    @property
    def self_discharge_a(self) -> float:
        """The constant internal leak, in A (drawn from the available well)."""
        return self.battery.self_discharge_per_year * self.battery.capacity_c / YEAR_S

    @property
    def state_of_charge(self) -> float:
        """Total charge left (both wells) as a fraction of the rated capacity."""
        return min(1.0, max(0.0, (self.available_c + self.bound_c) / self.battery.capacity_c))

    @property
    def is_depleted(self) -> bool:
        """No charge left above the voltage cut-off, even at rest (an empty available well recovers)."""
        cut = cutoff_soc(self.battery, 0.0, self.cutoff_voltage_v)
        return self.state_of_charge <= cut + _EPS or self.available_c + self.bound_c <= 0

    def voltage_v(self, current_a: float = 0.0) -> float:
        """Terminal voltage under ``current_a``: ``ocv(soc) - current_a * resistance``."""
        return ocv_v(self.battery, self.state_of_charge) - current_a * (
            self.battery.internal_resistance_ohm or 0.0
        )

    def _after(self, current_a: float, t: float) -> tuple[float, float]:
        """Both wells after ``t`` seconds of total drain ``current_a`` (the closed form)."""
        c, kp = self.capacity_fraction, self._kp
        y1, y2 = self.available_c, self.bound_c
        y = y1 + y2
        u, one_minus_u, ramp = _terms(kp, t)
        a = y1 * u + y * c * one_minus_u - current_a * one_minus_u / kp - current_a * c * ramp / kp
        b = y2 * u + y * (1 - c) * one_minus_u - current_a * (1 - c) * ramp / kp
        return a, b

    def _well_empty_s(self, total_a: float, horizon_s: float) -> float:
        """First time the available well empties within ``horizon_s`` (``math.inf`` if it does not)."""
        if total_a <= 0:
            return math.inf
        if self.available_c <= 0:
            c = self.capacity_fraction
            inflow = self.rate_per_s * (self.bound_c / (1 - c) - self.available_c / c)
            if inflow <= total_a:
                return 0.0  # empty, and the bound well cannot keep up with this load
        if self._after(total_a, horizon_s)[0] > 0:
            # y1(t) is monotone or rises then falls (its second derivative has one sign), so
            # positive at both ends means positive throughout.
            return math.inf
        lo, hi = 0.0, horizon_s
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if mid in (lo, hi):
                break
            if self._after(total_a, mid)[0] > 0:
                lo = mid
            else:
                hi = mid
        return hi

    def _limits(self, current_a: float, horizon_s: float) -> tuple[float, float]:
        """(time to the cut-off within ``horizon_s`` or inf, total drain)."""
        total = current_a + self.self_discharge_a
        margin = self.state_of_charge - cutoff_soc(self.battery, current_a, self.cutoff_voltage_v)
        if margin <= 0:
            return 0.0, total
        t_volt = math.inf if total == 0 else margin * self.battery.capacity_c / total
        return min(t_volt, self._well_empty_s(total, min(horizon_s, t_volt))), total

    def time_to_cutoff_s(self, current_a: float) -> float:
        """Time until the available well empties or the voltage cut-off, under constant ``current_a``."""
        check_draw(current_a, 0.0)
        total = current_a + self.self_discharge_a
        # By the time the total charge is gone the available well is empty: a bracket for the root.
        horizon = math.inf if total == 0 else (self.available_c + self.bound_c) / total
        return self._limits(current_a, horizon)[0]

    def draw(self, current_a: float, duration_s: float) -> Discharge:
        """Carry ``current_a`` for ``duration_s``, or until the cut-off; one exact step."""
        check_draw(current_a, duration_s)
        t_cut, total = self._limits(current_a, duration_s)
        served = min(duration_s, t_cut)
        soc0 = self.state_of_charge
        a, b = self._after(total, served)
        if served == t_cut and a < 0:
            a = 0.0  # the root is found to the last bit of time; do not keep a sliver below zero
        cell = replace(self, available_c=a, bound_c=b)
        resistance = self.battery.internal_resistance_ohm or 0.0
        volts = mean_ocv_v(self.battery, soc0, cell.state_of_charge) - current_a * resistance
        return Discharge(
            cell=cell,
            duration_s=served,
            charge_c=current_a * served,
            energy_j=current_a * served * volts if served > 0 else 0.0,
            self_discharge_c=self.self_discharge_a * served,
            depleted=t_cut <= duration_s and (current_a > 0 or duration_s > 0),
        )
