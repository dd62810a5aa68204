"""Read a TensorFlow Lite flatbuffer into plain values: tensors (with constant data and scales) and operators.

The ``tflite`` package (PyPI, the generated flatbuffer bindings of TensorFlow Lite's schema) is an optional
extra (``pip install 'tinyemu[tflite]'``), imported only here: the rest of the importer sees
:class:`TfliteTensor` and :class:`TfliteOperator` values and never the flatbuffer API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workloads.errors import WorkloadError

DTYPES = {0: np.float32, 2: np.int32, 3: np.uint8, 4: np.int64, 7: np.int16, 9: np.int8, 10: np.float64}
"""numpy dtype of each TensorFlow Lite ``TensorType`` the importer reads (schema.fbs: FLOAT32 = 0 ...)."""

OPTIONS = {
    "CONV_2D": "Conv2DOptions",
    "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
    "AVERAGE_POOL_2D": "Pool2DOptions",
    "MAX_POOL_2D": "Pool2DOptions",
    "FULLY_CONNECTED": "FullyConnectedOptions",
    "ADD": "AddOptions",
    "SOFTMAX": "SoftmaxOptions",
    "LEAKY_RELU": "LeakyReluOptions",
    "MUL": "MulOptions",
    "MEAN": "ReducerOptions",
}
"""The options table of each operator whose options the converters read."""

OPTION_FIELDS = (
    "Padding",
    "StrideH",
    "StrideW",
    "DilationHFactor",
    "DilationWFactor",
    "DepthMultiplier",
    "FilterHeight",
    "FilterWidth",
    "FusedActivationFunction",
    "KeepNumDims",
    "WeightsFormat",
    "Beta",
    "Alpha",
    "KeepDims",
)


@dataclass(frozen=True, eq=False)
class TfliteTensor:
    """One tensor of the subgraph: shape (batch included), dtype, constant data, quantisation.

    ``scale`` and ``zero_point`` are empty for a float tensor; ``axis`` is the quantised dimension of a
    per-channel tensor. ``data`` is None for a computed (non-constant) tensor.
    """

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: Any
    data: np.ndarray | None = None
    scale: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    zero_point: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    axis: int = 0

    @property
    def quantized(self) -> bool:
        return self.scale.size > 0 and bool(np.any(self.scale != 0))

    def activation_quant(self) -> tuple[float, int] | None:
        """(scale, int8 zero point) of a per-tensor quantised activation (uint8 ``z`` becomes ``z - 128``)."""
        if not self.quantized:
            return None
        zero = int(self.zero_point.reshape(-1)[0]) if self.zero_point.size else 0
        return float(self.scale.reshape(-1)[0]), zero - 128 if self.dtype == np.uint8 else zero


@dataclass(frozen=True)
class TfliteOperator:
    """One operator: its builtin name, input and output tensor indices (-1: absent), options by name."""

    index: int
    op: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.op.lower()}_{self.index}"


@dataclass(frozen=True, eq=False)
class TfliteGraph:
    """The one subgraph of a model file."""

    tensors: tuple[TfliteTensor, ...]
    operators: tuple[TfliteOperator, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]


def read_tflite(path: Path, source: str) -> TfliteGraph:
    """The subgraph of the ``.tflite`` file at ``path``; a WorkloadError naming the file if unreadable."""
    try:
        import tflite
    except ImportError:
        raise WorkloadError(
            source,
            "model",
            source,
            "the tflite package to read it: pip install 'tinyemu[tflite]' "
            "(in a checkout: install '.[tflite]')",
        ) from None
    if not path.is_file():
        raise WorkloadError(source, "model", source, "an existing .tflite file")
    buf = path.read_bytes()
    if len(buf) < 8 or buf[4:8] != b"TFL3":
        raise WorkloadError(source, "model", source, "a TensorFlow Lite file (no TFL3 identifier)")
    try:
        return _read(tflite, buf)
    except WorkloadError:
        raise
    except Exception as exc:  # the generated bindings raise anything from struct.error to IndexError
        raise WorkloadError(
            source, "model", source, f"a complete TensorFlow Lite file (it is truncated or corrupt: {exc!r})"
        ) from None


def _read(tflite: Any, buf: bytes) -> TfliteGraph:
    model = tflite.Model.GetRootAsModel(buf, 0)
    if model.SubgraphsLength() != 1:
        raise ValueError(f"{model.SubgraphsLength()} subgraphs (control flow) where one is supported")
    graph = model.Subgraphs(0)
    names = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
    tensors = tuple(_tensor(model, graph.Tensors(i), i, buf) for i in range(graph.TensorsLength()))
    operators = []
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        number = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        name = names.get(number, f"BUILTIN_{number}")
        if name == "CUSTOM":
            name = f"CUSTOM({(code.CustomCode() or b'?').decode(errors='replace')})"
        inputs = tuple(int(t) for t in op.InputsAsNumpy()) if op.InputsLength() else ()
        outputs = tuple(int(t) for t in op.OutputsAsNumpy()) if op.OutputsLength() else ()
        operators.append(TfliteOperator(i, name, inputs, outputs, _options(tflite, op, name)))
    return TfliteGraph(
        tensors,
        tuple(operators),
        tuple(int(t) for t in graph.InputsAsNumpy()),
        tuple(int(t) for t in graph.OutputsAsNumpy()),
    )


def _tensor(model: Any, t: Any, index: int, buf: bytes) -> TfliteTensor:
    dtype = DTYPES.get(t.Type())
    shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
    data = None
    buffer = model.Buffers(t.Buffer()) if t.Buffer() < model.BuffersLength() else None
    if buffer is not None:
        raw: bytes | None = None
        if buffer.Offset() > 1:  # large models keep buffers after the flatbuffer
            raw = buf[buffer.Offset() : buffer.Offset() + buffer.Size()]
        elif buffer.DataLength():
            raw = buffer.DataAsNumpy().tobytes()
        if raw is not None:
            if dtype is None:
                raise ValueError(
                    f"tensor {t.Name().decode()!r} has a constant of unsupported type {t.Type()}"
                )
            data = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    q = t.Quantization()
    scale, zero, axis = np.zeros(0, np.float32), np.zeros(0, np.int64), 0
    if q is not None and q.ScaleLength():
        scale = q.ScaleAsNumpy().astype(np.float32)
        zero = q.ZeroPointAsNumpy().astype(np.int64) if q.ZeroPointLength() else np.zeros(1, np.int64)
        axis = int(q.QuantizedDimension())
    return TfliteTensor(index, t.Name().decode(errors="replace"), shape, dtype, data, scale, zero, axis)


def _options(tflite: Any, op: Any, name: str) -> dict[str, Any]:
    table_name = OPTIONS.get(name)
    table = op.BuiltinOptions()
    if table_name is None or table is None:
        return {}
    options = getattr(tflite, table_name)()
    options.Init(table.Bytes, table.Pos)
    return {f: getattr(options, f)() for f in OPTION_FIELDS if hasattr(options, f)}
