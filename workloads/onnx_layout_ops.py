"""ONNX operators without parameters: activations, pools, concat, layout changes, dropped ops, Q/DQ markers.

A Flatten (or Reshape to 2-D) of a feature map lists ONNX values in (C, H, W) order and tinyemu's in
(H, W, C) order: the resulting :class:`~workloads.onnx_convert.Value` carries the permutation, which the
dense layer reading it applies to its weight rows. A Transpose only changes a value's recorded layout; a
pair that cancels leaves the NCHW layout every other operator requires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from math import prod
from types import SimpleNamespace
from typing import Any

import numpy as np

from workloads.layers import AvgPool, Concat, Flatten, GlobalAvgPool, MaxPool, ReLU, ReLU6
from workloads.onnx_convert import NCHW, Converter, Value, attributes, node_label
from workloads.onnx_quant import QuantParams, dequantize, quantize

_CLIPS = {(0.0, 6.0): ReLU6, (0.0, np.inf): ReLU}


def clip_range(node: Any, constants: dict[str, np.ndarray]) -> tuple[float, float] | None:
    """(min, max) of a Clip from its attributes (opset < 11) or constant inputs; None if not constant."""
    a = attributes(node)
    bounds = [a.get("min", -np.inf), a.get("max", np.inf)]
    for i in (1, 2):
        if len(node.input) > i and node.input[i]:
            if node.input[i] not in constants:
                return None
            bounds[i - 1] = float(np.asarray(constants[node.input[i]]).reshape(-1)[0])
    return float(bounds[0]), float(bounds[1])


def clip_supported(node: Any, constants: dict[str, np.ndarray]) -> bool:
    """Clip(0, 6) is a ReLU6 and Clip(0, inf) a ReLU; other ranges have no tinyemu layer."""
    return clip_range(node, constants) in _CLIPS


def activation(cv: Converter, node: Any, layer: Any) -> None:
    """Emit the element-wise ``layer`` reading the node's one input (same layout out as in)."""
    v = cv.act(node, 0)
    name = cv.emit(node, layer, (v,))
    cv.values[node.output[0]] = replace(v, node=name, exclusive=True)


def relu(cv: Converter, node: Any) -> None:
    activation(cv, node, ReLU())


def clip(cv: Converter, node: Any) -> None:
    bounds = clip_range(node, cv.consts)
    if bounds not in _CLIPS:
        raise cv.fail(node, "min, max", bounds, "constant bounds of a ReLU (0, inf) or ReLU6 (0, 6)")
    activation(cv, node, _CLIPS[bounds]())


NONNEGATIVE_KINDS = ("relu", "relu6", "sigmoid", "hard_sigmoid")
"""Layers whose outputs are >= 0: a zero Pad before a max pool of them changes no window's maximum."""


def _pool(cv: Converter, node: Any, kind: type) -> None:
    x = cv.feature_map(node, cv.act(node, 0, padded=True))
    if any(cv.uses[o] for o in node.output[1:] if o):
        raise cv.fail(node, "outputs", list(node.output), "one output (no Indices)")
    if len(attributes(node).get("kernel_shape", [])) != x.spatial:
        want = "one window size (the input is a sequence (N, C, L))" if x.spatial == 1 else "two window sizes"
        raise cv.fail(node, "kernel_shape", attributes(node).get("kernel_shape"), want)
    a = cv.window_attributes(node, x)
    pool = tuple(a["kernel_shape"])
    padding, strides = cv.window(node, x, pool, a)
    layer = kind(pool, strides, padding)
    include_pad = bool(a.get("count_include_pad", 0))
    if x.pad is not None:
        include_pad = _fold_pad(cv, node, x, kind, pool, a, padding)
    if kind is AvgPool and include_pad and padding != "valid":
        layer = AvgPool(pool, strides, padding, count_include_pad=True)  # PyTorch's default
    name = cv.emit(node, layer, (x,))
    cv.values[node.output[0]] = Value(name, cv.drafts[name].shape, NCHW, spatial=x.spatial)


