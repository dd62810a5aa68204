"""``tinyemu inspect``: a model's layers, shapes, parameters, MACs and what trains under a plan."""

from __future__ import annotations

from math import ceil
from typing import Annotated, Any

import typer

from cli.options import BatchOpt, JsonOpt, OptimizerOpt, PrecisionOpt, ReorderOpt, SetOpt, UpdateOpt
from cli.render import console, print_json
from cli.render.inspect import render_inspect
from emu.errors import ScenarioError
from emu.scenario import parse_assignment
from workloads.graph import Graph, Node
from workloads.plan import LayerTraining, TrainingPlan
from workloads.zoo import build_model

ModelArg = Annotated[str, typer.Argument(help="Zoo model name or ONNX file (.onnx).", show_default=False)]


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
    graph, model_precision, source = _load(model, model_options)
    plan_values.setdefault("precision", model_precision)
    plan = TrainingPlan(**plan_values, source="command line")
    document = describe(graph, plan, source, model_precision)
    if json_output:
        print_json(document)
    else:
        render_inspect(document, console())


def _load(model: str, options: dict[str, Any]) -> tuple[Graph, str, str]:
    """The graph, the precision the model file asks for, and where it came from."""
    if model.endswith(".onnx"):
        from workloads.onnx_import import import_onnx  # optional extra: only for ONNX files

        if options:
            key = next(iter(options))
            raise ScenarioError("--set", f"model.{key}", options[key], "no model options for an ONNX file")
        imported = import_onnx(model)
        return imported.graph, imported.precision, imported.source_path
    return build_model(model, "command line", **options), "fp32", "zoo"


def _trained_params(node: Node, training: LayerTraining | None) -> int:
    if training is None:
        return 0
    channels = node.output_shape[-1]
    rows = ceil(training.weight_fraction * channels) if training.weight_fraction > 0 else 0
    return node.weight_count // channels * rows + (node.bias_count if training.bias else 0)


def describe(graph: Graph, plan: TrainingPlan, source: str, model_precision: str) -> dict[str, Any]:
    """The ``--json`` document of ``tinyemu inspect``."""
    trained = plan.resolve(graph)
    layers = []
    for node in graph:
        training = trained.get(node.name)
        layers.append(
            {
                "name": node.name,
                "kind": node.kind,
                "inputs": list(node.inputs),
                "output_shape": list(node.output_shape),
                "params": node.param_count,
                "macs": node.macs,
                "trains": {
                    "weight_fraction": training.weight_fraction if training else 0.0,
                    "bias": training.bias if training else False,
                    "params": _trained_params(node, training),
                },
            }
        )
    return {
        "name": graph.name,
        "source": source,
        "input_shape": list(graph.input_shape),
        "output_shape": list(graph.output.output_shape),
        "loss": graph.loss,
        "model_precision": model_precision,
        "plan": plan.describe(),
        "params": graph.params,
        "trained_params": sum(layer["trains"]["params"] for layer in layers),
        "macs": graph.macs,
        "layers": layers,
    }
