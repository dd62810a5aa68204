"""``tinyemu run``: how long does a training session take on this chip, how many joules, and where?"""

from __future__ import annotations

from pathlib import Path
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
from cli.render.run import render_run
from emu.trace import write_trace


def run(
    scenario: ScenarioFile = None,
    device: DeviceOpt = None,
    model: ModelOpt = None,
    update: UpdateOpt = None,
    optimizer: OptimizerOpt = None,
    batch: BatchOpt = None,
    precision: PrecisionOpt = None,
    reorder: ReorderOpt = None,
    assignments: SetOpt = None,
    samples: Annotated[int | None, typer.Option(help="Training samples per epoch.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Epochs of the session.")] = None,
    clock: Annotated[float | None, typer.Option("--clock", help="Core clock in MHz.")] = None,
    trace: Annotated[
        Path | None, typer.Option("--trace", help="Write a Chrome/Perfetto trace-event JSON file.")
    ] = None,
    analytical: Annotated[
        bool, typer.Option("--analytical", help="Sum task costs without the event queue (no overlap).")
    ] = False,
    all_layers: Annotated[bool, typer.Option("--all-layers", help="Show every layer.")] = False,
    json_output: JsonOpt = False,
) -> None:
    """Simulate one training session (time, energy, breakdowns); exit code 1 when it does not fit."""
    session = {"samples": samples, "epochs": epochs, "clock_mhz": clock}
    chosen = build_scenario(
        scenario,
        device,
        model,
        update,
        optimizer,
        batch,
        precision,
        reorder,
        assignments,
        extra={"session": session},
    )
    result = emu.simulate(chosen, mode="analytical" if analytical else "event", trace=trace is not None)
    if trace is not None:
        write_trace(result, trace)
    if json_output:
        print_json(result.to_dict())
    else:
        render_run(result, console(), all_layers)
    if not result.feasible:
        raise typer.Exit(1)
