"""Import an ONNX model as a tinyemu graph with its own weights (and int8 scales, when quantised).

The ``onnx`` package is an optional extra (``pip install 'tinyemu[onnx]'``), imported only here.

What maps to what (the per-op converters are in :mod:`workloads.onnx_ops`):

- Conv (groups, strides, pads or auto_pad; dilation 1) -> ``conv2d``; a BatchNormalization that is the
  only reader of a Conv's output is folded into the conv weights and bias (exact up to fp32 rounding);
- sequences: an input ``(N, C, L)`` is held as a ``(1, L, C)`` feature map, so a Conv1d is a 1 x K
  ``conv2d`` and 1-D pools are 1 x K pools (the 2-D kernels and costs apply; a ReduceMean over L is the
  global average pool; a Flatten lists (C, L) in ONNX's order);
- Gemm (transA 0, any transB, alpha and beta folded into the constants) and MatMul with a constant weight
  -> ``dense``; an Add of a constant that is the only reader of a Conv/Gemm/MatMul output folds into the
  bias;
- Relu -> ``relu``; Clip(0, 6) -> ``relu6`` (Clip(0, inf) -> ``relu``); LeakyRelu, Sigmoid,
  Tanh, Elu, HardSigmoid, HardSwish -> their layers (:mod:`workloads.onnx_activation_ops`);
  BatchNormalization -> ``batchnorm`` (its epsilon moved into the variance so the executor's fixed
  epsilon gives the same result); Add of two tensors -> ``add``; Mul of two tensors (same shape, or a
  feature map and a ``(N, C, 1, 1)`` channel gate) -> ``mul``, and a 1x1 Conv of such a pooled tensor
  -> ``dense``;
  Concat along axis 1 (the channels of NCHW, tinyemu's last axis; the features of a 2-D tensor) ->
  ``concat``;
  MaxPool, AveragePool (``count_include_pad`` either way), GlobalAveragePool and a ReduceMean over the
  spatial axes (keepdims 0 or 1) -> the pools; Flatten and Reshape to 2-D -> ``flatten``; Softmax at
  the output, Identity and Dropout are dropped; Transposes that cancel vanish; a constant zero Pad of
  the spatial axes folds into the padding of the Conv or pool reading it (:mod:`workloads.onnx_pad`);
  a nearest Resize (or Upsample) by integer scales of the spatial axes whose coordinate mode repeats
  each pixel -> ``upsample`` (:mod:`workloads.onnx_resize`);
- quantised models (QuantizeLinear/DequantizeLinear around Conv/Gemm/MatMul, QLinearConv,
  QLinearMatMul): weights are dequantised into the float weights and the scales kept per layer; a
  QuantizeLinear whose zero point is the bottom of the range (onnxruntime's ``quantize_static`` folds the
  ReLU or Clip after a conv into it) becomes a ``relu`` (``relu6`` for a 0..6 range) after that layer.

Layout: ONNX is NCHW and tinyemu NHWC. Conv weights go OIHW -> HWIO; a Flatten of a feature map lists
values in (C, H, W) order in ONNX but (H, W, C) here, so the rows of the dense layer that reads it are
permuted: the imported network computes the same function as the ONNX one.

Loss: a Softmax at the output, or any output of another shape than the input, means softmax
cross-entropy; an output with the input's shape and no Softmax (an autoencoder) means MSE.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workloads.errors import WorkloadError
from workloads.graph import Graph
from workloads.onnx_activation_ops import ACTIVATION_OPS
from workloads.onnx_convert import Converter, node_label
from workloads.onnx_layout_ops import LAYOUT_OPS, clip_supported
from workloads.onnx_ops import PARAM_OPS
from workloads.onnx_pad import PAD_OPS
from workloads.onnx_resize import RESIZE_OPS

OPS = {**PARAM_OPS, **LAYOUT_OPS, **ACTIVATION_OPS, **PAD_OPS, **RESIZE_OPS}
"""Converter of every ONNX operator type (default domain) the importer supports."""

SUPPORTED = (
    "tinyemu imports Conv (1-D or 2-D), Gemm, MatMul (constant weight), Relu, Clip(0, 6), LeakyRelu, "
    "Sigmoid, Tanh, Elu, HardSigmoid, HardSwish, BatchNormalization, Add, "
    "Mul (same shapes or a channel gate), Concat (axis 1: channels, or features of 2-D tensors), "
    "MaxPool, AveragePool (1-D or 2-D), GlobalAveragePool, ReduceMean (over the spatial axes), Flatten, "
    "Reshape (to 2-D), Softmax (at the output), Identity, Dropout, Transpose (pairs that cancel), "
    "Pad (constant 0 of the spatial axes, before a Conv or pool), "
    "Resize and Upsample (mode nearest, integer scales of the spatial axes, coordinates that repeat "
    "pixels), Constant "
    "and the quantisation ops QuantizeLinear, DequantizeLinear, QLinearConv, QLinearMatMul"
)
"""What the unsupported-ops error says the importer reads."""

QUANT_KEYS = ("w_scale", "x_scale", "x_zero_point", "y_scale", "y_zero_point")
"""Keys of each layer's entry in :attr:`ImportedModel.quantization`."""


