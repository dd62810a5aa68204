"""Battery models that follow one state of charge: the ideal charge counter and Peukert's law.

Every model is an immutable value: ``draw`` returns a :class:`Discharge` holding the new cell, so a
simulation can keep, compare or replay states (an identical day reuses the same numbers). Both
models here drain state of charge linearly in time under a constant current, so a long constant
load is one exact step, and :meth:`time_to_cutoff_s` is closed form.

Self-discharge is a constant leak of ``self_discharge_per_year * capacity_c`` per year, the way
datasheets state it (a fraction of the rated capacity per year), not delivered to the load.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Protocol

from hw_models.battery import Battery
from hw_models.cell_voltage import cutoff_soc, mean_ocv_v, ocv_v

__all__ = ["YEAR_S", "CellModel", "Discharge", "IdealCell", "PeukertCell", "check_draw"]

YEAR_S = 365.25 * 86400.0
_EPS = 1e-12


@dataclass(frozen=True)
class Discharge:
    """What one :meth:`CellModel.draw` did.

    Attributes
    ----------
    cell : CellModel
        The cell after the draw.
    duration_s : float
        Time the load was carried: the requested duration, or less if the cut-off came first.
    charge_c : float
        Charge delivered to the load (``current_a * duration_s``).
    energy_j : float
        Energy delivered to the load at the terminal voltage (``ocv - current * resistance``).
    self_discharge_c : float
        Charge lost inside the cell over ``duration_s``.
    depleted : bool
        The cut-off was reached within the request (at this current; a lighter load or, for KiBaM,
        a rest may still get charge out).
    """

    cell: CellModel
    duration_s: float
    charge_c: float
    energy_j: float
    self_discharge_c: float
    depleted: bool


class CellModel(Protocol):
    """The interface every battery model offers (currents in A at the cell, times in s)."""

    @property
    def battery(self) -> Battery:
        """The cell's datasheet values."""
        ...

    @property
    def state_of_charge(self) -> float:
        """Remaining fraction of the rated charge, in [0, 1]."""
        ...

    @property
    def is_depleted(self) -> bool:
        """No charge can be had any more, even at zero current."""
        ...

    def voltage_v(self, current_a: float = 0.0) -> float:
        """Terminal voltage now under ``current_a``."""
        ...

    def draw(self, current_a: float, duration_s: float) -> Discharge:
        """Carry a constant ``current_a`` for ``duration_s`` (or until the cut-off), exactly."""
        ...

    def time_to_cutoff_s(self, current_a: float) -> float:
        """Time a constant ``current_a`` can be carried from now (``math.inf`` if forever)."""
        ...


def check_draw(current_a: float, duration_s: float) -> None:
    """Reject a negative or non-finite current or duration (a programming error, not user data)."""
    for name, value in (("current_a", current_a), ("duration_s", duration_s)):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite non-negative number, got {value!r}")


