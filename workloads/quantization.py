"""int8 state of a network: per-channel int8 weights, activation scales, int8 forward calls, int8 updates.

Every convolution and dense layer quantises its fp32 input to int8 (per-tensor, asymmetric, calibrated
scale), runs the int8 kernel (int32 accumulation, int32 bias) and requantises its output to int8, which the
next layers see dequantised (batch-norm, activations and pools run on the int8 grid values in fp32). The
backward is fp32 on the dequantised input and weights (straight-through through the rounding). Trained
weights stay int8 with a fixed per-channel scale: SGD steps with quantisation-aware scaling
(:func:`workloads.kernels.sgd_update_int8`); momentum and Adam step the dequantised copy in fp32 and round
it back to the int8 grid, so steps below half a level are lost in both cases, as on a device.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, SupportsFloat, SupportsIndex, SupportsInt

import numpy as np

from workloads.errors import WorkloadError
from workloads.graph import Graph, Node
from workloads.kernels import activation_qparams, quantize_weight
from workloads.kernels.optimizer import fp32_update
from workloads.kernels.qlinear import _quantized_layer, exact_workspace
from workloads.kernels.quant import (
    _dequantize_activation,
    _dequantize_weight,
    _int8_sgd,
    _quantize_activation,
)
from workloads.layer_ops import Call
from workloads.layers import AvgPool, Conv2d

if TYPE_CHECKING:
    from workloads.step import TrainState

QUANT_KEYS = ("w_scale", "x_scale", "x_zero_point", "y_scale", "y_zero_point")
ROUNDED_KINDS = (
    "add",
    "avgpool",
    "global_avg_pool",
    "mul",
    "sigmoid",
    "tanh",
    "elu",
    "leaky_relu",
    "hard_swish",
)
"""Layers without weights whose int8 output an imported model may round to a grid of its own (TensorFlow
Lite's int8 kernels of these ops compute on the int8 grid values of their inputs and round the result to
their output's scale and zero point; tinyemu computes in fp32 on the same grid values and rounds alike)."""


@dataclass
class LayerQuant:
    """int8 weights and activation quantisation of one convolution or dense layer."""

    weight_q: np.ndarray
    w_scale: np.ndarray
    x_scale: float = 0.0
    x_zero_point: int = 0
    y_scale: float = 0.0
    y_zero_point: int = 0
    fixed_scale: bool = False
    fixed_x: bool = False  # activation scales imported from the model file: calibration keeps them
    fixed_y: bool = False


class QuantizedLayers:
    """The int8 side of a network; fp32 ``params[layer]["weight"]`` always holds the dequantised weight."""

    def __init__(self, graph: Graph, params: dict[str, dict[str, np.ndarray]]) -> None:
        self.graph = graph
        self.params = params
        self.layers: dict[str, LayerQuant] = {}
        # imported (scale, zero point) of other layers' int8 outputs (a residual add), re-rounded to the grid
        self.outputs: dict[str, tuple[float, int]] = {}
        for node in graph:
            if node.kind in ("conv2d", "dense"):
                wq, scale = quantize_weight(params[node.name]["weight"])
                self.layers[node.name] = LayerQuant(wq, scale)
        self._sync_all()

    @property
    def calibrated(self) -> bool:
        return all(q.x_scale > 0 and q.y_scale > 0 for q in self.layers.values())

    def _sync_all(self) -> None:
        for name, q in self.layers.items():
            w = self.params[name]["weight"]
            _dequantize_weight(q.weight_q.reshape(-1, w.shape[-1]), q.w_scale, w.reshape(-1, w.shape[-1]))

    def requantize_weights(self) -> None:
        """Quantise the fp32 weights again (after new weights were loaded); imported scales are kept."""
        for name, q in self.layers.items():
            w = self.params[name]["weight"]
            if q.fixed_scale:
                np.copyto(q.weight_q, np.clip(np.rint(w / q.w_scale), -127, 127).astype(np.int8))
            else:
                wq, scale = quantize_weight(w)
                np.copyto(q.weight_q, wq)
                np.copyto(q.w_scale, scale)
        self._sync_all()

    def set_scales(
        self, quantization: Mapping[str, Mapping[str, object]], source: str = "quantization"
    ) -> None:
        """Use imported scales (``w_scale``, ``x_scale``, ``x_zero_point``, ``y_scale``, ``y_zero_point``).

        An activation scale the file does not give (``None``) is left for :meth:`set_ranges` to calibrate.
        An entry for a node of :data:`ROUNDED_KINDS` (``w_scale`` ``None``) gives the scale of its int8
        output, as TensorFlow Lite's int8 ADD, AVERAGE_POOL_2D, MEAN, MUL and activations have: the
        forward rounds its result (and saturates) to that grid; an average pool's mean is rounded half
        away from zero, as the reference kernel does.
        """
        for name, given in quantization.items():
            kind = self.graph[name].kind if name in self.graph else None
            if kind in ROUNDED_KINDS and given.get("y_scale") is not None:
                scale = _float(given["y_scale"], source, f"{name}/y_scale")
                zp = _int(given.get("y_zero_point") or 0, source, f"{name}/y_zero_point")
                if not scale > 0 or not -128 <= zp <= 127:
                    raise WorkloadError(
                        source, f"{name}/y_scale", (scale, zp), "a positive scale, zp -128..127"
                    )
                self.outputs[name] = (scale, zp)
        for name, q in self.layers.items():
            entry = quantization.get(name)
            if entry is None:
                raise WorkloadError(source, name, None, f"int8 scales {', '.join(QUANT_KEYS)}")
            missing = [k for k in QUANT_KEYS if k not in entry]
            if missing:
                raise WorkloadError(source, f"{name}/{missing[0]}", None, "a value")
            w_scale = np.ascontiguousarray(
                np.broadcast_to(np.asarray(entry["w_scale"], np.float32), q.w_scale.shape)
            )
            if not np.all(w_scale > 0):
                raise WorkloadError(source, f"{name}/w_scale", float(w_scale.min()), "positive scales")
            imported: dict[str, tuple[float, int]] = {}
            for key in ("x", "y"):
                if entry[f"{key}_scale"] is None:
                    continue
                scale = _float(entry[f"{key}_scale"], source, f"{name}/{key}_scale")
                zp_given = entry[f"{key}_zero_point"] or 0
                zero_point = _float(zp_given, source, f"{name}/{key}_zero_point")
                if not scale > 0 or int(zero_point) != zero_point or not -128 <= int(zero_point) <= 127:
                    raise WorkloadError(
                        source,
                        f"{name}/{key}_scale",
                        (scale, zp_given),
                        "a positive scale and a zero point in -128..127",
                    )
                imported[key] = (scale, int(zero_point))
            q.w_scale[:] = w_scale
            q.fixed_scale = True
            for key, (scale, zp_int) in imported.items():
                setattr(q, f"{key}_scale", scale)
                setattr(q, f"{key}_zero_point", zp_int)
                setattr(q, f"fixed_{key}", True)
        self.requantize_weights()

    def set_ranges(self, ranges: Mapping[str, list[float]]) -> None:
        """Activation scales from calibrated fp32 ranges ``[x_min, x_max, y_min, y_max]`` per layer.

        Scales imported from the model file are kept.
        """
        for name, q in self.layers.items():
            x_lo, x_hi, y_lo, y_hi = ranges[name]
            if not q.fixed_x:
                q.x_scale, q.x_zero_point = activation_qparams(x_lo, x_hi)
            if not q.fixed_y:
                q.y_scale, q.y_zero_point = activation_qparams(y_lo, y_hi)

    def output_op(self, node: Node, call: Call, y: np.ndarray) -> Call:
        """``call``, then ``y`` rounded to the node's imported int8 output grid (unchanged if it has none).

        The backward is straight-through, as for the other int8 roundings.
        """
        if node.name not in self.outputs:
            return call
        scale, zp = self.outputs[node.name]
        if node.kind == "avgpool":
            return _rounded_mean(node, call, y, scale, zp)
        y1, yq1 = y.reshape(-1), np.empty(y.size, np.int8)
        inv = 1.0 / scale

        def rounded() -> None:
            call()
            _quantize_activation(y1, inv, zp, yq1)
            _dequantize_activation(yq1, scale, zp, y1)

        return rounded

    def forward_op(self, node: Node, x: np.ndarray, y: np.ndarray) -> tuple[Call, int, np.ndarray]:
        """The int8 forward of ``node``: quantise ``x``, int8 kernel, dequantise into ``y``.

        Returns the call, its MACs and the dequantised input (what the weight gradient reads).
        """
        q = self.layers[node.name]
        params = self.params[node.name]
        xq, yq = np.empty(x.shape, np.int8), np.empty(y.shape, np.int8)
        x_deq = np.empty(x.shape, np.float32)
        w = params["weight"]
        macs = y.size * int(np.prod(w.shape[:-1]))
        bias = params.get("bias", np.zeros(0, np.float32))
        views: tuple[np.ndarray, ...]
        layer = node.layer
        if isinstance(layer, Conv2d):
            pt, _, pl, _ = layer.pads(node.input_shapes)
            geometry, groups = (*layer.stride, pt, pl), layer.groups
            views = (x, q.weight_q, xq, x_deq, yq, y)
        else:  # a dense layer is a 1x1 convolution of a 1x1 image
            geometry, groups = (1, 1, 0, 0), 1
            images = tuple(a.reshape(a.shape[0], 1, 1, -1) for a in (x, xq, x_deq, yq, y))
            views = (images[0], q.weight_q.reshape(1, 1, *w.shape), *images[1:])
        x4, wq4, xq4, xd4, yq4, y4 = views
        xc, w3 = exact_workspace(x4.shape, wq4.shape, groups)
        if int(np.prod(wq4.shape[:3])) * 255 * 127 >= 2**31:
            raise WorkloadError(self.graph.name, node.name, w.shape, "a reduction short enough for int32")

        def call() -> None:
            if q.x_scale <= 0:
                raise WorkloadError(
                    self.graph.name, "int8 scales", node.name, "calibrate() the network first"
                )
            _quantized_layer(
                x4,
                wq4,
                bias,
                q.x_scale,
                q.x_zero_point,
                q.w_scale,
                q.y_scale,
                q.y_zero_point,
                geometry,
                xq4,
                xd4,
                xc,
                w3,
                yq4,
                y4,
            )

        return call, macs, x_deq

    def update_call(
        self,
        name: str,
        p2: np.ndarray,
        g2: np.ndarray,
        k: int,
        optimizer: str,
        lr: float,
        mu: float,
        slots: list[np.ndarray],
        state: TrainState,
    ) -> Call:
        """The update of an int8 weight: QAS SGD on the int8 tensor, or fp32 momentum/Adam then rounding."""
        q = self.layers[name]
        wq2, scale = q.weight_q.reshape(p2.shape), q.w_scale
        if optimizer == "sgd":

            def sgd() -> None:
                np.multiply(g2, scale, out=g2)  # the gradient of the int8 tensor: dL/dWq = w_scale * dL/dW
                _int8_sgd(wq2, scale, g2, lr, True, k)
                _dequantize_weight(wq2, scale, p2)

            return sgd
        step = fp32_update(optimizer, p2, g2, k, lr, mu, slots, state)

        def rounded() -> None:
            step()
            np.copyto(wq2[:, :k], np.clip(np.rint(p2[:, :k] / scale[:k]), -127, 127).astype(np.int8))
            _dequantize_weight(wq2, scale, p2)

        return rounded


def _float(value: object, source: str, field: str) -> float:
    """An imported scale or zero point as a float; a value that is no number is the file's error."""
    if not isinstance(value, (SupportsFloat, SupportsIndex)):
        raise WorkloadError(source, field, value, "a number")
    return float(value)


def _int(value: object, source: str, field: str) -> int:
    """An imported zero point as an int; a value that is no number is the file's error."""
    if not isinstance(value, (SupportsInt, SupportsIndex)):
        raise WorkloadError(source, field, value, "an integer")
    return int(value)


def _window_counts(node: Node) -> np.ndarray:
    """The divisor of each window of an average pool, ``(H_out, W_out, 1)``: its input elements (padding
    excluded), or the whole window when the layer counts the padding."""
    h, w, _ = node.input_shapes[0]
    oh, ow, _ = node.output_shape
    layer = node.layer_as(AvgPool)
    (kh, kw), (sh, sw) = layer.pool, layer.strides
    if layer.count_include_pad:
        return np.full((oh, ow, 1), float(kh * kw))
    top, _, left, _ = layer.pads(node.input_shapes)
    rows = [min(i * sh - top + kh, h) - max(i * sh - top, 0) for i in range(oh)]
    cols = [min(j * sw - left + kw, w) - max(j * sw - left, 0) for j in range(ow)]
    return np.outer(rows, cols).astype(np.float64)[:, :, None]


def _rounded_mean(node: Node, call: Call, y: np.ndarray, scale: float, zp: int) -> Call:
    """``call`` (the float mean of int8 grid values), then the mean rounded as TensorFlow Lite's int8
    reference AVERAGE_POOL_2D rounds it: the integer sum of the stored values, divided by the window's
    count, half away from zero (``(sum +- count / 2) / count`` in C integer division)."""
    counts = _window_counts(node)
    half = np.floor(counts / 2)

    def rounded() -> None:
        call()
        total = np.rint((y.astype(np.float64) / scale + zp) * counts)  # the exact sum of stored int8 values
        q = np.sign(total) * np.floor((np.abs(total) + half) / counts)
        np.copyto(y, ((np.clip(q, -128, 127) - zp) * scale).astype(np.float32))

    return rounded
