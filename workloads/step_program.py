"""The lowered training step as data: its tasks, tensors and lifetimes, and the sizes it is built from.

:func:`workloads.program.lower` builds a :class:`StepProgram`; the memory planner, the cost model, the
recomputation rewrite and the executor read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from workloads.graph import Graph, Node
from workloads.plan import LayerTraining, TrainingPlan

SRAM_CATEGORIES = (
    "input_batch",
    "trained_weights",
    "activations_saved",
    "transient",
    "gradients",
    "optimizer_state",
    "workspace",
)
"""Breakdown categories of SRAM, in report order."""

GRADIENT_BYTES = 4
"""Gradients and optimizer state are fp32 in both precisions."""


@dataclass(frozen=True)
class Tensor:
    """A buffer the step program allocates in SRAM."""

    name: str
    size_bytes: int
    category: str
    layer: str


@dataclass(frozen=True)
class Task:
    """One kernel call of the step program.

    ``macs`` and ``elementwise_ops`` are for the whole batch; ``param_updates`` counts the parameters an
    update task writes. ``calls`` is how many kernel calls the task stands for: with micro-batching, a
    forward or backward task is the plan's ``micro_steps`` calls on one micro-batch each.
    """

    index: int
    phase: str
    action: str
    layer: str
    kind: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    macs: int = 0
    elementwise_ops: int = 0
    param_updates: int = 0
    calls: int = 1


@dataclass(frozen=True)
class StepProgram:
    """The lowered training step: tasks in order, tensors with [first, last] task lifetimes.

    ``gradient_nodes`` are the nodes whose output gradient the backward computes: the executor
    (:class:`workloads.step.CompiledStep`) binds backward kernels for exactly these, so what the cost side
    prices and what the kernels run are decided here, once.
    """

    graph: Graph
    plan: TrainingPlan
    training: dict[str, LayerTraining]
    tasks: tuple[Task, ...]
    tensors: dict[str, Tensor]
    lifetimes: dict[str, tuple[int, int]]
    gradient_nodes: frozenset[str]

    def live_at(self, index: int) -> list[Tensor]:
        """Tensors alive during task ``index``."""
        return [self.tensors[n] for n, (a, b) in self.lifetimes.items() if a <= index <= b]


def weight_bytes(plan: TrainingPlan) -> int:
    """Bytes per stored weight: int8 weights in the int8 precision, else fp32."""
    return 1 if plan.precision == "int8" else 4


def activation_bytes(plan: TrainingPlan) -> int:
    """Bytes per forward activation element."""
    return 1 if plan.precision == "int8" else 4


BIAS_BYTES = 4
"""Biases are int32 in int8 deployments and fp32 otherwise: 4 bytes either way."""


def trained_out_channels(node: Node, training: LayerTraining) -> int:
    """Output channels whose weights train (sparse update trains a leading fraction)."""
    out_channels = node.output_shape[-1]
    return ceil(training.weight_fraction * out_channels) if training.weight_fraction > 0 else 0


def trained_weight_count(node: Node, training: LayerTraining) -> int:
    """Weights of ``node`` that train under ``training``."""
    if not node.weight_count:
        return 0
    per_channel = node.weight_count // node.output_shape[-1]
    return per_channel * trained_out_channels(node, training)


def trained_param_count(node: Node, training: LayerTraining) -> int:
    """Weights plus biases of ``node`` that train."""
    return trained_weight_count(node, training) + (node.bias_count if training.bias else 0)


def stored_param_bytes(graph: Graph, plan: TrainingPlan) -> dict[str, int]:
    """Bytes each layer keeps in flash: frozen weights (execute in place) and the stored copy of trained ones.

    Every parameter has its home in flash (the deployed model); batch-norm parameters and running
    statistics are stored fp32.
    """
    result = {}
    for node in graph:
        if not node.param_count and not node.buffer_count:
            continue
        wbytes = 4 if node.kind == "batchnorm" else weight_bytes(plan)
        result[node.name] = node.weight_count * wbytes + node.bias_count * BIAS_BYTES + node.buffer_count * 4
    return result
