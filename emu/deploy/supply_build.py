"""The supply a scenario's ``[supply]`` section describes, built from presets: a cell or a harvester path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from emu.deploy.supplies import CellSupply, HarvestTable, StoreSupply
from emu.errors import ScenarioError
from emu.scenario.supply import DIRECT_MIN_VOLTAGE_V, SupplySettings
from hw_models.buffer import BurstPlan, plan_burst
from hw_models.cell_models import make_cell
from hw_models.device import Device
from hw_models.irradiance_trace import load_irradiance_csv
from hw_models.loader import load_battery
from hw_models.panel import SolarHarvester
from hw_models.regulator import Regulator
from hw_models.solar import ClearSkyProfile, IrradianceProfile, OfficeLightProfile
from hw_models.storage import CellStore, SupercapStore
from hw_models.supply_loader import load_capacitor, load_panel, load_regulator


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
    if settings.panel is not None:  # settings.harvests
        return _harvesting(settings, settings.panel, regulator, out_v, notes, base_dir)
    battery = load_battery(_path(settings.battery, base_dir))
    full_v = max(battery.ocv_voltage_v or (battery.nominal_voltage_v,))
    if regulator is None and full_v < DIRECT_MIN_VOLTAGE_V:
        raise ScenarioError(
            settings.source,
            "supply.battery",
            battery.name,
            f"a cell the chip can run on directly: {battery.name} gives at most {full_v:g} V and a chip "
            f"without a regulator needs at least {DIRECT_MIN_VOLTAGE_V:g} V (use a cell of 1.8 V or more, "
            "such as CR2032 or CR2; tinyemu has no boost converter preset yet)",
        )
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
    panel_name: str,
    regulator: Regulator | None,
    out_v: float,
    notes: list[str],
    base_dir: Path | None,
) -> BuiltSupply:
    panel = load_panel(_path(panel_name, base_dir))
    profile: IrradianceProfile
    if settings.irradiance_csv is not None:
        profile = load_irradiance_csv(_path(settings.irradiance_csv, base_dir))
        light = f"trace {settings.irradiance_csv}"
    elif settings.office_light_w_per_m2 is not None:
        profile = OfficeLightProfile(float(settings.office_light_w_per_m2))
        light = f"office light {settings.office_light_w_per_m2:g} W/m^2"
    elif settings.latitude_deg is not None:
        profile = ClearSkyProfile(
            float(settings.latitude_deg), settings.start_day_of_year, settings.cloud_cover
        )
        light = f"clear sky at {settings.latitude_deg:g} deg, cloud cover {settings.cloud_cover:g}"
    else:  # SupplySettings refuses a panel without exactly one light source
        raise ScenarioError(
            settings.source,
            "supply.panel",
            panel_name,
            "with exactly one light source: latitude_deg, irradiance_csv or office_light_w_per_m2",
        )
    harvest = HarvestTable(SolarHarvester(panel, profile))
    low = settings.min_voltage_v
    if low is None:
        low = regulator.required_input_voltage_v if regulator else DIRECT_MIN_VOLTAGE_V
        if regulator is None:
            notes.append(
                f"brown-out at {low:g} V (no regulator; set supply.min_voltage_v for the chip's minimum)"
            )
    eff = settings.charge_efficiency
    store: SupercapStore | CellStore
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
