"""Test helpers: export a tinyemu graph with random weights as an NCHW ONNX model, and a NumPy forward.

The exporter writes what PyTorch-style exporters write (Conv, BatchNormalization, Relu, Clip, Add, pools,
GlobalAveragePool, Flatten, Gemm/MatMul, Dropout, Softmax), with its own random weights: the ONNX model,
run by onnxruntime, is the ground truth the importer must reproduce. ``reference_forward`` runs an
imported graph with plain NumPy (NHWC), as slowly and obviously as possible.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from numpy.lib.stride_tricks import sliding_window_view
from onnx import TensorProto, helper, numpy_helper

from workloads.graph import Graph

OPSET = 17


class _Exporter:
    def __init__(self, graph: Graph, seed: int, bn_eps: float) -> None:
        self.graph = graph
        self.rng = np.random.default_rng(seed)
        self.bn_eps = bn_eps
        self.nodes: list = []
        self.inits: list = []
        self.tensor: dict[str, str] = {}  # our node -> ONNX tensor name
        self.squeezed: set[str] = set()  # ONNX tensors of shape (N, C, 1, 1)
        self.float_weights: dict[str, np.ndarray] = {}  # ONNX weight initializer name -> values

    def init(self, name: str, array: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def add(self, op: str, inputs: list[str], name: str, **attrs) -> str:
        out = f"{name}_out"
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out

    def weight(self, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
        return (self.rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)


def export_graph(
    graph: Graph,
    path: str | Path,
    *,
    seed: int = 0,
    softmax: bool = True,
    flatten: str = "Flatten",
    dense: str = "Gemm",
    bn_eps: float = 1e-3,
    qdq_weights: bool = False,
    qdq_activations: bool = False,
) -> onnx.ModelProto:
    """Write ``graph`` as an ONNX model with random weights to ``path`` and return it.

    ``flatten``: ``"Flatten"`` (ONNX's C, H, W order) or ``"TransposeReshape"`` (Transpose to NHWC, then
    Reshape: the Keras order). ``dense``: ``"Gemm"`` (transB=1) or ``"MatMul"`` (+ Add of the bias).
    ``qdq_weights``: conv/dense weights stored int8 per channel behind DequantizeLinear;
    ``qdq_activations``: a QuantizeLinear/DequantizeLinear pair (uint8) in front of every conv/dense.
    """
    ex = _Exporter(graph, seed, bn_eps)
    for node in graph:
        layer, name = node.layer, node.name
        x = ex.tensor[node.inputs[0]] if node.inputs else None
        if node.kind == "input":
            ex.tensor[name] = "input"
            continue
        if node.kind in ("conv2d", "dense") and qdq_activations:
            scale = ex.init(f"{name}_xs", np.array(0.05, np.float32))
            zero = ex.init(f"{name}_xz", np.array(128, np.uint8))
            q = ex.add("QuantizeLinear", [x, scale, zero], f"{name}_xq")
            x = ex.add("DequantizeLinear", [q, scale, zero], f"{name}_xdq")
        if node.kind == "conv2d":
            c_in = node.input_shapes[0][2]
            kh, kw = layer.kernel
            w = ex.weight((layer.out_channels, c_in // layer.groups, kh, kw), kh * kw * c_in // layer.groups)
            t, b, left, r = layer.pads(node.input_shapes)
            inputs = [x, _weight_input(ex, name, w, qdq_weights, axis=0)]
            if layer.bias:
                inputs.append(
                    ex.init(f"{name}_b", ex.rng.normal(0, 0.1, layer.out_channels).astype(np.float32))
                )
            ex.tensor[name] = ex.add(
                "Conv",
                inputs,
                name,
                kernel_shape=[kh, kw],
                strides=list(layer.stride),
                pads=[t, left, b, r],
                group=layer.groups,
            )
        elif node.kind == "dense":
            if x in ex.squeezed:
                x = ex.add("Flatten", [x], f"{name}_flat", axis=1)
            f_in = node.input_shapes[0][0]
            w = ex.weight((f_in, layer.units), f_in)
            b = ex.rng.normal(0, 0.1, layer.units).astype(np.float32)
            if dense == "Gemm":
                inputs = [x, _weight_input(ex, name, np.ascontiguousarray(w.T), qdq_weights, axis=0)]
                inputs += [ex.init(f"{name}_b", b)] if layer.bias else []
                ex.tensor[name] = ex.add("Gemm", inputs, name, transB=1)
            else:
                y = ex.add("MatMul", [x, _weight_input(ex, name, w, qdq_weights, axis=1)], name)
                if layer.bias:
                    y = ex.add("Add", [y, ex.init(f"{name}_b", b)], f"{name}_bias")
                ex.tensor[name] = y
        elif node.kind == "batchnorm":
            c = node.input_shapes[0][-1]
            params = [
                ex.rng.uniform(0.5, 1.5, c),
                ex.rng.normal(0, 0.1, c),
                ex.rng.normal(0, 0.1, c),
                ex.rng.uniform(0.5, 1.5, c),
            ]
            names = [
                ex.init(f"{name}_{k}", p.astype(np.float32)) for k, p in zip("sbmv", params, strict=True)
            ]
            ex.tensor[name] = ex.add("BatchNormalization", [x, *names], name, epsilon=bn_eps)
        elif node.kind == "relu":
            ex.tensor[name] = ex.add("Relu", [x], name)
        elif node.kind == "relu6":
            lo, hi = (
                ex.init(f"{name}_lo", np.array(0, np.float32)),
                ex.init(f"{name}_hi", np.array(6, np.float32)),
            )
            ex.tensor[name] = ex.add("Clip", [x, lo, hi], name)
        elif node.kind == "add":
            ex.tensor[name] = ex.add("Add", [x, ex.tensor[node.inputs[1]]], name)
        elif node.kind in ("maxpool", "avgpool"):
            t, b, left, r = layer.pads(node.input_shapes)
            op = "MaxPool" if node.kind == "maxpool" else "AveragePool"
            ex.tensor[name] = ex.add(
                op,
                [x],
                name,
                kernel_shape=list(layer.pool),
                strides=list(layer.strides),
                pads=[t, left, b, r],
            )
        elif node.kind == "global_avg_pool":
            ex.tensor[name] = ex.add("GlobalAveragePool", [x], name)
            ex.squeezed.add(ex.tensor[name])
        elif node.kind == "flatten":
            if flatten == "Flatten":
                ex.tensor[name] = ex.add("Flatten", [x], name, axis=1)
            else:
                t = ex.add("Transpose", [x], f"{name}_nhwc", perm=[0, 2, 3, 1])
                shape = ex.init(f"{name}_shape", np.array([-1, node.output_shape[0]], np.int64))
                ex.tensor[name] = ex.add("Reshape", [t, shape], name)
        elif node.kind == "dropout":
            ex.tensor[name] = ex.add("Dropout", [x], name)
        else:
            raise NotImplementedError(node.kind)
    out = ex.tensor[graph.output.name]
    if softmax and graph.loss == "softmax_cross_entropy":
        out = ex.add("Softmax", [out], "softmax", axis=-1)
    model = _model(graph, ex, out)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return model


def _weight_input(ex: _Exporter, name: str, w: np.ndarray, qdq: bool, axis: int) -> str:
    if not qdq:
        return ex.init(f"{name}_w", w)
    other = tuple(i for i in range(w.ndim) if i != axis)
    scale = (np.abs(w).max(axis=other) / 127.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.rint(w / scale.reshape(shape)), -127, 127).astype(np.int8)
    ex.float_weights[f"{name}_w"] = q.astype(np.float32) * scale.reshape(shape)
    inputs = [
        ex.init(f"{name}_wq", q),
        ex.init(f"{name}_ws", scale),
        ex.init(f"{name}_wz", np.zeros_like(scale, np.int8)),
    ]
    return ex.add("DequantizeLinear", inputs, f"{name}_wdq", axis=axis)


def _model(graph: Graph, ex: _Exporter, out: str) -> onnx.ModelProto:
    shape = graph.input_shape
    dims = ["batch", shape[2], shape[0], shape[1]] if len(shape) == 3 else ["batch", shape[0]]
    inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, dims)
    o = graph.output.output_shape
    out_dims = ["batch", o[2], o[0], o[1]] if len(o) == 3 else ["batch", o[0]]
    output = helper.make_tensor_value_info(out, TensorProto.FLOAT, out_dims)
    onnx_graph = helper.make_graph(ex.nodes, graph.name, [inp], [output], ex.inits)
    return helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", OPSET)])


def run_onnxruntime(path: str | Path, x_nchw: np.ndarray) -> np.ndarray:
    """The model's output on ``x_nchw`` by onnxruntime (CPU, no graph optimisation)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x_nchw})[0]


