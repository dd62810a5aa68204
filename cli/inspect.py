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


def _plan_option(name: str, text: str, key: str, kind: type) -> Any:
    shown = _PLAN[key].default if key != "reorder" else "--no-reorder"
    return Annotated[kind | None, typer.Option(name, help=text, show_default=str(shown))]


UpdateOpt = _plan_option("--update", "none | full | last:K | bias | sparse", "update", str)
OptimizerOpt = _plan_option("--optimizer", "sgd | sgd-momentum | adam", "optimizer", str)
BatchOpt = _plan_option("--batch", "Samples per training step.", "batch_size", int)
PrecisionOpt = _plan_option("--precision", "fp32 | int8", "precision", str)
ReorderOpt = _plan_option(
    "--reorder/--no-reorder", "Apply each update as soon as its gradient exists.", "reorder", bool
)

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
