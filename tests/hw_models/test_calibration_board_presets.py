"""The presets of the MLPerf Tiny calibration boards load, cite every value, and match the calibration CSV."""

import pytest

from emu.fidelity.validation import SOC_PRESETS
from hw_models.calibration import calibration_rows
from hw_models.cores import core_table_names, load_core_table
from hw_models.loader import device_names, load_device

KIB = 1024
NEW = ("stm32h7a3", "nrf5340", "psoc62", "ra8d1")
TAGS = ("V", "V-3p", "D", "U", "DS", "E")


def _rows_of(preset: str):
    return [r for r in calibration_rows() if SOC_PRESETS.get(r.soc) == preset]


@pytest.mark.parametrize("name", NEW)
def test_preset_loads_and_cites_a_tagged_source(name):
    device = load_device(name)
    assert name in device_names() and device.name == name
    fields = ["core.family", "supply_voltage_v", "sram_bytes", "flash_bytes", "flash.program_time_s"]
    fields += ["dma.throughput_bytes_per_s", "dma.current_a", "dma.memory_to_memory"]
    fields += [f"operating_points[{i}].run_current_a" for i in range(len(device.operating_points))]
    fields += [f"sleep_states[{i}].current_a" for i in range(len(device.sleep_states))]
    for field in fields:
        citation = device.sources.get(field, "")
        assert any(tag in citation for tag in TAGS), (name, field, citation)
    assert device.sleep_states and any(s.retains_sram for s in device.sleep_states)


@pytest.mark.parametrize("name", NEW)
def test_preset_matches_its_calibration_rows(name):
    rows = _rows_of(name)
    assert rows, f"no calibration row maps to {name}"
    device = load_device(name)
    assert {r.core for r in rows} == {device.core.family}
    assert {r.clock_hz for r in rows} == {device.clock_hz}
    assert device.core.family in core_table_names()


def test_memory_geometry():
    h7a3 = load_device("stm32h7a3")
    assert h7a3.sram_bytes == 1376 * KIB and h7a3.largest_contiguous_sram_bytes == 1024 * KIB
    assert h7a3.flash.sector_sizes_bytes == (8 * KIB,) * 256 and h7a3.flash.program_unit_bytes == 16
    psoc = load_device("psoc62")
    assert (psoc.sram_bytes, psoc.flash_bytes) == (1024 * KIB, 2048 * KIB)
    assert psoc.flash.largest_sector_bytes == 512 == psoc.flash.program_unit_bytes
    nrf = load_device("nrf5340")
    assert (nrf.sram_bytes, nrf.flash_bytes) == (512 * KIB, 1024 * KIB) and not nrf.dma.memory_to_memory
    ra8 = load_device("ra8d1")
    assert (ra8.sram_bytes, ra8.flash_bytes) == (1024 * KIB, 2048 * KIB)
    assert ra8.flash.sector_sizes_bytes[:8] == (8 * KIB,) * 8 and ra8.flash.largest_sector_bytes == 32 * KIB


def test_h7a3_measured_board_power_is_the_readme_midpoint_not_the_default():
    h7a3 = load_device("stm32h7a3")
    measured = next(p for p in h7a3.operating_points if "measured" in p.label)
    assert 0.122 <= measured.power_w <= 0.136
    assert (
        h7a3.max_operating_point is h7a3.operating_points[0]
        and "measured" not in h7a3.operating_points[0].label
    )


def test_cortex_m85_table_is_fitted_on_the_ra8d1_rows():
    table = load_core_table("cortex-m85")
    source = table.kernel("optimized", "int8", "conv").source
    assert "fitted" in source and "RA8D1" in source
    assert (
        table.kernel("optimized", "int8", "conv").cycles_per_mac
        < load_core_table("cortex-m7").kernel("optimized", "int8", "conv").cycles_per_mac
    )
