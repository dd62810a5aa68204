"""Test helper: small ONNX models written node by node with ``onnx.helper``, as PyTorch exporters write them.

A :class:`Model` collects nodes and random initializers; :meth:`Model.save` writes a checked file. The
exported file, run by onnxruntime, is the ground truth an import must reproduce.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Model:
    """An ONNX graph under construction with one float input ``x`` of ``shape`` (batch dynamic)."""

    def __init__(self, shape: tuple[int, ...], seed: int = 0, opset: int = 17) -> None:
        self.shape = shape
        self.rng = np.random.default_rng(seed)
        self.opset = opset
        self.nodes: list = []
        self.inits: list = []
        self.last = "x"

    def const(self, name: str, value: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def weight(self, name: str, shape: tuple[int, ...], scale: float = 0.5) -> str:
        return self.const(name, (self.rng.standard_normal(shape) * scale).astype(np.float32))

    def op(self, op: str, inputs: list[str] | None = None, name: str | None = None, **attrs) -> str:
        name = name or f"{op.lower()}_{len(self.nodes)}"
        out = f"{name}_out"
        self.nodes.append(helper.make_node(op, inputs or [self.last], [out], name=name, **attrs))
        self.last = out
        return out

    def conv(self, c_in: int, c_out: int, kernel: tuple[int, ...], name: str, **attrs) -> str:
        w = self.weight(f"{name}_w", (c_out, c_in, *kernel))
        b = self.const(f"{name}_b", self.rng.normal(0, 0.1, c_out).astype(np.float32))
        return self.op("Conv", [self.last, w, b], name, kernel_shape=list(kernel), **attrs)

    def gemm(self, f_in: int, units: int, name: str) -> str:
        w = self.weight(f"{name}_w", (units, f_in), 0.3)
        b = self.const(f"{name}_b", self.rng.normal(0, 0.1, units).astype(np.float32))
        return self.op("Gemm", [self.last, w, b], name, transB=1)

    def save(self, path: str | Path) -> Path:
        graph = helper.make_graph(
            self.nodes,
            "m",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", *self.shape])],
            [helper.make_tensor_value_info(self.last, TensorProto.FLOAT, None)],
            self.inits,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)])
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
        model.graph.output.pop()
        model.graph.output.append(inferred.graph.output[0])
        onnx.checker.check_model(model)
        onnx.save(model, str(path))
        return Path(path)


def onnx_input(x: np.ndarray, one_d: bool = False) -> np.ndarray:
    """The ONNX (channels-first) view of a tinyemu NHWC batch: (N, C, H, W), or (N, C, L) for a 1-D
    model (tinyemu holds a length-L sequence as a 1 x L image)."""
    if x.ndim != 4:
        return x
    nchw = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    return np.ascontiguousarray(nchw[:, :, 0, :]) if one_d else nchw
