"""A capacitor as data: a buffer beside a coin cell, or a supercapacitor that stores harvested energy."""

from __future__ import annotations

from dataclasses import dataclass, field

from hw_models.checks import check_number, check_text
from hw_models.errors import SpecError

__all__ = ["Capacitor"]


@dataclass(frozen=True)
class Capacitor:
    """A capacitor (ceramic, tantalum, electrolytic or electric double-layer).

    Attributes
    ----------
    name : str
    capacitance_f : float
    rated_voltage_v : float
        The highest working voltage.
    esr_ohm : float
        Equivalent series resistance (a pulse of current ``I`` drops ``I * esr_ohm`` at once).
    leakage_current_a : float
        Leakage at ``rated_voltage_v``; modelled as a resistance ``rated_voltage_v / leakage_current_a``
        (so it leaks less when partly charged).
    source : str
    source_path : str
    sources : dict[str, str]
    """

    name: str
    capacitance_f: float
    rated_voltage_v: float
    esr_ohm: float
    leakage_current_a: float
    source: str = ""
    source_path: str = ""
    sources: dict[str, str] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        owner = self.source_path or f"Capacitor {self.name!r}"
        check_text(owner, "name", self.name)
        for name in ("capacitance_f", "rated_voltage_v"):
            check_number(owner, name, getattr(self, name))
        for name in ("esr_ohm", "leakage_current_a"):
            check_number(owner, name, getattr(self, name), allow_zero=True)

    @property
    def leakage_resistance_ohm(self) -> float:
        """``rated_voltage_v / leakage_current_a`` (infinite for no leakage)."""
        return float("inf") if self.leakage_current_a == 0 else self.rated_voltage_v / self.leakage_current_a

    def energy_j(self, voltage_v: float) -> float:
        """Stored energy at ``voltage_v``: ``C V^2 / 2``."""
        return 0.5 * self.capacitance_f * voltage_v * voltage_v

    def window_energy_j(self, high_voltage_v: float, low_voltage_v: float) -> float:
        """Energy released going from ``high_voltage_v`` down to ``low_voltage_v``."""
        if not 0 <= low_voltage_v <= high_voltage_v <= self.rated_voltage_v:
            raise SpecError(
                self.source_path or self.name,
                "voltage window",
                (high_voltage_v, low_voltage_v),
                f"need 0 <= low <= high <= rated {self.rated_voltage_v} V",
            )
        return self.energy_j(high_voltage_v) - self.energy_j(low_voltage_v)