def _fold_pad(cv: Converter, node: Any, x: Value, kind: type, pool: tuple, a: dict, padding: Any) -> bool:
    """Check that the zeros of the Pad before this pool fold exactly (``padding``: both together); returns
    ``count_include_pad``."""
    total = padding if isinstance(padding, tuple) else (0, 0, 0, 0)
    if kind is AvgPool:  # the Pad's zeros count in every window's mean: all padding must count
        own, _ = cv.window(node, x, (pool[0], pool[1]), a, include_pad=False)
        if own != "valid" and any(own) and not a.get("count_include_pad", 0):
            raise cv.fail(
                node,
                "pads",
                list(own),
                f"none of its own, or count_include_pad=1, after the zero Pad {x.pad_node!r}",
            )
        return True
    draft = cv.drafts.get(x.node)
    narrow = max(total[:2]) < pool[0] and max(total[2:]) < pool[1]  # every window holds an input value
    if draft is None or draft.layer.kind not in NONNEGATIVE_KINDS or not narrow:
        raise cv.fail(
            node,
            "input",
            f"the output of Pad {x.pad_node!r}",
            "a zero Pad before a MaxPool only of outputs >= 0 (Relu, Clip(0, 6), Sigmoid, HardSigmoid) "
            "and with fewer zeros per side than the window",
        )
    return False


def maxpool(cv: Converter, node: Any) -> None:
    _pool(cv, node, MaxPool)


def avgpool(cv: Converter, node: Any) -> None:
    _pool(cv, node, AvgPool)


def global_avgpool(cv: Converter, node: Any) -> None:
    x = cv.feature_map(node, cv.act(node, 0))
    name = cv.emit(node, GlobalAvgPool(), (x,))
    cv.values[node.output[0]] = Value(name, cv.drafts[name].shape, squeezed=True, spatial=x.spatial)


def reduce_mean(cv: Converter, node: Any) -> None:
    """A mean over the spatial axes (``torch.mean(x, (2, 3))``, PyTorch 2's ``AdaptiveAvgPool2d(1)``; the
    length axis of a sequence) is the global average pool; ``keepdims=1`` leaves ONNX ``(N, C, 1, 1)``."""
    v = cv.act(node, 0)
    a = attributes(node)
    axes = a.get("axes")
    if len(node.input) > 1 and node.input[1]:  # opset 18: the axes are an input
        axes = [int(i) for i in cv.const(node, 1).reshape(-1)]
    keep = a.get("keepdims", 1)
    if len(v.shape) != 3 or v.axes is None:
        raise cv.fail(node, "input", v.shape, "a feature map (N, C, H, W) to average over H and W")
    rank = v.spatial + 2
    onnx_axes = v.axes if v.spatial == 2 else (v.axes[0], v.axes[1], v.axes[3])  # (N, C, L): no H
    want = "the spatial axes [2, 3] (or [-2, -1])" if v.spatial == 2 else "the length axis [2] (or [-1])"
    if not axes or a.get("noop_with_empty_axes", 0):
        raise cv.fail(node, "axes", axes or [], f"{want}, not the batch or channel axis")
    ours = sorted({onnx_axes[i % rank] for i in axes if -rank <= i < rank})
    if ours != [1, 2][2 - v.spatial :] or len(axes) != v.spatial:
        raise cv.fail(node, "axes", list(axes), want)
    if keep and v.axes != NCHW:
        raise cv.fail(node, "input layout", v.axes, "NCHW for keepdims=1 (Transposes must cancel first)")
    name = cv.emit(node, GlobalAvgPool(), (v,))
    cv.values[node.output[0]] = Value(name, cv.drafts[name].shape, squeezed=bool(keep), spatial=v.spatial)


def _flatten(cv: Converter, node: Any, v: Value) -> None:
    if len(v.shape) == 1:  # already a vector in tinyemu (perhaps ONNX's (N, C, 1, 1))
        cv.through(node, v, squeezed=False)
        return
    if v.axes is None or len(v.axes) != 4 or v.axes[0] != 0:
        raise cv.fail(node, "input layout", v.axes, "a feature map with the batch first")
    h, w, c = v.shape
    onnx_order = np.arange(h * w * c).reshape(1, h, w, c).transpose(v.axes).reshape(-1)
    order = np.argsort(onnx_order)  # our element i is ONNX's element order[i]
    same = bool(np.array_equal(order, np.arange(order.size)))
    name = cv.emit(node, Flatten(), (v,))
    cv.values[node.output[0]] = Value(name, (h * w * c,), order=None if same else order, quant=v.quant)


