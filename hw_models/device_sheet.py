"""A device described whole, as plain data: what ``tinyemu devices NAME`` prints and ``--json`` returns.

The names a scenario may give (sleep states, operating-point indices and labels) differ per device; a
user finds them here rather than in the preset file.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from hw_models.device import Device

__all__ = ["device_sheet", "sector_groups"]


def sector_groups(sizes_bytes: tuple[int, ...], erase_times_s: tuple[float, ...]) -> list[dict[str, Any]]:
    """Runs of equal sectors (size and erase time) in address order, each with its first sector's index:
    ``[{"first": 0, "count": 4, "size_bytes": 32768, "erase_time_s": 0.25}, ...]``."""
    out: list[dict[str, Any]] = []
    first = 0
    for (size, erase_s), run in groupby(zip(sizes_bytes, erase_times_s, strict=True)):
        count = len(list(run))
        out.append({"first": first, "count": count, "size_bytes": size, "erase_time_s": erase_s})
        first += count
    return out


def device_sheet(device: Device) -> dict[str, Any]:
    """Everything about ``device`` in SI units, with the citation of each value under ``sources``.

    Parameters
    ----------
    device : Device

    Returns
    -------
    dict
        ``name``, ``description``, ``core``, ``clock_hz``, ``supply_voltage_v``, ``operating_points``
        (with ``index`` and ``default``), ``sleep_states`` (``default``: the one used when a scenario
        names none), ``sram`` (total, banks, largest contiguous region), ``flash`` (geometry as runs of
        equal sectors, program and erase costs, endurance), ``dma``, ``source_path`` and ``sources``.
    """
    default_point = device.max_operating_point
    flash = device.flash
    return {
        "name": device.name,
        "description": device.description,
        "core": {
            "family": device.core.family,
            "cores": device.core.cores,
            "has_fpu": device.core.has_fpu,
            "has_dsp_simd": device.core.has_dsp_simd,
        },
        "clock_hz": device.clock_hz,
        "supply_voltage_v": device.supply_voltage_v,
        "operating_points": [
            {
                "index": i,
                "label": p.label,
                "clock_hz": p.clock_hz,
                "voltage_v": p.voltage_v,
                "core_voltage_v": p.core_voltage_v,
                "run_current_a": p.run_current_a,
                "power_w": p.power_w,
                "default": p is default_point,
            }
            for i, p in enumerate(device.operating_points)
        ],
        "sleep_states": [
            {
                "name": s.name,
                "current_a": s.current_a,
                "wakeup_s": s.wakeup_s,
                "retains_sram": s.retains_sram,
                "default": i == 0,
            }
            for i, s in enumerate(device.sleep_states)
        ],
        "sram": {
            "size_bytes": device.sram_bytes,
            "largest_contiguous_bytes": device.largest_contiguous_sram_bytes,
            "banks": [
                {"name": b.name, "size_bytes": b.size_bytes, "base_address": b.base_address}
                for b in device.sram_banks
            ],
            "access_energy_j_per_byte": device.sram_access_energy_j_per_byte,
        },
        "flash": {
            "size_bytes": flash.size_bytes,
            "external": flash.external,
            "needs_erase": flash.needs_erase,
            "sectors": sector_groups(flash.sector_sizes_bytes, flash.sector_erase_times_s),
            "program_unit_bytes": flash.program_unit_bytes,
            "program_time_s": flash.program_time_s,
            "program_current_a": flash.program_current_a,
            "erase_current_a": flash.erase_current_a,
            "endurance_cycles": flash.endurance_cycles,
            "read_wait_states": flash.read_wait_states,
            "read_width_bytes": flash.read_width_bytes,
            "read_throughput_bytes_per_s": flash.read_throughput_bytes_per_s,
        },
        "dma": {
            "throughput_bytes_per_s": device.dma.throughput_bytes_per_s,
            "current_a": device.dma.current_a,
            "memory_to_memory": device.dma.memory_to_memory,
        },
        "source_path": device.source_path,
        "sources": dict(device.sources),
    }
