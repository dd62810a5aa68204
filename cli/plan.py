"""``tinyemu plan``: does this training plan fit on this chip, and where does the memory go?"""

from __future__ import annotations

from typing import Annotated

import typer

import emu
from cli.options import (
    BatchOpt,
    DeviceOpt,
    JsonOpt,
    ModelOpt,
    OptimizerOpt,
    PrecisionOpt,
    ReorderOpt,
    ScenarioFile,
    SetOpt,
    UpdateOpt,
    build_scenario,
)
from cli.render import console, print_json
from cli.render.plan import render_plan


def plan(
    scenario: ScenarioFile = None,
    device: DeviceOpt = None,
    model: ModelOpt = None,
    update: UpdateOpt = None,
    optimizer: OptimizerOpt = None,
    batch: BatchOpt = None,
    precision: PrecisionOpt = None,
    reorder: ReorderOpt = None,
    assignments: SetOpt = None,
    all_layers: Annotated[bool, typer.Option("--all-layers", help="Show every layer.")] = False,
    json_output: JsonOpt = False,
) -> None:
    """Plan the memory of one training step; exit code 1 when it does not fit."""
    chosen = build_scenario(
        scenario, device, model, update, optimizer, batch, precision, reorder, assignments
    )
    result = emu.plan(chosen)
    if json_output:
        print_json(result.to_dict())
    else:
        render_plan(result, console(), all_layers)
    if not result.feasible:
        raise typer.Exit(1)
