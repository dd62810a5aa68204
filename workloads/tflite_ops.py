"""TensorFlow Lite operators as graph layers: one converter function per builtin operator.

TensorFlow Lite is NHWC like tinyemu, so no layout bookkeeping is needed: conv weights go OHWI -> HWIO,
depthwise weights ``(1, KH, KW, C * multiplier)`` -> a grouped conv (groups = C_in) with HWIO weights
``(KH, KW, 1, C_out)``, fully connected weights ``(units, F)`` -> ``(F, units)`` (a feature-map input is
flattened first, in the H, W, C order TensorFlow Lite flattens it in). A fused activation becomes its own
``relu`` / ``relu6`` layer, so forward and backward honour it in fp32 and in int8.

Quantised tensors are dequantised exactly (``(q - zero_point) * scale``, int32 biases with their own
scale); each conv and dense layer keeps its weight scales per output channel and the scales and zero points
of its input and output tensors, which the int8 network then uses instead of calibrating.
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod
from typing import Any

import numpy as np

from workloads.layers import Add, AvgPool, Conv2d, Dense, Flatten, Layer, MaxPool, ReLU, ReLU6
from workloads.tflite_activation_ops import ACTIVATION_OPS
from workloads.tflite_convert import FUSED, FUSED_NAMES, TfliteConverter
from workloads.tflite_gate_ops import GATE_OPS
from workloads.tflite_reader import TfliteOperator, TfliteTensor

PADDING = {0: "same", 1: "valid"}
"""``Padding`` (schema.fbs: SAME 0, VALID 1) as the layers' padding; TensorFlow's SAME is the layers' one."""


def _window(cv: TfliteConverter, op: TfliteOperator) -> tuple[str, tuple[int, int]]:
    o = op.options
    if o.get("DilationHFactor", 1) != 1 or o.get("DilationWFactor", 1) != 1:
        dilation = [o["DilationHFactor"], o["DilationWFactor"]]
        raise cv.fail(op, "dilation", dilation, "1 (dilated windows are not supported)")
    return PADDING[o["Padding"]], (o["StrideH"], o["StrideW"])


def _weight(cv: TfliteConverter, op: TfliteOperator, t: TfliteTensor, axis: int) -> np.ndarray:
    """The float64 value of a constant weight, checked to be float or symmetric int8 per channel on
    ``axis`` (the output-channel axis) or per tensor."""
    data = cv.constant(op, t)
    if not t.quantized:
        if data.dtype != np.float32:
            raise cv.fail(op, f"weight {t.name!r} type", data.dtype.name, "float32, or int8 with scales")
        return data.astype(np.float64)
    if data.dtype != np.int8 or np.any(t.zero_point != 0):
        zero = int(t.zero_point.reshape(-1)[0])
        raise cv.fail(op, f"weight {t.name!r}", (data.dtype.name, zero), "int8 with zero point 0")
    if t.scale.size not in (1, data.shape[axis]) or (t.scale.size > 1 and t.axis != axis):
        raise cv.fail(op, f"weight {t.name!r} scales", t.scale.size, "per tensor or per output channel")
    shape = [1] * data.ndim
    shape[axis] = t.scale.size
    return data.astype(np.float64) * t.scale.astype(np.float64).reshape(shape)


def _bias(cv: TfliteConverter, op: TfliteOperator, channels: int) -> np.ndarray | None:
    if len(op.inputs) < 3 or op.inputs[2] < 0:
        return None
    t = cv.tensor(op.inputs[2])
    data = cv.constant(op, t).astype(np.float64).reshape(-1)
    if data.size != channels:
        raise cv.fail(op, f"bias {t.name!r} shape", t.shape, f"{channels} values (one per output channel)")
    if t.quantized:
        data = data * t.scale.astype(np.float64).reshape(-1)  # int32 bias: its own scale (x_s * w_s)
    return data


def _weighted(cv, op, layer: Layer, x: str, w: np.ndarray, w_t: TfliteTensor, channels: int) -> None:
    bias = _bias(cv, op, channels)
    tensors = {"weight": w} if bias is None else {"weight": w, "bias": bias}
    name = cv.emit(layer, (x,), **tensors)
    cv.record_quant(op, name, w_t, channels)
    cv.activate(op, name)


def conv_2d(cv: TfliteConverter, op: TfliteOperator) -> None:
    x = cv.feature_map(op)
    w_t = cv.tensor(op.inputs[1])
    w = _weight(cv, op, w_t, 0)
    if w.ndim != 4 or w.shape[3] != cv.shape(x)[2]:
        raise cv.fail(op, "weight shape", w_t.shape, f"(C_out, KH, KW, {cv.shape(x)[2]})")
    padding, strides = _window(cv, op)
    cout, kh, kw, _ = w.shape
    layer = Conv2d(cout, (kh, kw), strides, padding, 1, len(op.inputs) > 2 and op.inputs[2] >= 0)
    _weighted(cv, op, layer, x, w.transpose(1, 2, 3, 0), w_t, cout)


def depthwise_conv_2d(cv: TfliteConverter, op: TfliteOperator) -> None:
    x = cv.feature_map(op)
    c_in = cv.shape(x)[2]
    w_t = cv.tensor(op.inputs[1])
    w = _weight(cv, op, w_t, 3)
    if w.ndim != 4 or w.shape[0] != 1 or w.shape[3] % c_in:
        raise cv.fail(op, "weight shape", w_t.shape, f"(1, KH, KW, {c_in} x depth multiplier)")
    padding, strides = _window(cv, op)
    _, kh, kw, cout = w.shape
    layer = Conv2d(cout, (kh, kw), strides, padding, c_in, len(op.inputs) > 2 and op.inputs[2] >= 0)
    _weighted(cv, op, layer, x, w.transpose(1, 2, 0, 3), w_t, cout)