def to_nchw(x_nhwc: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x_nhwc.transpose(0, 3, 1, 2)) if x_nhwc.ndim == 4 else x_nhwc


def softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# ------------------------------------------------------------------ NumPy reference forward (NHWC)
def _conv(x, w, b, layer, in_shapes):
    t, bo, left, r = layer.pads(in_shapes)
    xp = np.pad(x, ((0, 0), (t, bo), (left, r), (0, 0)))
    kh, kw, cg, cout = w.shape
    sh, sw = layer.stride
    win = sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]  # N, OH, OW, C, KH, KW
    cog = cout // layer.groups
    outs = []
    for g in range(layer.groups):
        patch = win[:, :, :, g * cg : (g + 1) * cg]
        outs.append(np.einsum("nijcpq,pqco->nijo", patch, w[:, :, :, g * cog : (g + 1) * cog]))
    y = np.concatenate(outs, axis=-1)
    return y + b if b is not None else y


def _pool(x, layer, in_shapes, kind):
    t, bo, left, r = layer.pads(in_shapes)
    fill = -np.inf if kind == "maxpool" else 0.0
    xp = np.pad(x, ((0, 0), (t, bo), (left, r), (0, 0)), constant_values=fill)
    ones = np.pad(np.ones_like(x[:1, :, :, :1]), ((0, 0), (t, bo), (left, r), (0, 0)))
    (ph, pw), (sh, sw) = layer.pool, layer.strides
    win = sliding_window_view(xp, (ph, pw), axis=(1, 2))[:, ::sh, ::sw]
    if kind == "maxpool":
        return win.max(axis=(-2, -1))
    count = sliding_window_view(ones, (ph, pw), axis=(1, 2))[:, ::sh, ::sw].sum(axis=(-2, -1))
    return win.sum(axis=(-2, -1)) / count


