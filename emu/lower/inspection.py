"""``emu.inspect_model``: what a model became (zoo or imported) and what a plan trains in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emu.scenario.scenario import MODEL_FILE_SUFFIXES, load_model
from workloads.graph import Graph
from workloads.plan import TrainingPlan
from workloads.step_program import trained_param_count


@dataclass(frozen=True)
class ModelInspection:
    """A model's layers with shapes, parameters and MACs, and what ``plan`` trains in each."""

    graph: Graph
    plan: TrainingPlan
    source: str
    model_precision: str

    def to_dict(self) -> dict[str, Any]:
        """The ``tinyemu inspect --json`` document (its key names are a contract)."""
        trained = self.plan.resolve(self.graph)
        layers = []
        trained_params = 0
        for node in self.graph:
            training = trained.get(node.name)
            params = trained_param_count(node, training) if training else 0
            trained_params += params
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
                        "params": params,
                    },
                }
            )
        return {
            "name": self.graph.name,
            "source": self.source,
            "input_shape": list(self.graph.input_shape),
            "output_shape": list(self.graph.output.output_shape),
            "loss": self.graph.loss,
            "model_precision": self.model_precision,
            "plan": self.plan.describe(),
            "params": self.graph.params,
            "trained_params": trained_params,
            "macs": self.graph.macs,
            "layers": layers,
        }


def inspect_model(
    model: str,
    plan_values: dict[str, Any] | None = None,
    model_options: dict[str, Any] | None = None,
    source: str = "command line",
) -> ModelInspection:
    """Load a zoo model by name or a model file by path and resolve ``plan_values`` on it (default: full).

    A quantised model file defaults the plan to int8, as a scenario does.
    """
    graph, _, quantization = load_model(model, source, **(model_options or {}))
    model_precision = "int8" if quantization else "fp32"
    values = {"update": "full", "precision": model_precision, **(plan_values or {})}
    plan = TrainingPlan(**values, source=source)
    return ModelInspection(
        graph, plan, model if str(model).endswith(MODEL_FILE_SUFFIXES) else "zoo", model_precision
    )
