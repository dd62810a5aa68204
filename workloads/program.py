"""Lowering: a graph and a training plan become the ordered program of one training step.

The program is a list of tasks (forward, loss, backward-data, backward-weight, update) and the tensors
each touches. Which forward tensors a backward task keeps alive follows these rules (after TinyTL's
memory accounting, extended so that frozen layers between trainable ones still pass gradients back):

* A layer needs a backward pass only if it trains or a layer before it trains; the gradient of an input
  is computed only where something upstream of that input trains.
* Convolution and dense layers keep their input only if their weights train (the bias gradient is a
  sum over the output gradient; the input gradient needs only the weights).
* Batch-norm runs in frozen mode (running statistics) and keeps its input only if gamma trains.
* ReLU and ReLU6 keep a 1-bit mask; max-pool keeps a 1-byte argmax index per output element; pools,
  adds, flatten and dropout keep nothing.
* Flatten and dropout alias their input; ReLU, ReLU6 and batch-norm run in place when nothing else
  reads their input afterwards (the usual fused-activation behaviour of MCU inference engines).
* Weight gradients live until their update: to the end of the backward pass, or, with ``reorder``,
  only until the layer's update runs right after its backward pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from workloads.graph import Graph, Node
from workloads.layers import ALIASING_KINDS, ELEMENTWISE_KINDS, Conv2d
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
    update task writes.
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


@dataclass(frozen=True)
class StepProgram:
    """The lowered training step: tasks in order, tensors with [first, last] task lifetimes."""

    graph: Graph
    plan: TrainingPlan
    training: dict[str, LayerTraining]
    tasks: tuple[Task, ...]
    tensors: dict[str, Tensor]
    lifetimes: dict[str, tuple[int, int]]

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


class _Lowering:
    """Builds one StepProgram; used once by :func:`lower`."""

    def __init__(self, graph: Graph, plan: TrainingPlan) -> None:
        self.graph = graph
        self.plan = plan
        self.training = plan.resolve(graph) if plan.trains else {}
        self.batch = plan.batch_size
        self.act_bytes = activation_bytes(plan)
        self.tasks: list[Task] = []
        self.tensors: dict[str, Tensor] = {}
        self.first: dict[str, int] = {}
        self.last: dict[str, int] = {}
        self.output_of: dict[str, str] = {}  # node -> tensor holding its output
        self.grad_of: dict[str, str] = {}  # node -> tensor holding the gradient of its output
        self.upstream_trains = self._upstream_trains()

    def _upstream_trains(self) -> dict[str, bool]:
        flags: dict[str, bool] = {}
        for node in self.graph:
            flags[node.name] = node.name in self.training or any(flags[i] for i in node.inputs)
        return flags

    def needs_backward(self, node: Node) -> bool:
        return self.plan.trains and self.upstream_trains[node.name] and node.kind != "input"

    def input_needs_grad(self, node: Node) -> list[str]:
        return [i for i in node.inputs if self.upstream_trains[i] and self.graph[i].kind != "input"]

    # -- tensors and tasks ---------------------------------------------------------------------------
    def tensor(self, name: str, size_bytes: int, category: str, layer: str) -> str:
        self.tensors[name] = Tensor(name, max(int(size_bytes), 1), category, layer)
        return name

    def task(
        self,
        phase: str,
        action: str,
        node: Node,
        reads: list[str],
        writes: list[str],
        macs: int = 0,
        ops: int = 0,
        updates: int = 0,
    ) -> Task:
        index = len(self.tasks)
        task = Task(
            index, phase, action, node.name, node.kind, tuple(reads), tuple(writes), macs, ops, updates
        )
        self.tasks.append(task)
        for name in (*reads, *writes):
            self.first.setdefault(name, index)
            self.last[name] = index
        return task

    # -- which forward outputs backward reads ----------------------------------------------------------
    def saved_inputs(self, node: Node) -> bool:
        """Whether the backward pass of ``node`` reads its full input activation."""
        if not self.needs_backward(node):
            return False
        training = self.training.get(node.name)
        if node.kind in ("conv2d", "dense", "batchnorm"):
            return training is not None and training.weight_fraction > 0
        return False

    def keeps_mask(self, node: Node) -> bool:
        return node.kind in ("relu", "relu6", "maxpool") and bool(self.input_needs_grad(node))

    # -- program ---------------------------------------------------------------------------------------
    def lower(self) -> StepProgram:
        saved_nodes = {i for n in self.graph if self.saved_inputs(n) for i in n.inputs}
        self._forward(saved_nodes)
        if self.plan.trains:
            self._loss()
            self._backward()
            if not self.plan.reorder:
                for node in self.graph:
                    if node.name in self.training:
                        self._update(node)
        self._persistent()
        self._mark_saved()
        lifetimes = {n: (self.first[n], self.last[n]) for n in self.tensors if n in self.first}
        tensors = {n: t for n, t in self.tensors.items() if n in lifetimes}
        return StepProgram(self.graph, self.plan, self.training, tuple(self.tasks), tensors, lifetimes)

    def _forward(self, saved_nodes: set[str]) -> None:
        graph, batch = self.graph, self.batch
        for node in graph:
            if node.kind == "input":
                size = batch * node.output_elements * self.act_bytes
                self.output_of[node.name] = self.tensor("input", size, "input_batch", node.name)
                if self.plan.trains:
                    self._labels()
                self.first["input"] = 0
                continue
            inputs = [self.output_of[i] for i in node.inputs]
            if self._aliases(node, saved_nodes):
                out = inputs[0]
            else:
                category = "activations_saved" if node.name in saved_nodes else "transient"
                size = batch * node.output_elements * self.act_bytes
                out = self.tensor(f"act:{node.name}", size, category, node.name)
            self.output_of[node.name] = out
            writes = [out]
            if self.keeps_mask(node):
                per_element = 1 / 8 if node.kind != "maxpool" else 1
                mask = self.tensor(
                    f"mask:{node.name}",
                    ceil(batch * node.output_elements * per_element),
                    "activations_saved",
                    node.name,
                )
                writes.append(mask)
            workspace = self._workspace(node)
            if workspace:
                writes.append(workspace)
            reads = inputs + self._weights_read(node)
            self.task(
                "forward", "forward", node, reads, writes, node.macs * batch, node.elementwise_ops * batch
            )

    def _aliases(self, node: Node, saved_nodes: set[str]) -> bool:
        if node.kind in ALIASING_KINDS:
            return True
        if node.kind not in ELEMENTWISE_KINDS:
            return False
        source = node.inputs[0]
        return (
            self.graph[source].kind != "input"
            and len(self.graph.consumers(source)) == 1
            and source not in saved_nodes
            and self.output_of[source] not in self._aliased_saved(saved_nodes)
        )

    def _aliased_saved(self, saved_nodes: set[str]) -> set[str]:
        return {self.output_of[n] for n in saved_nodes if n in self.output_of}

    def _labels(self) -> None:
        out = self.graph.output
        per_sample = 4 if self.graph.loss == "softmax_cross_entropy" else out.output_elements * self.act_bytes
        self.tensor("labels", self.batch * per_sample, "input_batch", "input")
        self.first["labels"] = 0

    def _workspace(self, node: Node, action: str = "forward") -> str | None:
        """Partial im2col buffer of a standard convolution: two columns (the CMSIS-NN scheme)."""
        layer = node.layer
        if not isinstance(layer, Conv2d) or layer.is_depthwise or layer.is_pointwise():
            return None
        kh, kw = layer.kernel
        column = kh * kw * node.input_shapes[0][2] // layer.groups
        element = 2 if self.plan.precision == "int8" and action == "forward" else 4
        return self.tensor(f"ws:{action}:{node.name}", 2 * column * element, "workspace", node.name)

    def _weights_read(self, node: Node) -> list[str]:
        training = self.training.get(node.name)
        if training is None or not node.param_count:
            return []
        return [self._trained_weights(node, training)]

    def _trained_weights(self, node: Node, training: LayerTraining) -> str:
        name = f"w:{node.name}"
        if name not in self.tensors:
            wbytes = 4 if node.kind == "batchnorm" else weight_bytes(self.plan)
            size = trained_weight_count(node, training) * wbytes + (
                node.bias_count * BIAS_BYTES if training.bias else 0
            )
            self.tensor(name, size, "trained_weights", node.name)
        return name

    def _loss(self) -> None:
        out = self.graph.output
        grad = self.tensor(
            f"grad:{out.name}", self.batch * out.output_elements * GRADIENT_BYTES, "transient", out.name
        )
        self.grad_of[out.name] = grad
        probs = self.tensor("ws:loss", self.batch * out.output_elements * 4, "workspace", out.name)
        self.task(
            "loss",
            "loss",
            out,
            [self.output_of[out.name], "labels"],
            [grad, probs],
            0,
            self.batch * out.output_elements * 3,
        )

    def _backward(self) -> None:
        batch = self.batch
        for node in reversed(self.graph.nodes):
            if not self.needs_backward(node) or node.name not in self.grad_of:
                continue
            grad_out = self.grad_of[node.name]
            need = self.input_needs_grad(node)
            training = self.training.get(node.name)
            # weight gradient first: the data gradient may then overwrite grad_out in place
            if training is not None:
                reads = [grad_out] + ([self.output_of[node.inputs[0]]] if self.saved_inputs(node) else [])
                grad = self.tensor(
                    f"wgrad:{node.name}",
                    trained_param_count(node, training) * GRADIENT_BYTES,
                    "gradients",
                    node.name,
                )
                ws = self._workspace(node, "backward_weight") if training.weight_fraction else None
                macs = (
                    node.macs * batch * trained_out_channels(node, training) // node.output_shape[-1]
                    if node.weight_count
                    else 0
                )
                self.task(
                    "backward",
                    "backward_weight",
                    node,
                    reads,
                    [grad] + ([ws] if ws else []),
                    macs,
                    batch * node.output_elements if training.bias else 0,
                )
            if need:
                reads = [grad_out] + self._backward_data_reads(node)
                writes = [self._grad_for(i, node, grad_out) for i in need]
                ws = self._workspace(node, "backward_data")
                writes += [ws] if ws else []
                macs = node.macs * batch
                self.task(
                    "backward", "backward_data", node, reads, writes, macs, node.elementwise_ops * batch
                )
            if training is not None and self.plan.reorder:
                self._update(node)

    def _backward_data_reads(self, node: Node) -> list[str]:
        reads = []
        if f"mask:{node.name}" in self.tensors:
            reads.append(f"mask:{node.name}")
        if node.name in self.training and node.param_count:
            reads.append(self._trained_weights(node, self.training[node.name]))
        return reads

    def _grad_for(self, source: str, node: Node, grad_out: str) -> str:
        """The buffer that receives the gradient of ``source``'s output from ``node``'s backward."""
        if source in self.grad_of:
            return self.grad_of[source]  # a branch point: accumulate into the existing buffer
        single_consumer = len(self.graph.consumers(source)) == 1
        in_place = node.kind in ALIASING_KINDS | ELEMENTWISE_KINDS or (
            node.kind == "add" and source == node.inputs[0]
        )
        if single_consumer and in_place:
            self.grad_of[source] = grad_out
        else:
            src = self.graph[source]
            size = self.batch * src.output_elements * GRADIENT_BYTES
            self.grad_of[source] = self.tensor(f"grad:{source}", size, "transient", source)
        return self.grad_of[source]

    def _update(self, node: Node) -> None:
        training = self.training[node.name]
        weights = self._trained_weights(node, training)
        reads = [f"wgrad:{node.name}", weights]
        state = []
        if self.plan.optimizer_state_slots:
            size = self.plan.optimizer_state_slots * trained_param_count(node, training) * GRADIENT_BYTES
            state = [self.tensor(f"opt:{node.name}", size, "optimizer_state", node.name)]
        count = trained_param_count(node, training)
        self.task("update", "update", node, reads + state, [weights] + state, 0, 0, count)

    def _mark_saved(self) -> None:
        """Activations a backward task reads (also through an alias) are the ones kept for backward."""
        for task in self.tasks:
            if task.phase != "backward":
                continue
            for name in task.reads:
                tensor = self.tensors[name]
                if name.startswith("act:") and tensor.category == "transient":
                    self.tensors[name] = Tensor(name, tensor.size_bytes, "activations_saved", tensor.layer)

    def _persistent(self) -> None:
        """Trained weights and optimizer state live for the whole step (they persist across steps)."""
        end = len(self.tasks) - 1
        for name, tensor in self.tensors.items():
            if tensor.category in ("trained_weights", "optimizer_state") and name in self.first:
                self.first[name], self.last[name] = 0, end
        for name in ("input", "labels"):
            if name in self.first:
                self.first[name] = 0


def lower(graph: Graph, plan: TrainingPlan) -> StepProgram:
    """Lower ``graph`` under ``plan`` into the program of one training step (or one inference)."""
    return _Lowering(graph, plan).lower()


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
