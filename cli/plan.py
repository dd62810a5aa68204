"""``tinyemu plan``: does this training plan fit on this chip, and where does the memory go?"""

from __future__ import annotations

from typing import Annotated

import typer

import emu
from cli.options import JsonOpt, ScenarioFlags, with_scenario_flags
from cli.render import console, print_json
from cli.render.plan import render_plan


@with_scenario_flags
def plan(
    flags: ScenarioFlags,
    all_layers: Annotated[bool, typer.Option("--all-layers", help="Show every layer.")] = False,
    json_output: JsonOpt = False,
) -> None:
    """Plan the memory of one training step; exit code 1 when it does not fit."""
    chosen = flags.build()
    result = emu.plan(chosen)
    if json_output:
        print_json(result.to_dict())
    else:
        render_plan(result, console(), all_layers)
    if not result.feasible:
        raise typer.Exit(1)
