"""``tinyemu run``: how long does a training session take on this chip, how many joules, and where?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import emu
from cli.options import JsonOpt, ScenarioFlags, scenario_default, section_default, with_scenario_flags
from cli.render import console, print_json
from cli.render.run import render_run
from emu.scenario.session import SessionSettings
from workloads.output_file import check_output_path


@with_scenario_flags
def run(
    flags: ScenarioFlags,
    samples: Annotated[
        int | None,
        typer.Option(
            help="Training samples per epoch.",
            show_default=section_default(SessionSettings, "session.samples"),
        ),
    ] = None,
    epochs: Annotated[
        int | None,
        typer.Option(
            help="Epochs of the session.", show_default=section_default(SessionSettings, "session.epochs")
        ),
    ] = None,
    clock: Annotated[
        float | None,
        typer.Option(
            "--clock",
            help="Core clock in MHz.",
            show_default=scenario_default("session.clock_mhz", "the device's default operating point"),
        ),
    ] = None,
    trace: Annotated[
        Path | None,
        typer.Option("--trace", help="Write a Chrome/Perfetto trace-event JSON file.", show_default=False),
    ] = None,
    analytical: Annotated[
        bool, typer.Option("--analytical", help="Sum task costs without the event queue (no overlap).")
    ] = False,
    all_layers: Annotated[bool, typer.Option("--all-layers", help="Show every layer.")] = False,
    json_output: JsonOpt = False,
) -> None:
    """Simulate one training session (time, energy, breakdowns); exit code 1 when it does not fit."""
    session = {"samples": samples, "epochs": epochs, "clock_mhz": clock}
    if trace is not None:
        check_output_path(trace, "--trace")
    chosen = flags.build(extra={"session": session})
    result = emu.simulate(chosen, mode="analytical" if analytical else "event", trace=trace is not None)
    if trace is not None:
        from emu.sim.trace import write_trace

        write_trace(result, trace)
    if json_output:
        print_json(result.to_dict())
    else:
        render_run(result, console(), all_layers)
    if not result.feasible:
        raise typer.Exit(1)
