"""Hardware as data: devices and batteries from cited TOML files, loaded and validated in SI units.

The supply physics (battery models, regulators, buffer capacitors, solar harvesting, storage) lives in
its own modules (``cells``, ``kibam``, ``cell_models``, ``regulator``, ``buffer``, ``solar``, ``panel``,
``irradiance_trace``, ``storage``); import them from there.

Workload-agnostic: nothing here imports ``emu``, ``workloads`` or ``cli``.

Source tags in the data files follow ``/work/shared/calibration/README.md``: V (seen in a stored
datasheet or log), V-3p (third-party page quoting the primary source), D (derived, formula given),
U (commonly quoted, not verified here). Two more are used in citations: DS (taken from the named vendor
document, not checked against a stored copy here) and E (engineering estimate, no published figure;
replace when a source turns up).
"""

from hw_models.battery import Battery
from hw_models.device import CoreSpec, Device, DmaSpec, MemoryBank, OperatingPoint, SleepState
from hw_models.errors import SpecError
from hw_models.flash import FlashSpec
from hw_models.loader import battery_names, device_names, load_battery, load_device
from hw_models.supply_loader import (
    capacitor_names,
    load_capacitor,
    load_panel,
    load_regulator,
    panel_names,
    regulator_names,
)

__all__ = [
    "Battery",
    "CoreSpec",
    "Device",
    "DmaSpec",
    "FlashSpec",
    "MemoryBank",
    "OperatingPoint",
    "SleepState",
    "SpecError",
    "battery_names",
    "capacitor_names",
    "device_names",
    "load_battery",
    "load_capacitor",
    "load_device",
    "load_panel",
    "load_regulator",
    "panel_names",
    "regulator_names",
]
