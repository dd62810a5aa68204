"""ONNX operators with parameters: Conv, Gemm, MatMul, their quantised forms, BatchNormalization; Add, Mul.

Conv weights go OIHW -> HWIO (grouped: ONNX ``(C_out, C_in / group, KH, KW)``); dense weights are
``(F_in, F_out)``, their rows permuted when the input flattens a feature map in another order. Folds (a
BatchNormalization or a constant Add into the conv/dense layer before it) happen only when that layer's
output has no other reader, so the imported graph computes the same function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from workloads.layers import Add, BatchNorm, Conv2d, Dense, Layer, Mul
from workloads.onnx_convert import NCHW, Converter, Value, attributes
from workloads.onnx_quant import QuantParams, channel_scale, dequantize

BATCHNORM_EPS = 1e-5
"""The epsilon of the executor's batch-norm; an ONNX epsilon is moved into the variance."""

Quant = tuple[float, int] | None


def _bias(cv: Converter, node: Any, b: np.ndarray, channels: int) -> np.ndarray:
    flat = np.asarray(b, dtype=np.float64).reshape(-1)
    if flat.size == 1:
        return np.full(channels, flat[0])
    if flat.size != channels:
        raise cv.fail(node, "bias shape", b.shape, f"{channels} values (one per output channel)")
    return flat


def _record_quant(cv, node, name, w_q, out_axis, ndim, channels, x_q: Quant, y_q: Quant) -> None:
    if w_q is None:
        return
    scale = channel_scale(w_q, out_axis, ndim, channels)
    if scale is None:
        raise cv.fail(node, "weight scale", w_q.scale.shape, "per tensor or per output channel")
    cv.quant[name] = {
        "w_scale": scale,
        "x_scale": x_q[0] if x_q else None,
        "x_zero_point": x_q[1] if x_q else None,
        "y_scale": y_q[0] if y_q else None,
        "y_zero_point": y_q[1] if y_q else None,
    }


def _conv(cv, node, x: Value, w, b, w_q, x_q: Quant, y_q: Quant = None) -> None:
    ndim = w.ndim
    if x.spatial == 1 and ndim == 3:  # Conv1d: a 1 x K kernel over the (1, L, C) sequence
        w = w[:, :, None, :]
    elif not (x.spatial == 2 and ndim == 4):
        want = "(C_out, C_in / group, K)" if x.spatial == 1 else "(C_out, C_in / group, KH, KW)"
        raise cv.fail(node, "weight shape", w.shape, want)
    cout, cg, kh, kw = w.shape
    a = cv.window_attributes(node, x)
    groups = a.get("group", 1)
    if cg * groups != x.shape[2]:
        raise cv.fail(node, "weight shape", w.shape, f"C_in / group = {x.shape[2]} / {groups}")
    padding, strides = cv.window(node, x, (kh, kw), a)
    tensors = {"weight": w.transpose(2, 3, 1, 0)}
    if b is not None:
        tensors["bias"] = _bias(cv, node, b, cout)
    layer = Conv2d(cout, (kh, kw), strides, padding, groups, b is not None)
    name = cv.emit(node, layer, (x,), **tensors)
    _record_quant(cv, node, name, w_q, 0, ndim, cout, x_q, y_q)
    cv.values[node.output[0]] = Value(name, cv.drafts[name].shape, NCHW, quant=y_q, spatial=x.spatial)


def _dense(cv, node, x: Value, w, b, w_q, out_axis: int, x_q: Quant, y_q: Quant = None) -> None:
    if w.ndim != 2 or w.shape[0] != x.shape[0]:
        raise cv.fail(node, "weight shape", w.shape, f"({x.shape[0]}, units)")
    units = w.shape[1]
    tensors = {"weight": w if x.order is None else w[x.order]}
    if b is not None:
        tensors["bias"] = _bias(cv, node, b, units)
    name = cv.emit(node, Dense(units, b is not None), (x,), **tensors)
    _record_quant(cv, node, name, w_q, out_axis, 2, units, x_q, y_q)
    cv.values[node.output[0]] = Value(name, (units,), quant=y_q)


def conv(cv: Converter, node: Any) -> None:
    v = cv.act(node, 0, padded=True)  # a zero Pad before it joins its padding (in cv.window)
    w = cv.const(node, 1).astype(np.float64)
    if len(v.shape) == 1 and v.squeezed:  # a 1x1 conv of a pooled (N, C, 1, 1) tensor (squeeze-excitation)
        _gate_conv(cv, node, v, w, cv.const(node, 2, False))
        return
    x = cv.feature_map(node, v)
    _conv(cv, node, x, w, cv.const(node, 2, False), cv.qconst.get(node.input[1]), x.quant)


