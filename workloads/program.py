"""Lowering: a graph and a training plan become the ordered program of one training step.

The program is a list of tasks (forward, loss, backward-data, backward-weight, update) and the tensors
each touches. Which forward tensors a backward task keeps alive follows these rules (after TinyTL's
memory accounting, extended so that frozen layers between trainable ones still pass gradients back):

* A layer needs a backward pass only if it trains or a layer before it trains; the gradient of an input
  is computed only where something upstream of that input trains.
* Convolution and dense layers keep their input only if their weights train (the bias gradient is a
  sum over the output gradient; the input gradient needs only the weights).
* Batch-norm runs in frozen mode (running statistics) and keeps its input only if gamma trains.
* ReLU, ReLU6, leaky ReLU and hard sigmoid keep a 1-bit mask (``x > 0``, or inside the linear range);
  max-pool keeps a 1-byte argmax index per output element; sigmoid keeps its output (``y (1 - y)``) and
  hard swish its input; a mul (``x * s``, the squeeze-excitation gate) the other operand of each input
  that needs a gradient; pools, adds, concats, upsampling, flatten and dropout keep nothing.
* Flatten and dropout alias their input; the activations and batch-norm run in place when nothing
  else reads their input afterwards (the usual fused-activation behaviour of MCU inference engines) and
  the backward does not need it.
* Weight gradients live until their update: to the end of the backward pass, or, with ``reorder``,
  only until the layer's update runs right after its backward pass.
"""

from __future__ import annotations

from math import ceil

from workloads.graph import Graph, Node
from workloads.layers import (
    ALIASING_KINDS,
    ELEMENTWISE_KINDS,
    INPUT_KEEPING_KINDS,
    MASK_KINDS,
    OUTPUT_KEEPING_KINDS,
    Conv2d,
)
from workloads.plan import LayerTraining, TrainingPlan
from workloads.step_program import (
    BIAS_BYTES,
    GRADIENT_BYTES,
    StepProgram,
    Task,
    Tensor,
    activation_bytes,
    trained_out_channels,
    trained_param_count,
    trained_weight_count,
    weight_bytes,
)


class _Lowering:
    """Builds one StepProgram; used once by :func:`lower`."""

    def __init__(self, graph: Graph, plan: TrainingPlan) -> None:
        self.graph = graph
        self.plan = plan
        self.training = plan.resolve(graph) if plan.trains else {}
        self.batch = plan.samples_per_pass  # buffers hold one (micro-)batch
        self.work_batch = plan.batch_size  # work counts cover every sample of the step
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
        calls = 1 if phase == "update" else self.plan.micro_steps
        task = Task(
            index, phase, action, node.name, node.kind, tuple(reads), tuple(writes), macs, ops, updates, calls
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

    def backward_operands(self, node: Node) -> list[str]:
        """The nodes whose outputs the backward-data task of a parameter-free ``node`` reads: hard swish its
        input; a mul the other operand of each input that needs a gradient."""
        need = self.input_needs_grad(node)
        if node.kind in INPUT_KEEPING_KINDS and need:
            return [node.inputs[0]]
        if node.kind == "mul":
            x, s = node.inputs
            return list(dict.fromkeys(([s] if x in need else []) + ([x] if s in need else [])))
        return []

    def saved_output(self, node: Node) -> bool:
        """Whether the backward pass of ``node`` reads its own output (sigmoid: ``y (1 - y)``)."""
        return node.kind in OUTPUT_KEEPING_KINDS and bool(self.input_needs_grad(node))

    def keeps_mask(self, node: Node) -> bool:
        return (node.kind in MASK_KINDS or node.kind == "maxpool") and bool(self.input_needs_grad(node))

    # -- program ---------------------------------------------------------------------------------------
    def lower(self) -> StepProgram:
        saved_nodes = {i for n in self.graph if self.saved_inputs(n) for i in n.inputs}
        saved_nodes |= {n.name for n in self.graph if self.saved_output(n)}
        saved_nodes |= {i for n in self.graph if self.needs_backward(n) for i in self.backward_operands(n)}
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
        return StepProgram(
            self.graph,
            self.plan,
            self.training,
            tuple(self.tasks),
            tensors,
            lifetimes,
            frozenset(self.grad_of),
        )

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
                "forward",
                "forward",
                node,
                reads,
                writes,
                node.macs * self.work_batch,
                node.elementwise_ops * self.work_batch,
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
            self.work_batch * out.output_elements * 3,
        )

    def _backward(self) -> None:
        batch = self.work_batch  # work counts; buffer sizes use self.batch
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
        reads += [self.output_of[i] for i in self.backward_operands(node)]
        if self.saved_output(node):
            reads.append(self.output_of[node.name])
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
        persistent_lifetimes(self.plan, tuple(self.tasks), self.tensors, self.first, self.last)


def persistent_lifetimes(
    plan: TrainingPlan,
    tasks: tuple[Task, ...],
    tensors: dict[str, Tensor],
    first: dict[str, int],
    last: dict[str, int],
) -> None:
    """Stretch ``first`` / ``last`` (from the tasks' uses) over what outlives its uses, in place.

    Trained weights and optimizer state live for the whole step (they persist across steps); the input
    batch and labels are there from the start. With micro-batching the weight gradients accumulate over
    the micro-steps: each lives from the first forward pass to its update, and at least to the end of the
    backward pass (an update the plan reorders can only run in the last micro-step).
    """
    end = len(tasks) - 1
    backward_end = max((t.index for t in tasks if t.phase == "backward"), default=end)
    for name, tensor in tensors.items():
        if tensor.category in ("trained_weights", "optimizer_state") and name in first:
            first[name], last[name] = 0, end
        if tensor.category == "gradients" and plan.micro_steps > 1 and name in first:
            first[name], last[name] = 0, max(last[name], backward_end)
    for name in ("input", "labels"):
        if name in first:
            first[name] = 0


def lower(graph: Graph, plan: TrainingPlan) -> StepProgram:
    """Lower ``graph`` under ``plan`` into the program of one training step (or one inference)."""
    program = _Lowering(graph, plan).lower()
    if plan.recompute and plan.trains:
        from workloads.recompute import with_recomputation  # builds on this module's types

        program = with_recomputation(program, plan.recompute)
    return program
