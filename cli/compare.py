"""``tinyemu compare``: several training plans side by side, from memory to lifetime (and accuracy)."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.options import JsonOpt, ScenarioFlags, horizon_default, section_default, with_scenario_flags
from cli.render import console, print_json
from cli.render.compare import render_comparison
from emu.scenario.train import TrainSettings


@with_scenario_flags
def compare(
    flags: ScenarioFlags,
    variants: Annotated[
        list[str] | None,
        typer.Option(
            "--variant",
            help="A plan to compare: a policy (bias, last:2) or plan fields (update=full,precision=int8); "
            "repeatable.",
            show_default="the scenario's plan, bias, last:1, last:2, full",
        ),
    ] = None,
    accuracy: Annotated[
        bool, typer.Option("--accuracy", help="Also train each plan on data (seconds per plan).")
    ] = False,
    horizon: Annotated[
        str | None,
        typer.Option(
            "--horizon",
            help="Lifetime horizon: 3600s, 12h, 90d, 2w, 5y.",
            show_default=horizon_default(),
        ),
    ] = None,
    objective: Annotated[
        str | None,
        typer.Option(
            "--objective",
            help="What the pick weighs: pareto (lifetime and accuracy together), lifetime, or accuracy "
            "(pareto and accuracy train each plan, as --accuracy does).",
            show_default="pareto with --accuracy, else lifetime",
        ),
    ] = None,
    epochs: Annotated[
        int | None,
        typer.Option(
            help="Fine-tuning epochs with --accuracy.",
            show_default=section_default(TrainSettings, "train.epochs"),
        ),
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Compare plans: fits?, step time and energy, lifetime, accuracy; exit code 1 when none fits."""
    from emu.scenario.deployment import parse_duration_s
    from emu.study.comparison import compare as run_comparison
    from emu.study.comparison import parse_variant

    horizon_s = None if horizon is None else parse_duration_s(horizon, "--horizon", "--horizon")
    chosen = flags.build()
    parsed = [parse_variant(text) for text in variants] if variants else None
    result = run_comparison(
        chosen, parsed, accuracy=accuracy, horizon_s=horizon_s, epochs=epochs, objective=objective
    )
    if json_output:
        print_json(result.to_dict())
    else:
        render_comparison(result, console())
    if result.longest_living is None:
        raise typer.Exit(1)