def _gate_conv(cv: Converter, node: Any, v: Value, w: np.ndarray, b: np.ndarray | None) -> None:
    """A Conv whose input is ``(N, C, 1, 1)`` sees one position: a 1x1, ungrouped, unpadded one is a
    dense layer, and its output stays ``(N, C_out, 1, 1)`` for ONNX."""
    a = attributes(node)
    ones = [1] * v.spatial
    kernel_ok = w.ndim == 2 + v.spatial and list(w.shape[2:]) == ones and w.shape[1] == v.shape[0]
    if not kernel_ok or a.get("group", 1) != 1 or any(a.get("pads", [])) or a.get("dilations", ones) != ones:
        raise cv.fail(
            node, "weight shape", w.shape, f"a 1x1 ungrouped, unpadded conv of the pooled ({v.shape[0]},)"
        )
    if a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"):
        raise cv.fail(node, "auto_pad", a["auto_pad"], "NOTSET, VALID, SAME_UPPER or SAME_LOWER")
    cout = w.shape[0]
    tensors = {"weight": w.reshape(cout, -1).T}
    if b is not None:
        tensors["bias"] = _bias(cv, node, b, cout)
    name = cv.emit(node, Dense(cout, b is not None), (v,), **tensors)
    cv.values[node.output[0]] = Value(name, (cout,), squeezed=True, spatial=v.spatial)


def mul(cv: Converter, node: Any) -> None:
    """``x * s`` of two computed tensors: the same shape (SiLU's ``x * sigmoid(x)``), or a feature map and
    a ``(N, C, 1, 1)`` channel gate (squeeze-excitation), in either order."""
    a, b = cv.act(node, 0), cv.act(node, 1)
    if len(a.shape) == 1 and len(b.shape) == 3:
        a, b = b, a
    same = a.shape == b.shape and (a.axes, a.squeezed, a.spatial) == (b.axes, b.squeezed, b.spatial)
    same = same and (a.order is None) == (b.order is None)
    same = same and (a.order is None or (b.order is not None and np.array_equal(a.order, b.order)))
    gate = (
        len(a.shape) == 3
        and a.axes == NCHW
        and b.squeezed
        and b.shape == (a.shape[-1],)
        and b.spatial == a.spatial
    )
    if not (same or gate):
        raise cv.fail(
            node,
            "input shapes",
            (a.shape, b.shape),
            "two tensors of one shape and layout, or a feature map (N, C, H, W) and a channel gate "
            "(N, C, 1, 1)",
        )
    name = cv.emit(node, Mul(), (a, b))
    cv.values[node.output[0]] = replace(a, node=name, quant=None, exclusive=True)


def gemm(cv: Converter, node: Any) -> None:
    x = cv.vector(node, cv.act(node, 0))
    a = attributes(node)
    if a.get("transA", 0):
        raise cv.fail(node, "transA", 1, "0 (the activation as the left operand)")
    b = cv.const(node, 1).astype(np.float64)
    if b.ndim != 2:
        raise cv.fail(node, "B shape", b.shape, "a 2-D weight")
    w = b.T if a.get("transB", 0) else b
    alpha, beta = a.get("alpha", 1.0), a.get("beta", 1.0)
    w = w * alpha if alpha != 1.0 else w
    c = cv.const(node, 2, False)
    bias = None if c is None else (c.astype(np.float64) * beta if beta != 1.0 else c)
    if bias is not None and bias.ndim == 2 and bias.shape[0] != 1:
        raise cv.fail(node, "C shape", bias.shape, "one bias row: (units,) or (1, units)")
    out_axis = 0 if a.get("transB", 0) else 1
    _dense(cv, node, x, w, bias, cv.qconst.get(node.input[1]), out_axis, x.quant)


def matmul(cv: Converter, node: Any) -> None:
    x = cv.vector(node, cv.act(node, 0))
    w = cv.const(node, 1).astype(np.float64)
    _dense(cv, node, x, w, None, cv.qconst.get(node.input[1]), 1, x.quant)


def qlinear_conv(cv: Converter, node: Any) -> None:
    x = cv.feature_map(node, cv.act(node, 0))
    xs, xz, w, ws, wz, ys, yz = (cv.const(node, i) for i in range(1, 8))
    w_q = QuantParams(ws, wz, axis=0)
    b = cv.const(node, 8, False)
    bias = None if b is None else b.astype(np.float64) * float(xs.reshape(-1)[0]) * ws.astype(np.float64)
    x_q, y_q = QuantParams(xs, xz).activation(), QuantParams(ys, yz).activation()
    _conv(cv, node, x, dequantize(w, w_q), bias, w_q, x_q, y_q)


def qlinear_matmul(cv: Converter, node: Any) -> None:
    x = cv.vector(node, cv.act(node, 0))
    xs, xz, w, ws, wz, ys, yz = (cv.const(node, i) for i in range(1, 8))
    w_q = QuantParams(ws, wz, axis=1)
    x_q, y_q = QuantParams(xs, xz).activation(), QuantParams(ys, yz).activation()
    _dense(cv, node, x, dequantize(w, w_q), None, w_q, 1, x_q, y_q)


