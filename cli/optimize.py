"""``tinyemu optimize``: the cheapest plan that fits (micro-batches, recomputation), and the trade-off."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from cli.options import JsonOpt, ScenarioFlags, with_scenario_flags
from cli.render import console, print_json
from cli.render.optimize import render_optimize
from workloads.output_file import check_output_path


@with_scenario_flags
def optimize(
    flags: ScenarioFlags,
    allow: Annotated[
        list[str] | None,
        typer.Option(
            "--allow",
            help="What the search may change: micro_batch, recompute (repeatable or comma-separated; "
            "default both). The rest of the plan stays as given.",
        ),
    ] = None,
    sram_budget_kib: Annotated[
        float | None,
        typer.Option(
            "--sram-budget",
            help="SRAM the step may take, in KiB, reserve included (default: the device's SRAM).",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the chosen plan as a scenario TOML file.")
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Find the least-energy plan that fits; exit code 1 (with what overflows) when none does."""
    from emu.errors import ScenarioError
    from emu.study.optimization import optimize as run_optimize
    from emu.study.optimization import parse_allow
    from emu.study.scenario_file import write_scenario

    levers = parse_allow(allow)
    budget = None
    if sram_budget_kib is not None:
        if not math.isfinite(sram_budget_kib) or not 0 < sram_budget_kib <= 2**30:
            raise ScenarioError(
                "--sram-budget", "sram_budget", sram_budget_kib, "a finite number of KiB in (0, 1073741824]"
            )
        budget = int(round(sram_budget_kib * 1024))
    if out is not None:
        check_output_path(out, "--out", (".toml",))
    chosen = flags.build()
    result = run_optimize(chosen, levers, budget)
    written = None
    if out is not None and result.feasible:
        note = f"tinyemu optimize of {chosen.name}: {result.chosen.plan.describe()}"
        written = write_scenario(result.chosen, out, note)
    if json_output:
        document = result.to_dict()
        document["written"] = str(written) if written else None
        print_json(document)
    else:
        render_optimize(result, console(), written)
    if not result.feasible:
        raise typer.Exit(1)
