"""The state of one ONNX-to-graph conversion: tensors seen so far, draft layers, weights and scales.

The converter walks the nodes in the file's (topological) order and keeps, for every ONNX tensor, either
a constant (initializers, Constant nodes, folded Transposes and dequantised weights) or a :class:`Value`:
the tinyemu node computing it plus how the ONNX tensor is laid out relative to tinyemu's NHWC tensor.
Layers are collected as mutable drafts so that a later BatchNormalization or bias Add can still fold
into the convolution or dense layer before it; the immutable graph is built by :meth:`Converter.finish`.
The per-operator functions are in :mod:`workloads.onnx_ops` and :mod:`workloads.onnx_layout_ops`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from math import ceil
from typing import Any, Literal, overload

import numpy as np

from workloads.errors import WorkloadError
from workloads.graph import Graph, GraphBuilder
from workloads.layers import Layer, Shape
from workloads.onnx_quant import QuantParams

NCHW = (0, 3, 1, 2)
"""The ONNX tensor is ``transpose(nhwc, NCHW)``: the usual layout of an ONNX feature map."""
NHWC = (0, 1, 2, 3)


def attributes(node: Any) -> dict[str, Any]:
    """A node's int, float, string and list attributes by name (tensor attributes are skipped)."""
    out: dict[str, Any] = {}
    for a in node.attribute:
        if a.type == 1:
            out[a.name] = a.f
        elif a.type == 2:
            out[a.name] = a.i
        elif a.type == 3:
            out[a.name] = a.s.decode()
        elif a.type == 6:
            out[a.name] = list(a.floats)
        elif a.type == 7:
            out[a.name] = list(a.ints)
    return out


def node_label(node: Any) -> str:
    """The node's name, or its first output's name when it has none."""
    return node.name or (node.output[0] if node.output else "?")


@dataclass(frozen=True, eq=False)
class Value:
    """An ONNX activation tensor as computed by a tinyemu node.

    ``axes``: for a feature map, the ONNX tensor is ``transpose(nhwc, axes)`` (``NCHW`` normally; a
    pending Transpose changes it). ``order``: for a vector that flattens a feature map, tinyemu's element
    ``i`` is ONNX's element ``order[i]`` (None: the same order). ``squeezed``: a vector ONNX sees as
    ``(N, C, 1, 1)``. ``quant``: (scale, int8 zero point) when the tensor is quantised. ``exclusive``: no
    other ONNX node reads the producing layer's output, so a fold into that layer is exact. ``spatial``:
    the number of ONNX spatial axes: 1 for a sequence ``(N, C, L)`` (and its ``(N, C, 1)`` pool), which
    tinyemu holds as a ``(1, L, C)`` feature map so that 2-D kernels and costs apply (H = 1). ``pad``:
    the (top, bottom, left, right) zeros of a constant zero Pad (``pad_node``) not yet applied: ONNX's
    tensor is ``shape`` padded so; only a Conv or pool reading it may take them into its own padding.
    """

    node: str
    shape: Shape
    axes: tuple[int, ...] | None = None
    order: np.ndarray | None = None
    squeezed: bool = False
    quant: tuple[float, int] | None = None
    exclusive: bool = True
    spatial: int = 2
    pad: tuple[int, int, int, int] | None = None
    pad_node: str = ""

    @property
    def padded_hw(self) -> tuple[int, int]:
        """(H, W) of the ONNX tensor: ``shape``'s with the pending :attr:`pad` (a feature map's only)."""
        t, b, left, r = self.pad or (0, 0, 0, 0)
        return self.shape[0] + t + b, self.shape[1] + left + r


@dataclass
class Draft:
    """A layer under construction (a fold may still change it)."""

    name: str
    layer: Layer
    inputs: tuple[str, ...]
    shape: Shape