@dataclass(frozen=True)
class ImportedModel:
    """A model read from an ONNX file.

    Parameters
    ----------
    graph
        The layer graph (NHWC activations, node names after the ONNX node names).
    weights
        ``{node: {"weight": ..., "bias": ...}}`` as float32 arrays: conv2d weight HWIO
        ``(KH, KW, C_in // groups, C_out)``, dense weight ``(F_in, F_out)``, bias ``(C_out,)`` (absent
        when the layer has none); batchnorm ``gamma``, ``beta``, ``mean``, ``var``.
    quantization
        For a quantised model, per conv/dense node: ``w_scale`` (float32 per output channel),
        ``x_scale``/``x_zero_point`` of its input and ``y_scale``/``y_zero_point`` of its output after
        its activation (``None`` where the file does not say). Zero points are in the int8 domain (a
        uint8 zero point ``z`` is stored as ``z - 128``). ``None`` for a float model.
    source_path
        The file it came from.
    """

    graph: Graph
    weights: Mapping[str, Mapping[str, np.ndarray]]
    quantization: Mapping[str, Mapping[str, Any]] | None = None
    source_path: str = "<onnx>"
    loss_reason: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        for name, tensors in self.weights.items():
            if name not in self.graph:
                raise WorkloadError(self.source_path, "weights", name, "the name of a node of the graph")
            for key, array in tensors.items():
                if not isinstance(array, np.ndarray) or array.dtype != np.float32:
                    raise WorkloadError(self.source_path, f"weights.{name}.{key}", key, "a float32 array")
        for name, entry in (self.quantization or {}).items():
            if name not in self.graph or set(entry) != set(QUANT_KEYS):
                raise WorkloadError(
                    self.source_path, "quantization", name, f"a node of the graph with {QUANT_KEYS}"
                )

    @property
    def precision(self) -> str:
        """``"int8"`` when the file is quantised (some conv/dense layer carries scales), else ``"fp32"``."""
        return "int8" if self.quantization else "fp32"


def import_onnx(path: str | Path) -> ImportedModel:
    """Read an ONNX file into a graph, its weights and (for a quantised model) its scales.

    Raises
    ------
    WorkloadError
        When ``onnx`` is not installed, the file is missing, truncated or not ONNX, the model has several
        inputs or outputs or dynamic non-batch dimensions, or uses operators tinyemu cannot represent
        exactly (all of them are listed, with node names and counts).
    """
    source = str(path)
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise WorkloadError(
            source, "model", source, "the onnx package to read it: pip install 'tinyemu[onnx]'"
        ) from None
    model = _load(onnx, Path(path), source)
    graph = model.graph
    try:
        constants = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        for node in graph.node:
            if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
                constants[node.output[0]] = _constant_value(onnx, numpy_helper, node)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise WorkloadError(source, "initializers", source, f"readable tensors ({exc})") from None
    missing = unsupported_ops(graph.node, constants)
    if missing:
        raise WorkloadError(
            source,
            "unsupported ONNX ops",
            missing,
            SUPPORTED,
        )
    input_name, input_dims = _single_input(onnx, graph, constants, source)
    if len(graph.output) != 1:
        names = [o.name for o in graph.output]
        raise WorkloadError(source, "graph.output", names, "exactly one output")
    converter = Converter(source, Path(path).stem, graph.node, constants, graph.output[0].name)
    converter.add_input(input_name, input_dims)
    for node in graph.node:
        try:
            OPS[node.op_type](converter, node)
        except WorkloadError:
            raise
        except (ValueError, TypeError, IndexError, KeyError) as exc:  # a malformed node, not a bug of ours
            where = f"{node.op_type} {node_label(node)!r}"
            raise WorkloadError(source, where, list(node.input), f"a well-formed node ({exc})") from None
    built, weights, quantization, reason = converter.finish()
    return ImportedModel(built, weights, quantization or None, source, reason)


