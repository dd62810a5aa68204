"""``tinyemu devices``: the device presets, or one device whole."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.options import JsonOpt
from cli.render import console, print_json
from cli.render.catalog import render_devices
from cli.render.device import render_device
from hw_models.loader import device_names, load_device


def devices(
    name: Annotated[
        str | None,
        typer.Argument(
            help="A preset name or device TOML path: show that device whole (operating points, sleep "
            "states, SRAM banks, flash geometry, DMA). Without it: list the presets.",
            show_default=False,
        ),
    ] = None,
    sources: Annotated[
        bool, typer.Option("--sources", help="With NAME: also print the citation of every value.")
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """List the device presets (core, maximum clock, SRAM, flash), or show one device whole."""
    if name is not None:
        from emu.scenario.devices import describe_device

        sheet = describe_device(name)
        if json_output:
            print_json(sheet)
        else:
            render_device(sheet, console(), sources)
        return
    rows = []
    for preset in device_names():
        d = load_device(preset)
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