@dataclass(frozen=True)
class IdealCell:
    """The ideal charge counter: every coulomb of the rated capacity reaches the load.

    Parameters
    ----------
    battery : Battery
    state_of_charge : float
        Fraction of ``battery.capacity_c`` left, in [0, 1].
    cutoff_voltage_v : float or None
        Overrides ``battery.cutoff_voltage_v`` (e.g. a regulator's minimum input voltage).
    """

    battery: Battery
    state_of_charge: float = 1.0
    cutoff_voltage_v: float | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.state_of_charge <= 1:
            raise ValueError(f"state_of_charge must be within [0, 1], got {self.state_of_charge!r}")

    @classmethod
    def full(cls, battery: Battery, *, cutoff_voltage_v: float | None = None) -> IdealCell:
        """A fresh, full cell."""
        return cls(battery, 1.0, cutoff_voltage_v)

    @property
    def self_discharge_a(self) -> float:
        """The constant internal leak, in A."""
        return self.battery.self_discharge_per_year * self.battery.capacity_c / YEAR_S

    def effective_current_a(self, current_a: float) -> float:
        """The rate at which a load of ``current_a`` uses up rated charge (the load itself here)."""
        return current_a

    def _cutoff(self, current_a: float) -> float:
        return cutoff_soc(self.battery, current_a, self.cutoff_voltage_v)

    @property
    def is_depleted(self) -> bool:
        """No charge left above the cut-off, even at zero current."""
        return self.state_of_charge <= self._cutoff(0.0) + _EPS

    def voltage_v(self, current_a: float = 0.0) -> float:
        """Terminal voltage under ``current_a``: ``ocv(soc) - current_a * resistance``."""
        return ocv_v(self.battery, self.state_of_charge) - current_a * (
            self.battery.internal_resistance_ohm or 0.0
        )

    def capacity_c(self, current_a: float) -> float:
        """Charge a full cell delivers to a constant ``current_a`` (no self-discharge, to cut-off)."""
        cut = self._cutoff(current_a)
        if cut >= 1:
            return 0.0
        if current_a == 0:
            return (1 - cut) * self.battery.capacity_c
        return (1 - cut) * self.battery.capacity_c * current_a / self.effective_current_a(current_a)

    def time_to_cutoff_s(self, current_a: float) -> float:
        """Time until the cut-off under a constant ``current_a``: closed form."""
        check_draw(current_a, 0.0)
        margin = self.state_of_charge - self._cutoff(current_a)
        if margin <= 0:
            return 0.0
        rate = self.effective_current_a(current_a) + self.self_discharge_a
        return math.inf if rate == 0 else margin * self.battery.capacity_c / rate

    def draw(self, current_a: float, duration_s: float) -> Discharge:
        """Carry ``current_a`` for ``duration_s``, or until the cut-off; one exact step."""
        check_draw(current_a, duration_s)
        soc0 = self.state_of_charge
        cut = self._cutoff(current_a)
        if soc0 <= cut:
            return Discharge(self, 0.0, 0.0, 0.0, 0.0, duration_s > 0 or current_a > 0)
        rate = self.effective_current_a(current_a) + self.self_discharge_a
        t_cut = math.inf if rate == 0 else (soc0 - cut) * self.battery.capacity_c / rate
        served = min(duration_s, t_cut)
        soc1 = cut if served == t_cut else max(cut, soc0 - rate * served / self.battery.capacity_c)
        resistance = self.battery.internal_resistance_ohm or 0.0
        volts = mean_ocv_v(self.battery, soc0, soc1) - current_a * resistance
        return Discharge(
            cell=replace(self, state_of_charge=soc1),
            duration_s=served,
            charge_c=current_a * served,
            energy_j=current_a * served * volts,
            self_discharge_c=self.self_discharge_a * served,
            depleted=t_cut <= duration_s,
        )


@dataclass(frozen=True)
class PeukertCell(IdealCell):
    """Peukert's law: a heavier load gets less of the rated charge (Peukert 1897).

    A constant current ``I`` above the reference current ``I_ref`` uses up rated charge at
    ``I * (I / I_ref) ** (k - 1)``, so the capacity at ``I`` is ``C * (I_ref / I) ** (k - 1)``. Below
    ``I_ref`` the rated capacity holds: datasheets rate a cell at its standard drain, and Peukert's law
    extrapolated to microamp sleep currents would promise more charge than the cell holds.

    Parameters
    ----------
    battery : Battery
    state_of_charge : float
    cutoff_voltage_v : float or None
    exponent : float or None
        Peukert's ``k``; None takes ``battery.peukert_exponent``.
    reference_current_a : float or None
        ``I_ref``; None takes ``battery.rated_current_a``.
    """

    exponent: float | None = None
    reference_current_a: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        k = self.battery.peukert_exponent if self.exponent is None else self.exponent
        ref = self.battery.rated_current_a if self.reference_current_a is None else self.reference_current_a
        if k is None or ref is None:
            missing = "peukert_exponent" if k is None else "rated_current_a"
            raise ValueError(f"battery {self.battery.name!r} has no {missing}: pass it to PeukertCell")
        if not 1 <= k <= 2 or not ref > 0:
            raise ValueError(f"need 1 <= exponent <= 2 and reference_current_a > 0, got {k!r}, {ref!r}")
        object.__setattr__(self, "exponent", float(k))
        object.__setattr__(self, "reference_current_a", float(ref))

    @classmethod
    def full(
        cls,
        battery: Battery,
        *,
        cutoff_voltage_v: float | None = None,
        exponent: float | None = None,
        reference_current_a: float | None = None,
    ) -> PeukertCell:
        """A fresh, full cell."""
        return cls(battery, 1.0, cutoff_voltage_v, exponent, reference_current_a)

    def effective_current_a(self, current_a: float) -> float:
        """``I * max(1, I / I_ref) ** (k - 1)``."""
        exponent, reference_a = self.exponent, self.reference_current_a
        if exponent is None or reference_a is None:
            raise RuntimeError("PeukertCell.__post_init__ resolves both exponent and reference_current_a")
        ratio = max(1.0, current_a / reference_a)
        return current_a * ratio ** (exponent - 1)
