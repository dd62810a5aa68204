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

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emu.errors import ScenarioError
from emu.supplies import CellSupply, HarvestTable, StoreSupply
from hw_models.buffer import BurstPlan, plan_burst
from hw_models.cell_models import CELL_MODELS, make_cell
from hw_models.device import Device
from hw_models.irradiance_trace import load_irradiance_csv
from hw_models.loader import load_battery
from hw_models.panel import SolarHarvester
from hw_models.regulator import Regulator
from hw_models.solar import ClearSkyProfile, OfficeLightProfile
from hw_models.storage import CellStore, SupercapStore
from hw_models.supply_loader import load_capacitor, load_panel, load_regulator

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
    def from_section(cls, section: dict[str, Any] | None, source: str = "supply") -> SupplySettings:
        """Parse a scenario's ``[supply]`` table (keys already checked by the scenario)."""
        return cls(**dict(section or {}), source=source)


@dataclass(frozen=True)
class BuiltSupply:
    """A supply ready to run, and what the report should say about it."""

    supply: CellSupply | StoreSupply
    description: str
    notes: tuple[str, ...]
    restart_soc: float | None


def _path(name: str, base_dir: Path | None) -> str:
    text = str(name)
    if (
        base_dir is not None
        and ("/" in text or text.endswith((".toml", ".csv")))
        and not Path(text).is_absolute()
    ):
        candidate = base_dir / text
        if candidate.exists():
            return str(candidate)
    return text


def build_supply(settings: SupplySettings, device: Device, base_dir: Path | None = None) -> BuiltSupply:
    """Load the parts a ``[supply]`` section names and assemble the supply at its initial state."""
    out_v = device.supply_voltage_v
    regulator = None
    notes: list[str] = []
    if settings.regulator is not None:
        regulator = load_regulator(_path(settings.regulator, base_dir))
        if regulator.min_output_voltage_v <= out_v <= regulator.max_output_voltage_v:
            regulator = regulator.with_output_voltage(out_v)
        else:
            notes.append(
                f"{regulator.name} cannot output the device's {out_v:g} V: it stays at "
                f"{regulator.output_voltage_v:g} V and the chip's currents are taken as given at {out_v:g} V"
            )
    if settings.harvests:
        return _harvesting(settings, regulator, out_v, notes, base_dir)
    battery = load_battery(_path(settings.battery, base_dir))
    cutoff = None
    if regulator is not None and regulator.required_input_voltage_v > battery.cutoff_voltage_v:
        cutoff = regulator.required_input_voltage_v
        notes.append(f"cell cut-off raised to {cutoff:g} V, the {regulator.name}'s lowest input")
    cell = make_cell(battery, settings.battery_model, cutoff_voltage_v=cutoff, owner=settings.source)
    buffer = load_capacitor(_path(settings.buffer, base_dir)) if settings.buffer else None
    supply = CellSupply(cell, regulator, out_v, buffer)
    via = f" via {regulator.name}" if regulator else ""
    desc = f"{battery.name} ({settings.battery_model}){via}" + (f" + {buffer.name} buffer" if buffer else "")
    return BuiltSupply(supply, desc, tuple(notes), None)


def _harvesting(
    settings: SupplySettings,
    regulator: Regulator | None,
    out_v: float,
    notes: list[str],
    base_dir: Path | None,
) -> BuiltSupply:
    panel = load_panel(_path(settings.panel, base_dir))
    if settings.irradiance_csv is not None:
        profile = load_irradiance_csv(_path(settings.irradiance_csv, base_dir))
        light = f"trace {settings.irradiance_csv}"
    elif settings.office_light_w_per_m2 is not None:
        profile = OfficeLightProfile(float(settings.office_light_w_per_m2))
        light = f"office light {settings.office_light_w_per_m2:g} W/m^2"
    else:
        profile = ClearSkyProfile(
            float(settings.latitude_deg), settings.start_day_of_year, settings.cloud_cover
        )
        light = f"clear sky at {settings.latitude_deg:g} deg, cloud cover {settings.cloud_cover:g}"
    harvest = HarvestTable(SolarHarvester(panel, profile))
    low = settings.min_voltage_v
    if low is None:
        low = regulator.required_input_voltage_v if regulator else DIRECT_MIN_VOLTAGE_V
        if regulator is None:
            notes.append(
                f"brown-out at {low:g} V (no regulator; set supply.min_voltage_v for the chip's minimum)"
            )
    eff = settings.charge_efficiency
    if settings.storage == "supercap":
        cap = load_capacitor(_path(settings.capacitor, base_dir))
        high = settings.max_voltage_v or cap.rated_voltage_v
        if not 0 <= low < high <= cap.rated_voltage_v:
            raise ScenarioError(
                settings.source,
                "supply.max_voltage_v",
                high,
                f"above min_voltage_v = {low:g} V and at most {cap.name}'s rated {cap.rated_voltage_v:g} V",
            )
        energy = cap.energy_j(low) + settings.initial_soc * cap.window_energy_j(high, low)
        volts = min(high, (2 * energy / cap.capacitance_f) ** 0.5)
        store = SupercapStore(cap, volts, low, high, eff)
        what = f"{cap.name} supercap {low:g}-{high:g} V"
    else:
        battery = load_battery(_path(settings.battery, base_dir))
        store = CellStore(battery, settings.initial_soc * battery.energy_j, eff)
        what = f"{battery.name} rechargeable"
    via = f" via {regulator.name}" if regulator else ""
    desc = f"{panel.name} panel ({light}) into {what}{via}"
    return BuiltSupply(
        StoreSupply(store, harvest, regulator, out_v), desc, tuple(notes), settings.restart_soc
    )


def burst_note(
    built: BuiltSupply, chip_power_w: float, duration_s: float, sleep_power_w: float, what: str
) -> tuple[BurstPlan | None, str | None]:
    """How a cell supply carries a burst of ``chip_power_w`` (the supply API's plan and its note)."""
    supply = built.supply
    if not isinstance(supply, CellSupply):
        return None, None
    battery = supply.cell.battery
    ocv = supply.cell.voltage_v(0.0)
    load = supply.cell_current_a(chip_power_w)
    background = supply.cell_current_a(sleep_power_w)
    low = supply.regulator.required_input_voltage_v if supply.regulator else battery.cutoff_voltage_v
    plan = plan_burst(
        battery,
        ocv,
        load,
        duration_s,
        min_voltage_v=low,
        buffer=supply.buffer,
        background_current_a=background,
    )
    if plan.mode == "direct":
        return plan, None
    return plan, f"{what}: {plan.note}"