def batchnorm(cv: Converter, node: Any) -> None:
    v = cv.act(node, 0)
    if len(v.shape) == 3:
        cv.feature_map(node, v)
    gamma, beta, mean, var = (cv.const(node, i).astype(np.float64).reshape(-1) for i in range(1, 5))
    a = attributes(node)
    eps = a.get("epsilon", 1e-5)
    if a.get("training_mode", 0) or any(cv.uses[o] for o in node.output[1:] if o):
        raise cv.fail(node, "training_mode", 1, "0 (inference batch-norm with running statistics)")
    channels = v.shape[-1]
    if any(t.size != channels for t in (gamma, beta, mean, var)):
        raise cv.fail(node, "parameter size", gamma.size, f"{channels} (one per channel)")
    if v.order is not None:
        gamma, beta, mean, var = (t[v.order] for t in (gamma, beta, mean, var))
    draft = cv.foldable(node.input[0], v, ("conv2d",))
    if draft is not None:  # s * (conv(x) + b - mean) + beta, s = gamma / sqrt(var + eps)
        s = gamma / np.sqrt(var + eps)
        tensors = cv.weights[draft.name]
        bias = tensors.get("bias", np.zeros(channels)).astype(np.float64)
        tensors["weight"] = (tensors["weight"].astype(np.float64) * s).astype(np.float32)
        tensors["bias"] = ((bias - mean) * s + beta).astype(np.float32)
        draft.layer = _with_bias(draft.layer)
        if draft.name in cv.quant:  # the int8 weights are unchanged; their scales absorb |s|
            entry = cv.quant[draft.name]
            entry["w_scale"] = (entry["w_scale"] * np.abs(s)).astype(np.float32)
        cv.values[node.output[0]] = replace(v, exclusive=True)
        return
    shifted = var + eps - BATCHNORM_EPS
    if np.all(shifted >= 0):
        var = shifted
    else:  # an epsilon below the executor's: rescale gamma instead of the variance
        gamma = gamma * np.sqrt(var + BATCHNORM_EPS) / np.sqrt(var + eps)
    name = cv.emit(node, BatchNorm(), (v,), gamma=gamma, beta=beta, mean=mean, var=var)
    cv.values[node.output[0]] = replace(v, node=name, exclusive=True)


def add(cv: Converter, node: Any) -> None:
    if node.input[0] in cv.values and node.input[1] in cv.values:
        a, b = cv.act(node, 0), cv.act(node, 1)
        same_order = (a.order is None and b.order is None) or (
            a.order is not None and b.order is not None and np.array_equal(a.order, b.order)
        )
        if a.axes != b.axes or not same_order or a.squeezed != b.squeezed or a.spatial != b.spatial:
            raise cv.fail(node, "input layouts", (a.axes, b.axes), "the same layout for both inputs")
        name = cv.emit(node, Add(), (a, b))
        cv.values[node.output[0]] = replace(a, node=name, quant=None, exclusive=True)
        return
    i = 0 if node.input[0] in cv.values else 1
    v, c = cv.act(node, i), cv.const(node, 1 - i)
    draft = cv.foldable(node.input[i], v, ("conv2d", "dense"))
    size = v.shape[-1]
    channel_axis = -3 if len(v.shape) == 3 else -1
    per_channel = c.ndim >= -channel_axis and c.shape[channel_axis] == size and c.size == size
    if draft is None or v.order is not None or not (c.size == 1 or per_channel):
        raise cv.fail(
            node, "constant input", list(c.shape), "a bias (one value per channel) of the layer it follows"
        )
    tensors = cv.weights[draft.name]
    old = tensors.get("bias", np.zeros(size)).astype(np.float64)
    tensors["bias"] = (old + _bias(cv, node, c, size)).astype(np.float32)
    draft.layer = _with_bias(draft.layer)
    cv.values[node.output[0]] = replace(v, exclusive=True)


PARAM_OPS: dict[str, Callable[[Converter, Any], None]] = {
    "Conv": conv,
    "Gemm": gemm,
    "MatMul": matmul,
    "QLinearConv": qlinear_conv,
    "QLinearMatMul": qlinear_matmul,
    "BatchNormalization": batchnorm,
    "Add": add,
    "Mul": mul,
}
"""Converters of the ONNX operators that carry (or fold into) parameters."""


def _with_bias(layer: Layer) -> Layer:
    """A convolution or dense layer that now has a bias (a folded batch-norm or Add gave it one)."""
    if not isinstance(layer, Conv2d | Dense):
        raise TypeError(f"only a conv2d or dense layer takes a folded bias, not {layer.kind}")
    return replace(layer, bias=True)