class Converter:
    """Conversion state of one ONNX graph; op functions read inputs and emit layers through it.

    Parameters
    ----------
    source
        The file (for messages).
    model_name
        The graph's name.
    nodes
        The ONNX nodes, in order.
    constants
        Initializers and Constant-node values by tensor name.
    output
        The name of the graph's one output tensor.
    """

    def __init__(
        self, source: str, model_name: str, nodes: Any, constants: dict[str, np.ndarray], output: str
    ) -> None:
        self.source = source
        self.model_name = model_name
        self.nodes = list(nodes)
        self.consts: dict[str, np.ndarray] = dict(constants)
        self.qconst: dict[str, QuantParams] = {}
        self.values: dict[str, Value] = {}
        self.drafts: dict[str, Draft] = {}
        self.weights: dict[str, dict[str, np.ndarray]] = {}
        self.quant: dict[str, dict[str, Any]] = {}
        self.uses = Counter(i for n in self.nodes for i in n.input if i)
        self.uses[output] += 1  # the graph output is a reader too: nothing folds into it
        self.output = output
        self.softmax = False
        self.input_shape: Shape = ()

    def add_input(self, name: str, dims: tuple[int, ...]) -> None:
        """The graph input: ``(F,)``, a sequence ``(C, L)`` (held as ``(1, L, C)``) or NCHW ``(C, H, W)``
        (NHWC if only ``Transpose(0,3,1,2)`` reads it)."""
        if len(dims) == 1:
            self.input_shape = dims
            self.values[name] = Value("input", dims)
            return
        if len(dims) == 2:
            self.input_shape = (1, dims[1], dims[0])
            self.values[name] = Value("input", self.input_shape, NCHW, spatial=1)
            return
        readers = [n for n in self.nodes if name in n.input]
        nhwc = bool(readers) and all(
            n.op_type == "Transpose" and attributes(n).get("perm") == list(NCHW) for n in readers
        )
        self.input_shape = dims if nhwc else (dims[1], dims[2], dims[0])
        self.values[name] = Value("input", self.input_shape, NHWC if nhwc else NCHW)

    # -- reading inputs ------------------------------------------------------------------------------
    def fail(self, node: Any, what: str, value: Any, allowed: str) -> WorkloadError:
        """The error for a node the importer cannot convert exactly (raise it)."""
        return WorkloadError(self.source, f"{node.op_type} {node_label(node)!r} {what}", value, allowed)

    def act(self, node: Any, i: int = 0, padded: bool = False) -> Value:
        """Input ``i`` as a computed tensor; ``padded``: the caller applies a pending zero Pad itself."""
        name = node.input[i] if len(node.input) > i else ""
        if name in self.values:
            v = self.values[name]
            if v.pad is not None and not padded:
                raise self.fail(
                    node,
                    f"input {i}",
                    f"the output of Pad {v.pad_node!r}",
                    "a computed tensor: a zero Pad folds only into a Conv, AveragePool or MaxPool reading it",
                )
            return v
        if name in self.consts:
            raise self.fail(node, f"input {i}", name, "a computed tensor, not a constant")
        raise self.fail(node, f"input {i}", name, "a tensor computed by an earlier node")

    @overload
    def const(self, node: Any, i: int) -> np.ndarray: ...

    @overload
    def const(self, node: Any, i: int, required: Literal[True]) -> np.ndarray: ...

    @overload
    def const(self, node: Any, i: int, required: bool) -> np.ndarray | None: ...

    def const(self, node: Any, i: int, required: bool = True) -> np.ndarray | None:
        """Input ``i`` as a constant (None for an absent optional input)."""
        name = node.input[i] if len(node.input) > i else ""
        if not name and not required:
            return None
        if name in self.consts:
            return np.asarray(self.consts[name])
        raise self.fail(node, f"input {i}", name or None, "a constant (an initializer)")

    def feature_map(self, node: Any, v: Value) -> Value:
        """``v``, checked to be an NCHW feature map (or an NCL sequence)."""
        if len(v.shape) != 3:
            raise self.fail(node, "input", v.shape, "a feature map (N, C, H, W) or a sequence (N, C, L)")
        if v.axes != NCHW:
            raise self.fail(node, "input layout", v.axes, "NCHW (Transposes must cancel before it)")
        return v

    def vector(self, node: Any, v: Value) -> Value:
        """``v``, checked to be a (batch, features) tensor."""
        if len(v.shape) != 1:
            raise self.fail(node, "input", v.shape, "a (batch, features) tensor (Flatten first)")
        return v

    # -- writing outputs -----------------------------------------------------------------------------
    def emit(self, node: Any, layer: Layer, inputs: tuple[Value, ...], **tensors: np.ndarray) -> str:
        """Append a draft layer named after ``node`` reading ``inputs``; return its (unique) name."""
        base = re.sub(r"[^0-9A-Za-z_-]+", "_", node.name).strip("_") or f"{layer.kind}_{len(self.drafts)}"
        name, k = base, 2
        while name == "input" or name in self.drafts:
            name, k = f"{base}_{k}", k + 1
        try:
            shape = tuple(layer.output_shape(tuple(v.shape for v in inputs)))
        except ValueError as exc:
            raise self.fail(node, "input shape", [v.shape for v in inputs], str(exc)) from None
        self.drafts[name] = Draft(name, layer, tuple(v.node for v in inputs), shape)
        if tensors:
            self.weights[name] = {k: np.ascontiguousarray(t, dtype=np.float32) for k, t in tensors.items()}
        return name

    def through(self, node: Any, v: Value, **changes: Any) -> None:
        """The node's output is its input (a dropped or layout-only op)."""
        exclusive = v.exclusive and self.uses[node.input[0]] == 1
        self.values[node.output[0]] = replace(v, exclusive=exclusive, **changes)

    def foldable(self, tensor: str, v: Value, kinds: tuple[str, ...]) -> Draft | None:
        """The draft producing ``v`` if ``tensor`` is its only reader and it is one of ``kinds``."""
        draft = self.drafts.get(v.node)
        if draft is None or draft.layer.kind not in kinds:
            return None
        return draft if v.exclusive and self.uses[tensor] == 1 else None

    # -- windows -------------------------------------------------------------------------------------
    def window_attributes(self, node: Any, v: Value) -> dict[str, Any]:
        """The node's attributes, those of a 1-D window (over a sequence) written as a 1 x K one."""
        a = attributes(node)
        if v.spatial == 2:
            return a
        for key in ("kernel_shape", "strides", "dilations"):
            if key in a:
                if len(a[key]) != 1:
                    raise self.fail(node, key, a[key], "one value (the input is a sequence (N, C, L))")
                a[key] = [1, a[key][0]]
        if "pads" in a:
            if len(a["pads"]) != 2:
                raise self.fail(node, "pads", a["pads"], "two pads (begin, end) of the sequence axis")
            a["pads"] = [0, a["pads"][0], 0, a["pads"][1]]
        return a

    def window(
        self,
        node: Any,
        v: Value,
        kernel: tuple[int, int],
        a: dict[str, Any] | None = None,
        include_pad: bool = True,
    ) -> tuple[Any, tuple[int, int]]:
        """Padding and strides of a conv or pool (dilation 1; ceil_mode only where it changes nothing).

        ``a``: the node's attributes as :meth:`window_attributes` gives them (read here if None).
        ``include_pad``: add the zeros of a pending Pad of ``v`` to the node's own padding (else only the
        node's own, computed for the padded tensor, as ONNX does).
        """
        a = self.window_attributes(node, v) if a is None else a
        if any(d != 1 for d in a.get("dilations", [1, 1])):
            given = attributes(node)["dilations"]  # as the file writes them (1-D: one value)
            raise self.fail(node, "dilations", given, "1 (dilated windows are not supported)")
        if "kernel_shape" in a and tuple(a["kernel_shape"]) != kernel:
            raise self.fail(node, "kernel_shape", a["kernel_shape"], f"the weight's {kernel}")
        strides = tuple(a.get("strides", [1, 1]))
        if len(strides) != 2 or min(strides) < 1:
            raise self.fail(node, "strides", list(strides), "two positive strides")
        padding = self._padding(node, a, v.padded_hw, kernel, strides)
        if a.get("ceil_mode", 0):
            pads = padding if isinstance(padding, tuple) else (0, 0, 0, 0)
            for size, k, s, lo, hi in zip(v.padded_hw, kernel, strides, pads[::2], pads[1::2], strict=True):
                if (size + lo + hi - k) % s:
                    raise self.fail(node, "ceil_mode", 1, "0 (or windows that tile the input exactly)")
        if include_pad and v.pad is not None:
            own = padding if isinstance(padding, tuple) else (0, 0, 0, 0)
            total = (own[0] + v.pad[0], own[1] + v.pad[1], own[2] + v.pad[2], own[3] + v.pad[3])
            padding = total if any(total) else "valid"
        return padding, strides

    def _padding(
        self, node: Any, a: dict[str, Any], hw: Shape, kernel: tuple[int, int], strides: tuple[int, ...]
    ) -> str | tuple[int, int, int, int]:
        auto = a.get("auto_pad", "NOTSET")
        if auto == "VALID":
            return "valid"
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            pads: list[int] = []
            for size, k, s in zip(hw, kernel, strides, strict=True):
                total = max((ceil(size / s) - 1) * s + k - size, 0)
                small, big = total // 2, total - total // 2
                pads += [small, big] if auto == "SAME_UPPER" else [big, small]
            return (pads[0], pads[1], pads[2], pads[3])
        if auto != "NOTSET":
            raise self.fail(node, "auto_pad", auto, "NOTSET, VALID, SAME_UPPER or SAME_LOWER")
        p = list(a.get("pads", [0, 0, 0, 0]))
        if len(p) != 4 or min(p) < 0:
            raise self.fail(node, "pads", p, "four non-negative pads (top, left, bottom, right)")
        return "valid" if not any(p) else (p[0], p[2], p[1], p[3])

    # -- the result ----------------------------------------------------------------------------------
    def finish(self) -> tuple[Graph, dict[str, dict[str, np.ndarray]], dict[str, dict[str, Any]], str]:
        """The graph (only the layers the output depends on), weights, scales, and why that loss."""
        out = self.values.get(self.output)
        where = WorkloadError
        if out is None or out.node == "input":
            raise where(self.source, "graph.output", self.output, "a tensor computed from the input")
        if out.pad is not None:
            raise where(self.source, "graph.output", self.output, "a tensor that is not a Pad's output")
        if out.order is not None or out.axes not in (None, NCHW):
            raise where(
                self.source,
                "graph.output",
                self.output,
                "a tensor in ONNX's own layout (a flattened or transposed feature map needs a dense layer "
                "or the inverse Transpose before the output)",
            )
        keep, todo = set(), [out.node]
        while todo:
            name = todo.pop()
            if name in self.drafts and name not in keep:
                keep.add(name)
                todo.extend(self.drafts[name].inputs)
        builder = GraphBuilder(self.model_name, self.input_shape)
        for draft in self.drafts.values():
            if draft.name in keep:
                builder.add_layer(draft.layer, draft.inputs, draft.name)
        if self.softmax:
            loss, reason = "softmax_cross_entropy", "the output is a Softmax (dropped: the loss applies it)"
        elif out.shape == self.input_shape:
            loss, reason = "mse", "the output has the input's shape and no Softmax (a reconstruction)"
        else:
            loss, reason = "softmax_cross_entropy", "the output is a vector of logits (no Softmax)"
        weights = {k: v for k, v in self.weights.items() if k in keep}
        quant = {k: v for k, v in self.quant.items() if k in keep}
        return builder.build(loss), weights, quant, reason
