"""A battery cell as frozen, self-validating data in SI units."""

from __future__ import annotations

from dataclasses import dataclass

from hw_models.checks import check_number, check_text
from hw_models.errors import SpecError

__all__ = ["COULOMBS_PER_MAH", "Battery"]

COULOMBS_PER_MAH = 3.6


@dataclass(frozen=True)
class Battery:
    """A primary or rechargeable cell.

    Attributes
    ----------
    name : str
        Preset name, e.g. ``"CR2032"``.
    chemistry : str
        e.g. ``"Li/MnO2"``.
    nominal_voltage_v, cutoff_voltage_v : float
        Nominal voltage, and the end-of-discharge voltage below which the cell counts as empty.
    capacity_c : float
        Rated charge in coulombs (see ``capacity_mah``).
    max_continuous_current_a : float
        Largest continuous drain at which the rated capacity roughly holds.
    max_pulse_current_a : float or None
        Largest short pulse, where stated.
    self_discharge_per_year : float
        Fraction of capacity lost per year at rest.
    source : str
        Citation, with the calibration tag and notes.
    source_path : str
        The file the cell was loaded from (``""`` if built in code).
    """

    name: str
    chemistry: str
    nominal_voltage_v: float
    cutoff_voltage_v: float
    capacity_c: float
    max_continuous_current_a: float
    max_pulse_current_a: float | None
    self_discharge_per_year: float
    source: str
    source_path: str = ""

    def __post_init__(self) -> None:
        owner = self.source_path or f"Battery {self.name!r}"
        check_text(owner, "name", self.name)
        check_text(owner, "chemistry", self.chemistry)
        check_text(owner, "source", self.source)
        for name in ("nominal_voltage_v", "cutoff_voltage_v", "capacity_c", "max_continuous_current_a"):
            check_number(owner, name, getattr(self, name))
        if self.cutoff_voltage_v >= self.nominal_voltage_v:
            raise SpecError(
                owner,
                "cutoff_voltage_v",
                self.cutoff_voltage_v,
                f"must be below nominal_voltage_v = {self.nominal_voltage_v}",
            )
        if self.max_pulse_current_a is not None:
            check_number(owner, "max_pulse_current_a", self.max_pulse_current_a)
            if self.max_pulse_current_a < self.max_continuous_current_a:
                raise SpecError(
                    owner,
                    "max_pulse_current_a",
                    self.max_pulse_current_a,
                    f"must be at least max_continuous_current_a = {self.max_continuous_current_a}",
                )
        check_number(owner, "self_discharge_per_year", self.self_discharge_per_year, allow_zero=True)
        if self.self_discharge_per_year >= 1:
            raise SpecError(owner, "self_discharge_per_year", self.self_discharge_per_year, "must be below 1")

    @property
    def capacity_mah(self) -> float:
        """Rated charge in milliamp-hours."""
        return self.capacity_c / COULOMBS_PER_MAH

    @property
    def energy_j(self) -> float:
        """Nominal stored energy: ``capacity_c * nominal_voltage_v``."""
        return self.capacity_c * self.nominal_voltage_v
