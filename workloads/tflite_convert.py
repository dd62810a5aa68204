"""The state of one TensorFlow Lite-to-graph conversion: which layer computes each tensor, weights, scales.

The converter walks the operators in the file's (execution) order; each converter in
:mod:`workloads.tflite_ops` reads its inputs as layer names, appends layers and names the layer that
computes its output tensor. Constants (weights, biases, shapes, and DEQUANTIZE ops of constants, which fold
exactly) are read from the file's buffers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workloads.errors import WorkloadError
from workloads.graph import GraphBuilder
from workloads.layers import Layer, ReLU, ReLU6, Shape
from workloads.tflite_reader import TfliteGraph, TfliteOperator, TfliteTensor

PARTLY_QUANTISED_FIX = (
    "a fully integer-quantised model (TFLiteConverter with a representative_dataset and "
    "target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]) or a float one"
)
"""What to do with a file whose weights and activations are not all int8 (hybrid or partly quantised)."""

FUSED = {0: None, 1: ReLU, 3: ReLU6}
"""Layer of each supported ``ActivationFunctionType`` (schema.fbs: NONE 0, RELU 1, RELU6 3)."""

FUSED_NAMES = {2: "RELU_N1_TO_1", 4: "TANH", 5: "SIGN_BIT"}
"""The fused activations the importer refuses (named in the unsupported-ops message). A fused TANH is
one: the interpreter's CONV_2D, DEPTHWISE_CONV_2D, ADD and MUL kernels ignore it (they clamp to the
activation's range, and TANH has none) and FULLY_CONNECTED refuses it, so its meaning is not the schema's."""


class TfliteConverter:
    """Conversion state of one subgraph.

    Parameters
    ----------
    source
        The file (for messages).
    model_name
        The graph's name.
    graph
        The subgraph as read by :func:`workloads.tflite_reader.read_tflite`.
    """

    def __init__(self, source: str, model_name: str, graph: TfliteGraph) -> None:
        self.source = source
        self.graph = graph
        self.values: dict[int, str] = {}
        self.consts: dict[int, np.ndarray] = {}
        self.weights: dict[str, dict[str, np.ndarray]] = {}
        self.quant: dict[str, dict[str, Any]] = {}
        self.float_layers: list[str] = []
        self.softmax = False
        inputs = [i for i in graph.inputs if graph.tensors[i].data is None]
        if len(inputs) != 1:
            names = [graph.tensors[i].name for i in inputs]
            raise WorkloadError(source, "subgraph inputs", names, "exactly one (non-constant) input")
        if len(graph.outputs) != 1:
            names = [graph.tensors[i].name for i in graph.outputs]
            raise WorkloadError(source, "subgraph outputs", names, "exactly one output")
        t = graph.tensors[inputs[0]]
        if len(t.shape) not in (2, 4):
            raise WorkloadError(
                source, f"input {t.name!r}.shape", list(t.shape), "(batch, features) or (batch, H, W, C)"
            )
        self.input_shape: Shape = tuple(t.shape[1:])
        self.builder = GraphBuilder(model_name, self.input_shape)
        self.values[t.index] = "input"
        self.shapes: dict[str, Shape] = {"input": self.input_shape}

    # -- reading -------------------------------------------------------------------------------------
    def fail(self, op: TfliteOperator, what: str, value: Any, allowed: str) -> WorkloadError:
        """The error for an operator the importer cannot convert exactly (raise it)."""
        output = self.graph.tensors[op.outputs[0]].name if op.outputs else "?"
        return WorkloadError(self.source, f"{op.op} {op.index} ({output!r}) {what}", value, allowed)

    def tensor(self, index: int) -> TfliteTensor:
        return self.graph.tensors[index]

    def input(self, op: TfliteOperator, i: int) -> str:
        """The layer computing input ``i`` of ``op``."""
        index = op.inputs[i] if len(op.inputs) > i else -1
        if index in self.values:
            return self.values[index]
        shown = self.graph.tensors[index].name if index >= 0 else None
        raise self.fail(op, f"input {i}", shown, "a tensor computed from the model's input")

    def shape(self, name: str) -> Shape:
        """Per-sample shape of a layer's output."""
        return self.shapes[name]

    def feature_map(self, op: TfliteOperator) -> str:
        name = self.input(op, 0)
        if len(self.shape(name)) != 3:
            raise self.fail(op, "input", self.shape(name), "a feature map (batch, H, W, C)")
        return name

    def constant(self, op: TfliteOperator, t: TfliteTensor) -> np.ndarray:
        """The value of a constant tensor (a buffer, or a DEQUANTIZE of one)."""
        if t.index in self.consts:
            return self.consts[t.index]
        if t.data is None:
            raise self.fail(op, f"input {t.name!r}", "computed", "a constant (weights from the file)")
        return t.data

    def fold_dequantize(self, op: TfliteOperator) -> bool:
        """A DEQUANTIZE of a constant (float16 or int8 weights) becomes a float32 constant."""
        t = self.tensor(op.inputs[0])
        if t.data is None:
            return False
        value = t.data.astype(np.float64)
        if t.quantized:
            shape = [1] * value.ndim
            if t.scale.size > 1:
                shape[t.axis] = t.scale.size
            zero = t.zero_point.astype(np.float64).reshape(shape)
            value = (value - zero) * t.scale.astype(np.float64).reshape(shape)
        self.consts[op.outputs[0]] = value.astype(np.float32)
        return True

    # -- writing -------------------------------------------------------------------------------------
    def emit(self, layer: Layer, inputs: tuple[str, ...], **tensors: np.ndarray) -> str:
        """Append ``layer`` reading ``inputs`` (named after its kind); return its name."""
        name = self.builder.add_layer(layer, inputs)
        self.shapes[name] = tuple(layer.output_shape(tuple(self.shapes[i] for i in inputs)))
        if tensors:
            self.weights[name] = {k: np.ascontiguousarray(t, dtype=np.float32) for k, t in tensors.items()}
        return name

    def set_output(self, op: TfliteOperator, name: str) -> None:
        """``name`` computes the op's (first) output tensor."""
        if len(op.outputs) != 1:
            raise self.fail(op, "outputs", len(op.outputs), "one output tensor")
        self.values[op.outputs[0]] = name

    def activate(self, op: TfliteOperator, name: str) -> None:
        """The op's output is ``name`` followed by its fused activation (if any)."""
        kind = FUSED[op.options.get("FusedActivationFunction", 0)]
        if kind is not None:
            name = self.emit(kind(), (name,))
        self.set_output(op, name)

    def round_output(self, op: TfliteOperator, name: str) -> None:
        """Keep the int8 output grid of a layer without weights that rounds to it (ADD, AVERAGE_POOL_2D,
        MEAN, MUL, the activations of :mod:`workloads.tflite_activation_ops`)."""
        y = self.tensor(op.outputs[0]).activation_quant()
        if y is not None:
            keys = ("w_scale", "x_scale", "x_zero_point")
            self.quant[name] = {**dict.fromkeys(keys), "y_scale": y[0], "y_zero_point": y[1]}

    def record_quant(self, op: TfliteOperator, name: str, w: TfliteTensor, channels: int) -> None:
        """Keep the int8 scales of a conv/dense layer (its weight, input and output tensors).

        A layer with float activations is a float layer, whatever its weights (a hybrid "dynamic range"
        model keeps int8 weights that the interpreter's kernels apply to float activations: its graph is
        the float graph with those weights, dequantised).
        """
        x, y = self.tensor(op.inputs[0]), self.tensor(op.outputs[0])
        if not (
            x.quantized or y.quantized
        ):  # float, or hybrid: int8 weights (dequantised), float activations
            self.float_layers.append(name)
            return
        for role, t in (("weight", w), ("input", x), ("output", y)):
            if not t.quantized or (role != "weight" and (t.dtype != np.int8 or t.scale.size != 1)):
                what = f"{role} {t.name!r}"
                shown = t.dtype.__name__ if t.dtype is not None else "?"
                raise WorkloadError(
                    self.source,
                    f"{op.op} {op.index} {what}",
                    f"{shown}, not int8 per tensor",
                    PARTLY_QUANTISED_FIX,
                )
        scale = np.broadcast_to(w.scale.astype(np.float32).reshape(-1), (channels,))
        (x_scale, x_zero), (y_scale, y_zero) = (
            x.activation_quant() or (0.0, 0),
            y.activation_quant() or (0.0, 0),
        )
        self.quant[name] = {
            "w_scale": np.ascontiguousarray(scale),
            "x_scale": x_scale,
            "x_zero_point": x_zero,
            "y_scale": y_scale,
            "y_zero_point": y_zero,
        }
