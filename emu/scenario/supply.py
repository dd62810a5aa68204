"""The ``[supply]`` section of a scenario: the cell, regulator and buffer, or the harvester and its storage.

```toml
[supply]
battery = "CR2032"          # a battery preset or TOML path (a cell supply)
battery_model = "kibam"     # ideal | peukert | kibam
regulator = "TPS62840"      # optional: a regulator preset or path (none: the chip runs from the cell)
buffer = "PB-5R0V474"       # optional: a capacitor beside the cell for bursts beyond its rating

# or a harvesting supply (a panel makes it one):
panel = "mono-outdoor-small"
latitude_deg = 48.0         # clear-sky profile with seasons ...
cloud_cover = 0.3
start_day_of_year = 1
irradiance_csv = "trace.csv"   # ... or a measured trace (time_s,irradiance_w_per_m2)
office_light_w_per_m2 = 1.5    # ... or office light, 8 h to 18 h on weekdays
storage = "supercap"        # supercap (capacitor = ...) | cell (the battery, rechargeable)
capacitor = "PB-5R0V105"
charge_efficiency = 0.8
max_voltage_v = 4.5         # the charger's limit (default: the capacitor rating)
min_voltage_v = 2.0         # brown-out level (default: the regulator's lowest input, else 1.8 V)
initial_soc = 1.0
restart_soc = 0.5           # after a brown-out the device restarts when storage is back to this
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emu.errors import ScenarioError
from hw_models.cell_models import CELL_MODELS

SUPPLY_KEYS = (
    "battery",
    "battery_model",
    "regulator",
    "buffer",
    "panel",
    "latitude_deg",
    "cloud_cover",
    "start_day_of_year",
    "irradiance_csv",
    "office_light_w_per_m2",
    "storage",
    "capacitor",
    "charge_efficiency",
    "max_voltage_v",
    "min_voltage_v",
    "initial_soc",
    "restart_soc",
)
"""The keys of the ``[supply]`` section."""

DIRECT_MIN_VOLTAGE_V = 1.8
"""E: the lowest supply of a typical 1.8-3.6 V MCU, the brown-out level of storage without a regulator."""


def _fraction(src: str, key: str, value: Any, *, open_low: bool = False) -> float:
    ok = not isinstance(value, bool) and isinstance(value, int | float)
    if not ok or not (0 < value <= 1 if open_low else 0 <= value <= 1):
        raise ScenarioError(
            src, f"supply.{key}", value, "a fraction in " + ("(0, 1]" if open_low else "[0, 1]")
        )
    return float(value)


def _volts(src: str, key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ScenarioError(src, f"supply.{key}", value, "a positive voltage")
    return float(value)


@dataclass(frozen=True)
class SupplySettings:
    """The ``[supply]`` section, validated (parts are loaded by :func:`build_supply`)."""

    battery: str = "CR2032"
    battery_model: str = "kibam"
    regulator: str | None = None
    buffer: str | None = None
    panel: str | None = None
    latitude_deg: float | None = None
    cloud_cover: float = 0.0
    start_day_of_year: int = 1
    irradiance_csv: str | None = None
    office_light_w_per_m2: float | None = None
    storage: str = "supercap"
    capacitor: str = "PB-5R0V105"
    charge_efficiency: float = 0.8
    max_voltage_v: float | None = None
    min_voltage_v: float | None = None
    initial_soc: float = 1.0
    restart_soc: float = 0.5
    source: str = "supply"

    def __post_init__(self) -> None:
        src = self.source
        if self.battery_model not in CELL_MODELS:
            raise ScenarioError(
                src, "supply.battery_model", self.battery_model, f"one of {', '.join(CELL_MODELS)}"
            )
        if self.storage not in ("supercap", "cell"):
            raise ScenarioError(src, "supply.storage", self.storage, "supercap or cell")
        _fraction(src, "cloud_cover", self.cloud_cover)
        _fraction(src, "charge_efficiency", self.charge_efficiency, open_low=True)
        _fraction(src, "initial_soc", self.initial_soc)
        _fraction(src, "restart_soc", self.restart_soc, open_low=True)
        _volts(src, "max_voltage_v", self.max_voltage_v)
        _volts(src, "min_voltage_v", self.min_voltage_v)
        lights = [
            k
            for k in ("latitude_deg", "irradiance_csv", "office_light_w_per_m2")
            if getattr(self, k) is not None
        ]
        if self.panel is not None and len(lights) != 1:
            raise ScenarioError(
                src,
                "supply.panel",
                self.panel,
                "with exactly one light source: latitude_deg, irradiance_csv or office_light_w_per_m2",
            )
        if self.panel is None and lights:
            raise ScenarioError(src, f"supply.{lights[0]}", getattr(self, lights[0]), "only with a panel")
        if self.latitude_deg is not None and not (
            isinstance(self.latitude_deg, int | float) and -90 <= self.latitude_deg <= 90
        ):
            raise ScenarioError(src, "supply.latitude_deg", self.latitude_deg, "a latitude in [-90, 90]")
        day = self.start_day_of_year
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 365:
            raise ScenarioError(src, "supply.start_day_of_year", day, "a day of the year, 1 to 365")
        light = self.office_light_w_per_m2
        if light is not None and (isinstance(light, bool) or not isinstance(light, int | float) or light < 0):
            raise ScenarioError(src, "supply.office_light_w_per_m2", light, "an irradiance >= 0 W/m^2")

    @property
    def harvests(self) -> bool:
        return self.panel is not None

    @classmethod
    def from_section(cls, section: Mapping[str, Any] | None, source: str = "supply") -> SupplySettings:
        """Parse a scenario's ``[supply]`` table (keys already checked by the scenario)."""
        return cls(**dict(section or {}), source=source)