def unsupported_ops(nodes: Any, constants: dict[str, np.ndarray]) -> str:
    """``"LSTM x2 (lstm_1, lstm_2), Sigmoid x1 (act_3)"`` for every node the importer cannot convert."""
    found: dict[str, list[str]] = {}
    for node in nodes:
        label = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
        ok = label in OPS and (node.op_type != "Clip" or clip_supported(node, constants))
        if not ok:
            found.setdefault(label if label != "Clip" else "Clip (not 0..6)", []).append(node_label(node))
    return ", ".join(f"{op} x{len(names)} ({', '.join(names)})" for op, names in found.items())


def _load(onnx: Any, path: Path, source: str) -> Any:
    """The parsed and checked ModelProto, or a WorkloadError saying why not."""
    from google.protobuf.message import DecodeError

    if not path.is_file():
        raise WorkloadError(source, "model", source, "an existing .onnx file")
    try:
        model = onnx.load(str(path))
    except (DecodeError, OSError, ValueError, RuntimeError) as exc:
        raise WorkloadError(
            source, "model", source, f"a complete ONNX file (it is truncated or not ONNX: {exc})"
        ) from None
    if not model.HasField("graph") or not model.graph.node:
        raise WorkloadError(source, "model", source, "an ONNX model with a graph (it has no nodes)")
    try:
        onnx.checker.check_model(model)
    except (onnx.checker.ValidationError, ValueError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WorkloadError(source, "model", source, f"a valid ONNX model ({first})") from None
    return model


def _constant_value(onnx: Any, numpy_helper: Any, node: Any) -> np.ndarray:
    """The value of a Constant node (``value`` tensor or one of the ``value_*`` scalars/lists)."""
    for attr in node.attribute:
        value = onnx.helper.get_attribute_value(attr)
        if attr.name == "value":
            return numpy_helper.to_array(value)
        if attr.name in ("value_float", "value_floats"):
            return np.asarray(value, dtype=np.float32)
        if attr.name in ("value_int", "value_ints"):
            return np.asarray(value, dtype=np.int64)
    raise ValueError(f"Constant node {node.name or node.output[0]!r} has no supported value attribute")


def _single_input(onnx: Any, graph: Any, constants: dict[str, np.ndarray], source: str) -> tuple[str, tuple]:
    """The one non-constant graph input and its dimensions without the batch axis."""
    inputs = [i for i in graph.input if i.name not in constants]
    if len(inputs) != 1:
        raise WorkloadError(
            source, "graph.input", [i.name for i in inputs], "exactly one (non-constant) input"
        )
    value = inputs[0]
    if not value.type.HasField("tensor_type") or not value.type.tensor_type.HasField("shape"):
        raise WorkloadError(source, f"input {value.name!r}", "no shape", "a tensor input with a static shape")
    dims = value.type.tensor_type.shape.dim
    if len(dims) not in (2, 3, 4):
        raise WorkloadError(
            source,
            f"input {value.name!r}.rank",
            len(dims),
            "2 (batch, features), 3 (batch, C, L) or 4 (batch, C, H, W)",
        )
    sample = []
    for axis, dim in enumerate(dims[1:], start=1):
        if not dim.HasField("dim_value") or dim.dim_value <= 0:
            shown = dim.dim_param or "?"
            raise WorkloadError(
                source,
                f"input {value.name!r}.shape[{axis}]",
                shown,
                "a fixed positive size (only the batch axis may be dynamic)",
            )
        sample.append(int(dim.dim_value))
    return value.name, tuple(sample)
