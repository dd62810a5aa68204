"""``tinyemu inspect``: a model's layers, shapes, parameters, MACs and what trains under a plan."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cli.options import JsonOpt, SetOpt
from cli.render import console, print_json
from cli.render.inspect import render_inspect
from emu.errors import ScenarioError
from emu.lower.inspection import inspect_model
from emu.scenario.scenario import parse_assignment
from workloads.plan import TrainingPlan

_PLAN = TrainingPlan.__dataclass_fields__


def _shown(key: str) -> str:
    return "--no-reorder" if key == "reorder" else str(_PLAN[key].default)


UpdateOpt = Annotated[
    str | None, typer.Option(help="none | full | last:K | bias | sparse", show_default=_shown("update"))
]
OptimizerOpt = Annotated[
    str | None, typer.Option(help="sgd | sgd-momentum | adam", show_default=_shown("optimizer"))
]
BatchOpt = Annotated[
    int | None, typer.Option("--batch", help="Samples per training step.", show_default=_shown("batch_size"))
]
PrecisionOpt = Annotated[str | None, typer.Option(help="fp32 | int8", show_default=_shown("precision"))]
ReorderOpt = Annotated[
    bool | None,
    typer.Option(
        "--reorder/--no-reorder",
        help="Apply each update as soon as its gradient exists.",
        show_default=_shown("reorder"),
    ),
]

ModelArg = Annotated[
    str, typer.Argument(help="Zoo model name or model file (.onnx, .tflite).", show_default=False)
]


def inspect(
    model: ModelArg,
    update: UpdateOpt = None,
    optimizer: OptimizerOpt = None,
    batch: BatchOpt = None,
    precision: PrecisionOpt = None,
    reorder: ReorderOpt = None,
    assignments: SetOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Show a model's layers with shapes, parameters, MACs and what trains under a plan (default full)."""
    plan_values: dict[str, Any] = {}
    model_options: dict[str, Any] = {}
    for text in assignments or []:
        section, key, value = parse_assignment(text)
        if section not in ("plan", "model"):
            raise ScenarioError("--set", section, text, "plan.KEY=VALUE or model.OPTION=VALUE for inspect")
        (plan_values if section == "plan" else model_options)[key] = value
    for key, value in (
        ("update", update),
        ("optimizer", optimizer),
        ("batch_size", batch),
        ("precision", precision),
        ("reorder", reorder),
    ):
        if value is not None:
            plan_values[key] = value
    inspection = inspect_model(model, plan_values, model_options)
    if json_output:
        print_json(inspection.to_dict())
    else:
        render_inspect(inspection.to_dict(), console())