def flatten(cv: Converter, node: Any) -> None:
    v = cv.act(node, 0)
    axis = attributes(node).get("axis", 1)
    rank = v.spatial + 2 if len(v.shape) == 3 or v.squeezed else 2
    if axis not in (1, 1 - rank):
        raise cv.fail(node, "axis", axis, "1 (keep the batch axis)")
    _flatten(cv, node, v)


def reshape(cv: Converter, node: Any) -> None:
    v = cv.act(node, 0)
    target = [int(t) for t in cv.const(node, 1).reshape(-1)]
    features = prod(v.shape)
    allow_zero = attributes(node).get("allowzero", 0)
    ok = len(target) == 2 and not (allow_zero and 0 in target)
    if ok:
        first, second = target
        ok = (second == features and (first in (-1, 0) or first > 0)) or (second == -1 and first >= 0)
    if not ok:
        raise cv.fail(node, "shape", target, f"a 2-D (batch, {features}) shape such as [-1, {features}]")
    _flatten(cv, node, v)


def transpose(cv: Converter, node: Any) -> None:
    perm = attributes(node).get("perm")
    name = node.input[0]
    if name in cv.consts:
        cv.consts[node.output[0]] = np.transpose(cv.consts[name], perm)
        return
    v = cv.act(node, 0)
    rank = v.spatial + 2 if len(v.shape) == 3 else 2
    perm = list(range(rank))[::-1] if perm is None else list(perm)
    if rank == 4 and not v.squeezed and v.axes is not None and sorted(perm) == [0, 1, 2, 3] and perm[0] == 0:
        axes = v.axes
        cv.through(node, v, axes=tuple(axes[p] for p in perm))
        return
    if perm == list(range(rank)):
        cv.through(node, v)
        return
    raise cv.fail(node, "perm", perm, "a permutation of the C, H, W axes that a later Transpose undoes")


def concat(cv: Converter, node: Any) -> None:
    """Concat along ONNX axis 1: the channels of NCHW feature maps (or NCL sequences), tinyemu's last
    axis, or the features of ``(N, F)`` vectors; a flattened input's element order carries over."""
    vs = [cv.act(node, i) for i in range(len(node.input))]
    if len(vs) == 1:
        cv.through(node, vs[0])
        return
    first = vs[0]
    maps = len(first.shape) == 3
    rank = first.spatial + 2 if maps or first.squeezed else 2
    axis = attributes(node).get("axis")
    if axis not in (1, 1 - rank):
        what = "feature maps (N, C, H, W)" if rank == 4 else "sequences (N, C, L)" if maps else "vectors"
        raise cv.fail(node, "axis", axis, f"1 (or {1 - rank}): the channel axis of {what}")
    for v in vs:
        if maps:
            cv.feature_map(node, v)
        if (len(v.shape), v.squeezed, v.spatial) != (len(first.shape), first.squeezed, first.spatial):
            shapes = [w.shape for w in vs]
            raise cv.fail(node, "input shapes", shapes, "tensors of one rank and layout")
    name = cv.emit(node, Concat(len(vs)), tuple(vs))
    order = None
    if any(v.order is not None for v in vs):
        starts = np.cumsum([0] + [v.shape[0] for v in vs[:-1]])
        order = np.concatenate(
            [
                (np.arange(v.shape[0]) if v.order is None else v.order) + s
                for v, s in zip(vs, starts, strict=True)
            ]
        )
    shape = cv.drafts[name].shape
    cv.values[node.output[0]] = Value(name, shape, first.axes, order, first.squeezed, spatial=first.spatial)


def softmax(cv: Converter, node: Any) -> None:
    v = cv.vector(node, cv.act(node, 0))
    axis = attributes(node).get("axis", -1)
    if node.output[0] != cv.output:
        raise cv.fail(node, "position", "inside the graph", "a Softmax only as the graph's output")
    if axis not in ((1,) if v.squeezed else (1, -1)):
        raise cv.fail(node, "axis", axis, "the class axis (1 or -1)")
    cv.softmax = True
    cv.through(node, v)


