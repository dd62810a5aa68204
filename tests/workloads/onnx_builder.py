"""Test helper: small ONNX models written node by node with ``onnx.helper``, as PyTorch exporters write them.

A :class:`Model` collects nodes and random initializers; :meth:`Model.save` writes a checked file. The
exported file, run by onnxruntime, is the ground truth an import must reproduce. :func:`har_model` (a 1-D
activity-recognition CNN) and :func:`se_model` (a MobileNetV3-style squeeze-excitation block) are shared
by the import tests and the CLI tests, as is :func:`inception_model` (two conv branches and a Concat).
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


def har_model(path, head="flatten", pool="MaxPool", activation="Relu"):
    """conv1d(k5, pad 2) -> relu -> pool(k2) -> depthwise conv1d(k3, stride 2) -> BN -> activation
    -> conv1d(k3, SAME) -> head (flatten, ReduceMean or GlobalAveragePool) -> gemm, on 3 x 32 inputs."""
    m = Model((3, 32), seed=2)
    m.conv(3, 8, (5,), "conv1", pads=[2, 2])
    m.op("Relu", name="relu1")
    m.op(pool, name="pool1", kernel_shape=[2], strides=[2])
    w = m.weight("dw_w", (8, 1, 3))
    m.op("Conv", [m.last, w], "dw", kernel_shape=[3], strides=[2], group=8)
    stats = [m.rng.uniform(0.5, 1.5, 8), m.rng.normal(0, 0.1, 8), m.rng.normal(0, 0.1, 8)]
    stats.append(m.rng.uniform(0.5, 1.5, 8))
    bn = [m.const(f"bn_{k}", v.astype(np.float32)) for k, v in zip("sbmv", stats, strict=True)]
    m.op("BatchNormalization", [m.last, *bn], "bn")
    m.op(activation, name="act2")
    m.conv(8, 6, (3,), "conv3", auto_pad="SAME_UPPER")
    if head == "flatten":
        m.op("Flatten", name="flat", axis=1)
        m.gemm(6 * 7, 4, "fc")
    elif head == "mean":
        m.op("ReduceMean", name="gap", axes=[-1], keepdims=0)
        m.gemm(6, 4, "fc")
    else:
        m.op("GlobalAveragePool", name="gap")
        m.op("Flatten", name="flat", axis=1)
        m.gemm(6, 4, "fc")
    return m.save(path)


def se_model(path, gate="HardSigmoid", pool="ReduceMean", gate_first=False, silu=False):
    """conv -> HardSwish -> squeeze-excitation (pool -> 1x1 conv -> Relu -> 1x1 conv -> gate -> Mul) ->
    1x1 conv [-> SiLU as x * Sigmoid(x)] -> GlobalAveragePool -> gemm, on 3 x 8 x 8 inputs."""
    m = Model((3, 8, 8), seed=7)
    m.conv(3, 8, (3, 3), "conv", pads=[1, 1, 1, 1])
    branch = m.op("HardSwish", name="hswish")
    if pool == "ReduceMean":
        m.op("ReduceMean", name="squeeze", axes=[2, 3], keepdims=1)
    else:
        m.op("GlobalAveragePool", name="squeeze")
    m.conv(8, 2, (1, 1), "se_reduce")
    m.op("Relu", name="se_relu")
    m.conv(2, 8, (1, 1), "se_expand")
    s = m.op(gate, name="se_gate", **({"alpha": 1 / 6} if gate == "HardSigmoid" else {}))
    m.op("Mul", [s, branch] if gate_first else [branch, s], "excite")
    m.conv(8, 4, (1, 1), "project")
    if silu:
        x = m.last
        sig = m.op("Sigmoid", name="silu_sigmoid")
        m.op("Mul", [x, sig], "silu")
    m.op("GlobalAveragePool", name="gap")
    m.op("Flatten", name="flat", axis=1)
    m.gemm(4, 3, "fc")
    return m.save(path)


def inception_model(path, head="gap", axis=1, shape=(3, 8, 8)):
    """An inception-like block: a 1x1 conv branch (-> Relu) and a 3x3 conv branch, both of the input, joined
    by Concat(axis) -> 3x3 conv -> head (GlobalAveragePool, or Flatten of the conv) -> gemm to 3 classes.
    ``head="vectors"`` instead concatenates two gemm branches of the flattened conv output (features)."""
    c = shape[0]
    m = Model(shape, seed=11)
    m.conv(c, 4, (1, 1), "branch1")
    a = m.op("Relu", name="branch1_relu")
    m.last = "x"
    b = m.conv(c, 2, (3, 3), "branch3", pads=[1, 1, 1, 1])
    m.op("Concat", [a, b], "join", axis=axis)
    m.conv(6, 5, (3, 3), "mix", pads=[1, 1, 1, 1])
    positions = shape[1] * shape[2]
    if head == "gap":
        m.op("GlobalAveragePool", name="gap")
        m.op("Flatten", name="flat", axis=1)
        m.gemm(5, 3, "fc")
    elif head == "flatten":
        m.op("Flatten", name="flat", axis=1)
        m.gemm(5 * positions, 3, "fc")
    else:
        flat = m.op("Flatten", name="flat", axis=1)
        u = m.gemm(5 * positions, 4, "fc_a")
        m.last = flat
        v = m.gemm(5 * positions, 2, "fc_b")
        m.op("Concat", [u, v], "features", axis=-1)
        m.gemm(6, 3, "fc")
    return m.save(path)


def resize_model(
    path,
    head="autoencoder",
    transform="half_pixel",
    nearest="round_prefer_floor",
    scales=(1.0, 1.0, 2.0, 2.0),
    sizes=None,
    op="Resize",
    opset=17,
    mode="nearest",
):
    """An autoencoder-like block on 3 x 8 x 8 inputs: conv(3x3, stride 2) -> Relu -> Resize(scales, or
    ``sizes``) -> 3x3 conv to 3 channels -> Sigmoid (``head="autoencoder"``: a reconstruction, MSE loss), or
    the upsampled map -> 3x3 conv -> GlobalAveragePool -> gemm to 3 classes (``head="classifier"``).
    ``op="Upsample"`` writes the deprecated op (opset 9: scales an input; opset 7: an attribute); opset 10
    writes Resize(X, scales)."""
    m = Model((3, 8, 8), seed=13, opset=opset)
    m.conv(3, 4, (3, 3), "down", strides=[2, 2], pads=[1, 1, 1, 1])
    m.op("Relu", name="relu")
    attrs = {"mode": mode}
    if op == "Upsample" and opset < 9:
        m.op("Upsample", name="up", scales=[float(s) for s in scales], **attrs)
    elif op == "Upsample" or opset == 10:
        s = m.const("up_scales", np.asarray(scales, np.float32))
        m.op(op, [m.last, s], "up", **attrs)
    else:
        attrs["coordinate_transformation_mode"] = transform
        if mode == "nearest":
            attrs["nearest_mode"] = nearest
        roi = m.const("up_roi", np.zeros(0, np.float32))
        if sizes is None:
            ins = [m.last, roi, m.const("up_scales", np.asarray(scales, np.float32))]
        else:
            ins = [m.last, roi, m.const("up_scales", np.zeros(0, np.float32))]
            ins.append(m.const("up_sizes", np.asarray(sizes, np.int64)))
        m.op("Resize", ins, "up", **attrs)
    if head == "autoencoder":
        m.conv(4, 3, (3, 3), "rebuild", pads=[1, 1, 1, 1])
        m.op("Sigmoid", name="out")
    else:
        m.conv(4, 5, (3, 3), "mix", pads=[1, 1, 1, 1])
        m.op("GlobalAveragePool", name="gap")
        m.op("Flatten", name="flat", axis=1)
        m.gemm(5, 3, "fc")
    return m.save(path)
