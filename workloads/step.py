"""The compiled step of a :class:`workloads.network.Network`: buffers and bound kernel calls per batch size.

:class:`CompiledStep` allocates every activation, mask, gradient and workspace buffer of one batch size once
and binds the kernel calls to them; :class:`TrainState` holds what a training plan adds (parameter
gradients, optimizer state, the update calls) and counts the work executed per phase.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from workloads.errors import WorkloadError
from workloads.graph import Graph
from workloads.kernels.loss import _mse, _softmax_xent
from workloads.kernels.optimizer import fp32_update
from workloads.layer_ops import Call, ParamGrads, accumulate, backward_op, conv_workspace_elements, forward_op
from workloads.layers import MASK_KINDS, OUTPUT_KEEPING_KINDS
from workloads.plan import LayerTraining, TrainingPlan
from workloads.program import lower

if TYPE_CHECKING:
    from workloads.micro_batch import MicroBatchStep
    from workloads.network import Network
    from workloads.quantization import QuantizedLayers
    from workloads.split import SplitStep

PHASES = ("forward", "backward_data", "backward_weight", "update")
"""Work counted per phase: MACs of forward, input-gradient and weight-gradient kernels; parameters updated."""

F32 = np.float32
VIEW_KINDS = ("flatten", "dropout")


class TrainState:
    """What a training plan adds to a network: gradients, optimizer state, update calls, work counters.

    Make one with :meth:`workloads.network.Network.trainer`. ``macs_by_phase`` accumulates, over every
    step run, the MACs of each phase (and, under ``update``, the parameters written). ``batchnorm`` is
    ``"frozen"`` (running statistics, what the device does) or ``"train"`` (batch statistics, running
    statistics updated every step).
    """

    def __init__(
        self,
        network: Network,
        plan: TrainingPlan,
        training: dict[str, LayerTraining],
        channels: dict[str, int],
        batchnorm: str = "frozen",
    ) -> None:
        self.network = network
        self.plan = plan
        self.batchnorm = batchnorm
        self.training = training
        self.channels = channels
        self.steps = 0
        self.samples = 0
        self.adam_step = 0
        self.macs_by_phase = dict.fromkeys(PHASES, 0)
        self.grads: dict[str, ParamGrads] = {}
        self.optimizer_state: dict[str, list[np.ndarray]] = {}
        self._programs: dict[int, CompiledStep | SplitStep | MicroBatchStep] = {}
        self.update_calls: list[Call] = []
        self.update_count = 0
        # which nodes get an output gradient: the lowering decides, for the cost side and the kernels alike
        self.gradient_nodes = lower(network.graph, plan).gradient_nodes if plan.trains else frozenset()
        for name, t in training.items():
            self._prepare(name, t)

    def _prepare(self, name: str, training: LayerTraining) -> None:
        params = self.network.params[name]
        k = self.channels[name]
        weight_key, bias_key = ("gamma", "beta") if "gamma" in params else ("weight", "bias")
        gw = np.zeros_like(params[weight_key]) if k else None
        gb = np.zeros_like(params[bias_key]) if training.bias and bias_key in params else None
        self.grads[name] = ParamGrads(gw, gb, k)
        for key, grad, channels in ((weight_key, gw, k), (bias_key, gb, None)):
            if grad is None:
                continue
            param = params[key]
            channels = param.shape[-1] if channels is None else channels
            self.update_calls.append(self._update_call(name, key, param, grad, channels))
            self.update_count += param.size // param.shape[-1] * channels

    def _update_call(self, name: str, key: str, param: np.ndarray, grad: np.ndarray, k: int) -> Call:
        plan = self.plan
        lr, mu = float(plan.learning_rate), float(plan.momentum)
        c = param.shape[-1]
        p2, g2 = param.reshape(-1, c), grad.reshape(-1, c)
        slots = [np.zeros_like(p2) for _ in range(plan.optimizer_state_slots)]
        if slots:
            self.optimizer_state[f"{name}/{key}"] = slots
        quant = self.network.quant
        if quant is not None and key == "weight":
            return quant.update_call(name, p2, g2, k, plan.optimizer, lr, mu, slots, self)
        return fp32_update(plan.optimizer, p2, g2, k, lr, mu, slots, self)

    def program(self, batch: int) -> CompiledStep | SplitStep | MicroBatchStep:
        """The step program for ``batch`` samples (built on first use, then reused).

        A :class:`workloads.micro_batch.MicroBatchStep` when the plan micro-batches, a
        :class:`workloads.split.SplitStep` (two halves run concurrently) where
        :func:`workloads.split.splits` says so, else one :class:`CompiledStep`.
        """
        if batch not in self._programs:
            from workloads.split import build_step  # split builds on this module: imported when used

            self._programs[batch] = build_step(self.network, batch, self)
        return self._programs[batch]

    def finish_step(self, macs: dict[str, int], batch: int) -> None:
        """After the gradients of a batch of ``batch`` samples: the updates, then the work counters."""
        self.adam_step += 1
        for call in self.update_calls:
            call()
        for phase, value in macs.items():
            self.macs_by_phase[phase] += value
        self.macs_by_phase["update"] += self.update_count
        self.steps += 1
        self.samples += batch


def fused_activations(graph: Graph) -> dict[str, str]:
    """ReLU/ReLU6 nodes whose input is a batch-norm read by nothing else: ``{relu name: batch-norm name}``.

    Only for frozen batch-norm (the caller's choice). The pair then runs as one forward and one backward
    pass (:func:`workloads.kernels.norm._normalise` with the clamp, :func:`~workloads.kernels.norm.
    _frozen_backward` with the mask); results and MAC counts are those of the two layers run apart.
    """
    fused = {}
    for node in graph:
        if node.kind not in ("relu", "relu6"):
            continue
        src = graph[node.inputs[0]]
        if src.kind == "batchnorm" and graph.consumers(src.name) == (node.name,):
            fused[node.name] = src.name
    return fused


class CompiledStep:
    """Buffers and bound kernel calls of one batch size: inference only, or a full training step.

    The executor's side of a step; the lowering (:class:`workloads.step_program.StepProgram`, what memory
    and cost read) is the other, and a test holds their per-phase MACs equal.

    ``grads`` (training only) are where the backward writes the parameter gradients: by default the
    state's own (:attr:`TrainState.grads`, what the updates read); a part of a split batch gets its own.
    """

    def __init__(
        self,
        network: Network,
        batch: int,
        state: TrainState | None,
        quant: QuantizedLayers | None,
        grads: dict[str, ParamGrads] | None = None,
    ) -> None:
        graph = network.graph
        self.network, self.batch, self.state = network, batch, state
        self.grads: dict[str, ParamGrads] = (
            grads if grads is not None else state.grads if state is not None else {}
        )
        gradient_nodes = state.gradient_nodes if state is not None else frozenset()
        needs_grad = {n.name: n.name in gradient_nodes for n in graph}
        ws_size = max([conv_workspace_elements(n, batch) for n in graph] + [1])
        workspace = np.empty(ws_size, F32)
        self.x = np.empty((batch, *graph.input_shape), F32)
        act: dict[str, np.ndarray] = {"input": self.x}
        saved: dict[str, np.ndarray] = {}
        backward_input: dict[str, np.ndarray] = {}
        bn_train = state is not None and state.batchnorm == "train"
        # training-mode batch-norm: the batch (mean, invstd) each forward writes and the backward reads
        self.bn_stats: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.forward_calls: list[Call] = []
        self.macs = dict.fromkeys(("forward", "backward_data", "backward_weight"), 0)
        # ReLU name -> the frozen batch-norm computing it in one pass (its own output is never stored)
        self.fused = {} if bn_train else fused_activations(graph)
        fused_by_bn = {bn: relu for relu, bn in self.fused.items()}
        for node in graph.nodes[1:]:
            if node.name in self.fused:
                continue
            ins = [act[i] for i in node.inputs]
            shape = (batch, *node.output_shape)
            if node.kind in VIEW_KINDS:
                act[node.name] = ins[0].reshape(shape)
                continue
            relu = fused_by_bn.get(node.name)
            y = np.empty(shape, F32)
            act[relu or node.name] = y
            keep: np.ndarray | None = None
            if relu is not None:
                keep = np.empty(shape, np.bool_) if needs_grad[node.name] else None
            elif node.kind in MASK_KINDS and any(needs_grad[i] for i in node.inputs):
                keep = np.empty(shape, np.bool_)
            elif node.kind == "maxpool":
                keep = np.empty(shape, np.int32)
            elif node.kind in OUTPUT_KEEPING_KINDS and any(needs_grad[i] for i in node.inputs):
                keep = y  # its own output buffer (no later layer writes it)
            elif node.kind == "mul":
                keep = ins[1]  # the second operand (the backward gets the first as its input)
            if keep is not None:
                saved[node.name] = keep
            if quant is not None and node.kind in ("conv2d", "dense"):
                call, macs, backward_input[node.name] = quant.forward_op(node, ins[0], y)
            else:
                if bn_train and node.kind == "batchnorm":
                    c = node.output_shape[-1]
                    self.bn_stats[node.name] = (np.empty(c, F32), np.empty(c, F32))
                stats = self.bn_stats.get(node.name)
                params = network.params.get(node.name, {})
                hi = None if relu is None else (np.inf if graph[relu].kind == "relu" else 6.0)
                call, macs = forward_op(node, ins, y, params, keep, workspace, stats, hi)
                if quant is not None:
                    call = quant.output_op(node, call, y)
            self.forward_calls.append(call)
            self.macs["forward"] += macs
        self.act = act
        self.output = act[graph.output.name]
        self.backward_calls: list[Call] = []
        if state is not None and state.plan.trains:
            self._backward(graph, state, act, saved, backward_input, needs_grad, workspace)

    def _backward(self, graph, state, act, saved, backward_input, needs_grad, workspace) -> None:
        batch = self.batch
        out = graph.output
        if graph.loss == "softmax_cross_entropy":
            self.labels = np.zeros(batch, np.int64)
        else:
            self.labels = np.zeros((batch, *out.output_shape), F32)
        grad: dict[str, np.ndarray] = {out.name: np.empty((batch, *out.output_shape), F32)}
        self.loss_grad = grad[out.name]
        # one scratch row per input position: an add or a concat may receive several contributions in one
        # call
        positions = max([len(n.inputs) for n in graph] + [2])
        scratch = np.empty((positions, max(batch * n.output_elements for n in graph)), F32)
        for node in reversed(graph.nodes):
            if not needs_grad[node.name] or node.name not in grad:
                continue
            gy = grad[node.name]
            if node.name in self.fused:  # its batch-norm applies the mask
                grad[node.inputs[0]] = gy
                continue
            targets: list[np.ndarray | None] = []
            after: list[Call] = []
            for position, src in enumerate(node.inputs):
                if not needs_grad[src]:
                    targets.append(None)
                    continue
                shape = (batch, *graph[src].output_shape)
                single = len(graph.consumers(src)) == 1
                if src in grad:  # a branch point reached again: add this contribution
                    view = scratch[position, : grad[src].size].reshape(shape)
                    targets.append(view)
                    after.append(accumulate(grad[src], view))
                    continue
                aliases = node.kind in VIEW_KINDS or (node.kind == "add" and position == 0)
                grad[src] = gy.reshape(shape) if single and aliases else np.empty(shape, F32)
                targets.append(grad[src])
            x = backward_input.get(node.name, act[node.inputs[0]] if node.inputs else None)
            params = self.network.params.get(node.name, {})
            grads = self.grads.get(node.name, ParamGrads())
            stats = self.bn_stats.get(node.name)
            keep = saved.get(node.name)
            calls, macs_w, macs_d = backward_op(node, gy, x, targets, params, grads, keep, workspace, stats)
            self.backward_calls += calls + after
            self.macs["backward_weight"] += macs_w
            self.macs["backward_data"] += macs_d

    def run_forward(self, x: np.ndarray) -> np.ndarray:
        """Copy ``x`` into the input buffer, run the forward calls, return the output buffer."""
        np.copyto(self.x, x)
        for call in self.forward_calls:
            call()
        return self.output

    def run_step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One training step on ``(x, y)``; returns the mean loss of the batch."""
        if self.state is None:
            raise RuntimeError("a step program built without a TrainState runs forward only")
        self.load_labels(y)
        loss = self.forward_backward(x)
        self.state.finish_step(self.macs, self.batch)
        return loss

    def load_labels(self, y: np.ndarray) -> None:
        """Copy the labels ``y`` into the label buffer; raises WorkloadError on a bad shape or class."""
        try:
            np.copyto(self.labels, y, casting="same_kind")
        except (ValueError, TypeError):
            raise WorkloadError(
                self.network.graph.name,
                "labels",
                np.shape(y),
                f"shape {self.labels.shape}, {self.labels.dtype}",
            ) from None
        if self.labels.dtype == np.int64:
            classes = self.network.graph.output.output_shape[0]
            if self.labels.min() < 0 or self.labels.max() >= classes:
                raise WorkloadError(
                    self.network.graph.name, "labels", int(self.labels.max()), f"0..{classes - 1}"
                )

    def forward_backward(self, x: np.ndarray, loss_scale: float = 1.0) -> float:
        """Forward, loss and backward on ``x`` and the loaded labels; returns the mean loss of ``x``.

        The parameter gradients are those of ``loss_scale`` times that mean (a part of a batch scales by
        its share of the samples, so that the parts' gradients add up to the batch's).
        """
        self.run_forward(x)
        if self.labels.dtype == np.int64:
            loss = _softmax_xent(self.output, self.labels, self.loss_grad)
        else:
            loss = _mse(self.output.reshape(-1), self.labels.reshape(-1), self.loss_grad.reshape(-1))
        if loss_scale != 1.0:
            np.multiply(self.loss_grad, F32(loss_scale), out=self.loss_grad)
        for call in self.backward_calls:
            call()
        return float(loss)

    def ranges(self) -> dict[str, tuple[float, float, float, float]]:
        """(input min, input max, output min, output max) of every convolution and dense layer."""
        result = {}
        for node in self.network.graph:
            if node.kind in ("conv2d", "dense"):
                x, y = self.act[node.inputs[0]], self.act[node.name]
                result[node.name] = (float(x.min()), float(x.max()), float(y.min()), float(y.max()))
        return result
