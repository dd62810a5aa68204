"""A battery cell as frozen, self-validating data in SI units."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    rated_current_a : float or None
        The standard drain at which ``capacity_c`` is rated: Peukert's reference current.
    peukert_exponent : float or None
        Peukert's exponent (>= 1; 1 means no rate dependence).
    internal_resistance_ohm : float or None
        DC series resistance: the terminal voltage is ``ocv - current * resistance``.
    ocv_soc, ocv_voltage_v : tuple[float, ...]
        Open-circuit voltage curve, piecewise linear in state of charge; ``ocv_soc`` rises strictly
        from 0 to 1 and the voltages never fall. Empty: a flat curve at ``nominal_voltage_v``.
    kibam_capacity_fraction, kibam_rate_per_s : float or None
        The kinetic battery model's available-well fraction ``c`` (0 < c < 1) and rate constant
        ``k`` (Manwell & McGowan 1993).
    sources : dict[str, str]
        Citation per field for the optional fields above (``"peukert_exponent" -> "..."``).
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
    rated_current_a: float | None = None
    peukert_exponent: float | None = None
    internal_resistance_ohm: float | None = None
    ocv_soc: tuple[float, ...] = ()
    ocv_voltage_v: tuple[float, ...] = ()
    kibam_capacity_fraction: float | None = None
    kibam_rate_per_s: float | None = None
    sources: dict[str, str] = field(default_factory=dict, compare=False, hash=False, repr=False)

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
        self._check_models(owner)

    def _check_models(self, owner: str) -> None:
        for name in ("rated_current_a", "peukert_exponent", "kibam_rate_per_s"):
            if getattr(self, name) is not None:
                check_number(owner, name, getattr(self, name))
        if self.internal_resistance_ohm is not None:
            check_number(owner, "internal_resistance_ohm", self.internal_resistance_ohm, allow_zero=True)
        if self.peukert_exponent is not None and not 1 <= self.peukert_exponent <= 2:
            raise SpecError(owner, "peukert_exponent", self.peukert_exponent, "must be within [1, 2]")
        c = self.kibam_capacity_fraction
        if c is not None and (isinstance(c, bool) or not isinstance(c, int | float) or not 0 < c < 1):
            raise SpecError(owner, "kibam_capacity_fraction", c, "must be a number strictly between 0 and 1")
        if (c is None) != (self.kibam_rate_per_s is None):
            raise SpecError(
                owner, "kibam_rate_per_s", self.kibam_rate_per_s, "give both kibam fields or neither"
            )
        soc, volts = tuple(self.ocv_soc), tuple(self.ocv_voltage_v)
        if len(soc) != len(volts):
            raise SpecError(owner, "ocv_voltage_v", volts, f"needs as many points as ocv_soc ({len(soc)})")
        if soc:
            rising = all(b > a for a, b in zip(soc, soc[1:], strict=False))
            if len(soc) < 2 or soc[0] != 0 or soc[-1] != 1 or not rising:
                raise SpecError(owner, "ocv_soc", soc, "must rise strictly from 0 to 1 (at least 2 points)")
            if any(b < a for a, b in zip(volts, volts[1:], strict=False)) or volts[0] <= 0:
                raise SpecError(owner, "ocv_voltage_v", volts, "must be positive and never fall")
            if volts[-1] <= self.cutoff_voltage_v:
                raise SpecError(
                    owner, "ocv_voltage_v", volts, f"full cell must be above cutoff {self.cutoff_voltage_v} V"
                )

    @property
    def capacity_mah(self) -> float:
        """Rated charge in milliamp-hours."""
        return self.capacity_c / COULOMBS_PER_MAH

    @property
    def energy_j(self) -> float:
        """Nominal stored energy: ``capacity_c * nominal_voltage_v``."""
        return self.capacity_c * self.nominal_voltage_v
