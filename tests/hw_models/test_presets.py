"""Every shipped data file loads, cites a source for every value, and matches the calibration table."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import hw_models
from hw_models import battery_names, device_names, load_battery, load_device

KIB = 1024
MIB = 1024 * 1024
DATA = Path(hw_models.__file__).parent / "data"

# calibration/README.md Devices table: (SRAM, flash, max clock), all tag V.
CALIBRATION = {
    "nrf52840": (256 * KIB, 1 * MIB, 64e6),
    "stm32f746": (320 * KIB, 1 * MIB, 216e6),
    "stm32h743": ((128 + 64 + 512 + 128 + 128 + 32 + 64) * KIB, 2 * MIB, 480e6),
    "stm32l4r5": (640 * KIB, 2 * MIB, 120e6),
    "stm32u575": (768 * KIB, 2 * MIB, 160e6),
    "esp32s3": (512 * KIB, 8 * MIB, 240e6),
    "rp2040": (264 * KIB, 2 * MIB, 133e6),
    "apollo4p": (2816 * KIB, 2 * MIB, 192e6),
}

# calibration/batteries.csv: (nominal V, cutoff V, mAh, continuous mA, pulse mA or None, %/year).
BATTERIES = {
    "CR2032": (3.0, 2.0, 225, 3, 15, 1),
    "CR2": (3.0, 2.0, 800, 20, None, 1),
    "AA-alkaline": (1.5, 0.9, 2500, 1000, None, 3),
    "AAA-alkaline": (1.5, 0.9, 1000, 500, None, 3),
    "LiPo-1000": (3.7, 3.0, 1000, 1000, 2000, 5),
    "LIR2032": (3.6, 3.0, 40, 20, None, 5),
}


def test_all_required_presets_ship():
    assert set(CALIBRATION) <= set(device_names())
    assert set(BATTERIES) == set(battery_names())


@pytest.mark.parametrize("name", device_names())
def test_device_loads_and_every_value_is_cited(name):
    device = load_device(name)
    assert device.name == name
    assert device.source_path.endswith(f"{name}.toml")
    required = [
        "core.family",
        "core.has_fpu",
        "core.has_dsp_simd",
        "core.cores",
        "supply_voltage_v",
        "sram_bytes",
        "flash_bytes",
        "flash.program_time_s",
        "flash.program_current_a",
        "dma.throughput_bytes_per_s",
        "dma.current_a",
    ]
    for i in range(len(device.operating_points)):
        required += [f"operating_points[{i}].{f}" for f in ("clock_hz", "voltage_v", "run_current_a")]
    for i in range(len(device.sleep_states)):
        required += [f"sleep_states[{i}].{f}" for f in ("current_a", "wakeup_s", "retains_sram")]
    for path in required:
        assert device.sources.get(path, "").strip(), f"{name}: {path} has no citation"


@pytest.mark.parametrize("name", device_names())
def test_every_key_in_the_file_has_a_citation(name):
    """Independent of the loader: each value has a `<key>_source` or a `source` in scope.

    Identifiers (name, description, label) are not measurements and need no citation.
    """
    data = tomllib.loads((DATA / "devices" / f"{name}.toml").read_text())

    def walk(table, inherited, path):
        scope = table.get("source", inherited)
        for key, value in table.items():
            if key == "source" or key.endswith("_source") or key in ("name", "description", "label"):
                continue
            cited = table.get(f"{key}_source", scope)
            if isinstance(value, dict):
                walk(value, cited, f"{path}{key}.")
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for i, item in enumerate(value):
                    walk(item, cited, f"{path}{key}[{i}].")
            else:
                assert cited, f"{name}: {path}{key} has no source"

    walk(data, None, "")


@pytest.mark.parametrize("name", sorted(CALIBRATION))
def test_device_matches_calibration_table(name):
    sram, flash, clock = CALIBRATION[name]
    device = load_device(name)
    assert device.sram_bytes == sram
    assert device.flash_bytes == flash == device.flash.size_bytes
    assert device.clock_hz == clock


def test_named_memory_details():
    h743 = load_device("stm32h743")
    assert {b.name: b.size_bytes // KIB for b in h743.sram_banks}["AXI SRAM"] == 512
    assert h743.largest_sram_bank_bytes == 512 * KIB
    f746 = load_device("stm32f746")
    assert f746.flash.sector_sizes_bytes == (32 * KIB,) * 4 + (128 * KIB,) + (256 * KIB,) * 3
    assert f746.flash.erase_time_s == f746.flash.sector_erase_times_s[-1]
    assert f746.largest_contiguous_sram_bytes == 320 * KIB > f746.largest_sram_bank_bytes
    assert load_device("esp32s3").flash.external and load_device("rp2040").flash.external
    apollo = load_device("apollo4p")
    assert not apollo.flash.needs_erase and apollo.flash.erase_time_s == 0
    assert apollo.flash.endurance_cycles is None
    rp2040 = load_device("rp2040")
    assert rp2040.core.family == "cortex-m0plus" and not rp2040.core.has_fpu and rp2040.core.cores == 2


def test_unit_conversion_to_si():
    nrf = load_device("nrf52840")
    assert nrf.flash.program_time_s == pytest.approx(41e-6)
    assert nrf.flash.erase_time_s == pytest.approx(0.085)
    assert nrf.sleep_states[0].current_a == pytest.approx(1.5e-6)
    assert nrf.max_operating_point.power_w == pytest.approx(3.0 * 3.3e-3)
    f746 = load_device("stm32f746")  # 472 uA/MHz at 216 MHz
    assert f746.max_operating_point.run_current_a == pytest.approx(472e-6 * 216)


@pytest.mark.parametrize("name", sorted(BATTERIES))
def test_battery_matches_calibration_csv(name):
    nominal, cutoff, mah, cont_ma, pulse_ma, pct = BATTERIES[name]
    cell = load_battery(name.lower())
    assert cell.name == name
    assert (cell.nominal_voltage_v, cell.cutoff_voltage_v) == (nominal, cutoff)
    assert cell.capacity_mah == pytest.approx(mah)
    assert cell.capacity_c == pytest.approx(mah * 3.6)
    assert cell.max_continuous_current_a == pytest.approx(cont_ma * 1e-3)
    assert cell.max_pulse_current_a == (None if pulse_ma is None else pytest.approx(pulse_ma * 1e-3))
    assert cell.self_discharge_per_year == pytest.approx(pct / 100)
    assert "calibration/batteries.csv" in cell.source and "tag " in cell.source


def test_hw_models_imports_no_sibling_package_and_no_numpy():
    for module in (DATA.parent).glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for imported in names:
                assert imported.split(".")[0] not in {"emu", "cli", "workloads", "numpy"}, module.name
    code = "import sys, hw_models; hw_models.load_device('stm32h743'); print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