def fully_connected(cv: TfliteConverter, op: TfliteOperator) -> None:
    x = cv.input(op, 0)
    o = op.options
    if o.get("WeightsFormat", 0) != 0:
        raise cv.fail(op, "weights_format", o["WeightsFormat"], "DEFAULT (0)")
    if o.get("KeepNumDims") and len(cv.shape(x)) != 1:
        raise cv.fail(op, "keep_num_dims", True, "false, or a (batch, features) input")
    w_t = cv.tensor(op.inputs[1])
    w = _weight(cv, op, w_t, 0)
    if len(cv.shape(x)) != 1:  # TensorFlow Lite flattens (H, W, C) row-major: tinyemu's order
        x = cv.emit(Flatten(), (x,))
    if w.ndim != 2 or w.shape[1] != cv.shape(x)[0]:
        raise cv.fail(op, "weight shape", w_t.shape, f"(units, {cv.shape(x)[0]})")
    units = w.shape[0]
    layer = Dense(units, len(op.inputs) > 2 and op.inputs[2] >= 0)
    _weighted(cv, op, layer, x, w.T, w_t, units)


def _pool(cv: TfliteConverter, op: TfliteOperator, kind: type) -> None:
    x = cv.feature_map(op)
    padding, strides = _window(cv, op)
    pool = (op.options["FilterHeight"], op.options["FilterWidth"])
    name = cv.emit(kind(pool, strides, padding), (x,))
    if kind is AvgPool:
        cv.round_output(op, name)
    cv.activate(op, name)


def average_pool_2d(cv: TfliteConverter, op: TfliteOperator) -> None:
    """TensorFlow Lite averages over the window's elements inside the input, as the avgpool layer does."""
    _pool(cv, op, AvgPool)


def max_pool_2d(cv: TfliteConverter, op: TfliteOperator) -> None:
    _pool(cv, op, MaxPool)


def add(cv: TfliteConverter, op: TfliteOperator) -> None:
    a, b = cv.input(op, 0), cv.input(op, 1)
    if cv.shape(a) != cv.shape(b):
        raise cv.fail(op, "input shapes", [cv.shape(a), cv.shape(b)], "equal shapes (no broadcasting)")
    name = cv.emit(Add(), (a, b))
    cv.round_output(op, name)  # an int8 ADD rounds (and saturates) its sum to its output's grid
    cv.activate(op, name)


def reshape(cv: TfliteConverter, op: TfliteOperator) -> None:
    x = cv.input(op, 0)
    target = cv.tensor(op.outputs[0]).shape[1:]
    if tuple(target) == cv.shape(x) or (len(cv.shape(x)) == 1 and tuple(target) == (1, 1, *cv.shape(x))):
        cv.set_output(op, x)  # a vector stands for (batch, 1, 1, C) as well (a squeeze-excitation gate)
        return
    if len(target) != 1 or target[0] != prod(cv.shape(x)):
        flat = f"(batch, {prod(cv.shape(x))}): a flatten (or a vector as (batch, 1, 1, C))"
        raise cv.fail(op, "shape", list(target), flat)
    cv.set_output(op, x if len(cv.shape(x)) == 1 else cv.emit(Flatten(), (x,)))


def softmax(cv: TfliteConverter, op: TfliteOperator) -> None:
    x = cv.input(op, 0)
    if op.outputs[0] not in cv.graph.outputs:
        raise cv.fail(op, "position", "inside the graph", "a SOFTMAX only as the graph's output")
    if op.options.get("Beta", 1.0) != 1.0 or len(cv.shape(x)) != 1:
        raise cv.fail(op, "beta / input", (op.options.get("Beta"), cv.shape(x)), "beta 1 on a vector")
    cv.softmax = True
    cv.set_output(op, x)


def quantize(cv: TfliteConverter, op: TfliteOperator) -> None:
    """A (re)quantisation of an activation: the identity in the float graph; the int8 layer after it
    quantises its input with the scale of this op's output tensor."""
    cv.set_output(op, cv.input(op, 0))


OPS: dict[str, Callable[[TfliteConverter, TfliteOperator], None]] = {
    "CONV_2D": conv_2d,
    "DEPTHWISE_CONV_2D": depthwise_conv_2d,
    "FULLY_CONNECTED": fully_connected,
    "AVERAGE_POOL_2D": average_pool_2d,
    "MAX_POOL_2D": max_pool_2d,
    "ADD": add,
    "RESHAPE": reshape,
    "SOFTMAX": softmax,
    "RELU": lambda cv, op: cv.set_output(op, cv.emit(ReLU(), (cv.input(op, 0),))),
    "RELU6": lambda cv, op: cv.set_output(op, cv.emit(ReLU6(), (cv.input(op, 0),))),
    "QUANTIZE": quantize,
    "DEQUANTIZE": quantize,
    **ACTIVATION_OPS,
    **GATE_OPS,
}
"""Converter of every TensorFlow Lite builtin operator the importer supports."""


def unsupported_label(op: TfliteOperator) -> str | None:
    """``"EXP"`` or ``"CONV_2D (fused TANH)"`` if the importer cannot convert ``op``, else None."""
    if op.op not in OPS:
        return op.op
    fused = op.options.get("FusedActivationFunction", 0)
    if fused not in FUSED:
        return f"{op.op} (fused {FUSED_NAMES.get(fused, fused)})"
    return None


def describe(t: Any) -> str:
    """A tensor for messages: its name, or its index."""
    return t.name or f"tensor {t.index}"
