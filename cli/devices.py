"""``tinyemu devices``: the device presets."""

from __future__ import annotations

from cli.options import JsonOpt
from cli.render import console, print_json
from cli.render.catalog import render_devices
from hw_models.loader import device_names, load_device


def devices(json_output: JsonOpt = False) -> None:
    """List the device presets: core, maximum clock, SRAM and flash."""
    rows = []
    for name in device_names():
        d = load_device(name)
        rows.append(
            {
                "name": d.name,
                "core": d.core.family,
                "clock_hz": d.clock_hz,
                "sram_bytes": d.sram_bytes,
                "flash_bytes": d.flash_bytes,
                "description": d.description,
            }
        )
    if json_output:
        print_json(rows)
    else:
        render_devices(rows, console())