def identity(cv: Converter, node: Any) -> None:
    if node.input[0] in cv.consts:
        cv.consts[node.output[0]] = cv.consts[node.input[0]]
        return
    if any(cv.uses[o] for o in node.output[1:] if o):
        raise cv.fail(node, "mask output", node.output[1], "unused (the mask exists only in training)")
    cv.through(node, cv.act(node, 0))


def constant(cv: Converter, node: Any) -> None:
    """Constant values were read before conversion began."""


def _qparams(cv: Converter, node: Any) -> QuantParams:
    scale = cv.const(node, 1).astype(np.float64)
    zero = cv.const(node, 2, False)
    zero = np.zeros((), np.uint8) if zero is None else zero
    return QuantParams(scale, zero, attributes(node).get("axis", 1))


def quantize_linear(cv: Converter, node: Any) -> None:
    params = _qparams(cv, node)
    if node.input[0] in cv.consts:
        cv.consts[node.output[0]] = quantize(np.asarray(cv.consts[node.input[0]], np.float64), params)
        return
    v = cv.act(node, 0)
    if not params.per_tensor:
        raise cv.fail(node, "scale", list(params.scale.shape), "one scale for the whole activation")
    q = params.activation()
    cv.through(node, v, quant=q)
    name = v.node  # the layer whose output this quantises: through its fused activation
    while name in cv.drafts and cv.drafts[name].layer.kind in ("relu", "relu6"):
        name = cv.drafts[name].inputs[0]
    entry = cv.quant.get(name)
    if entry is not None and entry["y_scale"] is None:
        entry["y_scale"], entry["y_zero_point"] = q
    _clamp_activation(cv, node, v, q)


CLAMPABLE_KINDS = ("conv2d", "dense", "add", "batchnorm")
"""Layers whose output can be negative: a quantiser clamping it at zero stands for a removed ReLU."""


def _clamp_activation(cv: Converter, node: Any, v: Value, q: tuple[float, int]) -> None:
    """A quantiser whose zero point is the bottom of the int8 range clamps at 0: the ReLU (or Clip(0, 6))
    that onnxruntime's ``quantize_static`` removed and folded into it. It becomes a ``relu`` (``relu6``
    when the range tops out at 6 within half a step) reading the quantised layer, so the fp32 forward
    computes it too and the backward passes no gradient where it clamps."""
    scale, zero_point = q
    draft = cv.drafts.get(v.node)
    if zero_point != -128 or draft is None or draft.layer.kind not in CLAMPABLE_KINDS:
        return
    top = (127 - zero_point) * scale
    layer = ReLU6() if abs(top - 6.0) <= scale / 2 else ReLU()
    label = SimpleNamespace(name=f"{node_label(node)}_{layer.kind}", op_type=node.op_type)
    name = cv.emit(label, layer, (v,))
    cv.values[node.output[0]] = replace(cv.values[node.output[0]], node=name, exclusive=True)


def dequantize_linear(cv: Converter, node: Any) -> None:
    params = _qparams(cv, node)
    if node.input[0] in cv.consts:
        cv.consts[node.output[0]] = dequantize(np.asarray(cv.consts[node.input[0]]), params).astype(
            np.float32
        )
        cv.qconst[node.output[0]] = params
        return
    v = cv.act(node, 0)
    cv.through(node, v, quant=params.activation() if params.per_tensor else v.quant)


LAYOUT_OPS: dict[str, Callable[[Converter, Any], None]] = {
    "Relu": relu,
    "Clip": clip,
    "MaxPool": maxpool,
    "AveragePool": avgpool,
    "GlobalAveragePool": global_avgpool,
    "ReduceMean": reduce_mean,
    "Flatten": flatten,
    "Reshape": reshape,
    "Transpose": transpose,
    "Concat": concat,
    "Softmax": softmax,
    "Identity": identity,
    "Dropout": identity,
    "Constant": constant,
    "QuantizeLinear": quantize_linear,
    "DequantizeLinear": dequantize_linear,
}
"""Converters of the ONNX operators without parameters."""