def reference_forward(graph: Graph, weights: dict, x: np.ndarray, bn_eps: float = 1e-5) -> np.ndarray:
    """Run ``graph`` on the NHWC batch ``x`` in float64 NumPy; returns the output node's values."""
    acts: dict[str, np.ndarray] = {}
    for node in graph:
        p = weights.get(node.name, {})
        ins = [acts[i] for i in node.inputs]
        kind = node.kind
        if kind == "input":
            y = x.astype(np.float64)
        elif kind == "conv2d":
            y = _conv(ins[0], p["weight"].astype(np.float64), p.get("bias"), node.layer, node.input_shapes)
        elif kind == "dense":
            y = ins[0] @ p["weight"].astype(np.float64) + (p["bias"] if "bias" in p else 0.0)
        elif kind == "batchnorm":
            y = (ins[0] - p["mean"]) / np.sqrt(p["var"].astype(np.float64) + bn_eps) * p["gamma"] + p["beta"]
        elif kind == "relu":
            y = np.maximum(ins[0], 0.0)
        elif kind == "relu6":
            y = np.clip(ins[0], 0.0, 6.0)
        elif kind == "add":
            y = ins[0] + ins[1]
        elif kind in ("maxpool", "avgpool"):
            y = _pool(ins[0], node.layer, node.input_shapes, kind)
        elif kind == "global_avg_pool":
            y = ins[0].mean(axis=(1, 2))
        elif kind == "flatten":
            y = ins[0].reshape(len(ins[0]), -1)
        elif kind == "dropout":
            y = ins[0]
        else:
            raise NotImplementedError(kind)
        acts[node.name] = y
    return acts[graph.output.name]


def assert_matches(ours: np.ndarray, ref: np.ndarray, rtol: float = 1e-4) -> None:
    """``ours`` has ``ref``'s shape and is within ``rtol`` of its largest magnitude (at least 1)."""
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    assert np.abs(ours - ref).max() <= rtol * max(1.0, np.abs(ref).max())
