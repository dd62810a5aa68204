"""Bound kernel calls for one layer: forward and backward closures over preallocated buffers.

A :class:`workloads.network.Network` builds these once per batch size and then runs them in a plain loop,
so a training step costs one compiled call per kernel and no allocation. The closures call the compiled
kernels directly, without the argument checks of the public wrappers in :mod:`workloads.kernels`: the
buffers they are given are created here with the right dtype, shape and layout, once, which is the check.
Each builder also returns the multiply-accumulates its call executes, from the shapes it was built with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from workloads.graph import Node
from workloads.kernels.activation import _clamp_forward, _leaky_forward, _leaky_mask_backward, _mask_backward
from workloads.kernels.concat import _concat_backward, _concat_forward
from workloads.kernels.conv import _backward_im2col, _forward_im2col
from workloads.kernels.depthwise import _depthwise_backward, _depthwise_forward
from workloads.kernels.elementwise import _add
from workloads.kernels.gate import (
    _hard_sigmoid_forward,
    _hard_sigmoid_mask_backward,
    _hard_swish_backward,
    _hard_swish_forward,
    _sigmoid_backward,
    _sigmoid_forward,
)
from workloads.kernels.gemm import bias_grad, input_grad, linear_forward, weight_grad
from workloads.kernels.multiply import _mul_backward, _mul_forward
from workloads.kernels.norm import _backward as _bn_backward
from workloads.kernels.norm import _batch_stats, _frozen_backward, _invstd, _normalise
from workloads.kernels.pooling import _avg, _global_avg, _global_avg_backward, _max_backward, _max_forward
from workloads.kernels.smooth import _elu_backward, _elu_forward, _tanh_backward, _tanh_forward
from workloads.kernels.upsample import _upsample_backward, _upsample_forward
from workloads.layers import (
    ELU,
    MASK_KINDS,
    OUTPUT_KEEPING_KINDS,
    AvgPool,
    Conv2d,
    HardSigmoid,
    LeakyReLU,
    MaxPool,
    Upsample,
)

Call = Callable[[], None]
F32 = np.float32
EMPTY1 = np.zeros(0, F32)
EMPTY2 = np.zeros((0, 0), F32)
EMPTY4 = np.zeros((0, 0, 0, 0), F32)
NO_MASK = np.zeros(0, np.bool_)
NO_MASK2 = np.zeros((0, 0), np.bool_)
BN_MOMENTUM = 0.1
"""Weight of the batch statistics in the running-statistics update of training-mode batch-norm (PyTorch's
default)."""
BN_EPS = 1e-5


@dataclass(frozen=True)
class ConvGeometry:
    """Stride, padding and kernel path of one convolution (as the public wrapper would choose it)."""

    path: str
    stride: tuple[int, int]
    pads: tuple[int, int, int, int]
    groups: int

    @classmethod
    def of(cls, node: Node) -> ConvGeometry:
        layer = node.layer_as(Conv2d)
        pads = layer.pads(node.input_shapes)
        c_in, c_out, groups = node.input_shapes[0][2], layer.out_channels, layer.groups
        if groups == c_in == c_out:
            path = "depthwise"
        elif layer.kernel == (1, 1) and layer.stride == (1, 1) and pads == (0, 0, 0, 0) and groups == 1:
            path = "pointwise"
        else:
            path = "im2col"
        return cls(path, layer.stride, pads, groups)


def conv_workspace_elements(node: Node, batch: int) -> int:
    """float32 elements of the im2col column buffer of ``node`` at ``batch`` (0 for the direct paths)."""
    if node.kind != "conv2d" or ConvGeometry.of(node).path != "im2col":
        return 0
    oh, ow, _ = node.output_shape
    layer = node.layer_as(Conv2d)
    kh, kw = layer.kernel
    return batch * oh * ow * kh * kw * node.input_shapes[0][2] // layer.groups


def _column(workspace: np.ndarray, node: Node, batch: int) -> np.ndarray:
    oh, ow, _ = node.output_shape
    layer = node.layer_as(Conv2d)
    kh, kw = layer.kernel
    rows, cols = batch * oh * ow, kh * kw * node.input_shapes[0][2] // layer.groups
    return workspace[: rows * cols].reshape(rows, cols)


def forward_op(
    node: Node,
    ins: list[np.ndarray],
    y: np.ndarray,
    params: dict[str, np.ndarray],
    saved: np.ndarray | None,
    workspace: np.ndarray,
    bn_stats: tuple[np.ndarray, np.ndarray] | None = None,
    clamp_hi: float | None = None,
) -> tuple[Call, int]:
    """The forward call of ``node`` writing ``y``, and its MACs.

    ``saved`` is the ReLU mask (bool) or max-pool index (int32) buffer the backward reads, or None.
    ``bn_stats`` (batch-norm only): ``(mean, invstd)`` buffers that switch the layer to training mode:
    it normalises with the batch statistics it writes there, updates the running statistics in
    ``params`` and refreshes their ``invstd``; None keeps it frozen (running statistics).
    ``clamp_hi`` (frozen batch-norm only): fuse the ReLU (``inf``) or ReLU6 (6) that follows: ``y`` and
    ``saved`` are then that activation's output and mask.
    """
    kind, x, batch = node.kind, ins[0], y.shape[0]
    if kind == "conv2d":
        w, b = params["weight"], params.get("bias", EMPTY1)
        geo = ConvGeometry.of(node)
        (sh, sw), (pt, _, pl, _) = geo.stride, geo.pads
        macs = y.size * w.shape[0] * w.shape[1] * w.shape[2]
        if geo.path == "depthwise":
            return (lambda: _depthwise_forward(x, w, b, sh, sw, pt, pl, y)), macs
        if geo.path == "pointwise":
            x2, w2, y2 = x.reshape(-1, x.shape[3]), w.reshape(-1, w.shape[3]), y.reshape(-1, y.shape[3])
            return (lambda: linear_forward(x2, w2, b, y2)), macs
        col, y2, groups = _column(workspace, node, batch), y.reshape(-1, y.shape[3]), geo.groups
        oh, ow = y.shape[1], y.shape[2]
        return (lambda: _forward_im2col(x, w, b, sh, sw, pt, pl, oh, ow, groups, col, y2)), macs
    if kind == "dense":
        w, b = params["weight"], params.get("bias", EMPTY1)
        return (lambda: linear_forward(x, w, b, y)), y.size * w.shape[0]
    if kind == "batchnorm":
        c = x.shape[-1]
        x2, y2 = x.reshape(-1, c), y.reshape(-1, c)
        gamma, beta, mean, invstd = params["gamma"], params["beta"], params["mean"], params["invstd"]
        if bn_stats is None:  # frozen, alone or with its ReLU/ReLU6 fused (clamp_hi)
            lo, hi = (-np.inf, np.inf) if clamp_hi is None else (0.0, clamp_hi)
            m2 = NO_MASK2 if saved is None else saved.reshape(-1, c)
            return (lambda: _normalise(x2, gamma, beta, mean, invstd, lo, hi, y2, m2)), 0
        batch_mean, batch_invstd, var = bn_stats[0], bn_stats[1], params["var"]

        def train_mode() -> None:
            _batch_stats(x2, BN_MOMENTUM, BN_EPS, mean, var, batch_mean, batch_invstd)
            _invstd(var, BN_EPS, invstd)
            _normalise(x2, gamma, beta, batch_mean, batch_invstd, -np.inf, np.inf, y2, NO_MASK2)

        return train_mode, 0
    if kind in ("relu", "relu6"):
        hi = np.inf if kind == "relu" else 6.0
        x1, y1 = x.reshape(-1), y.reshape(-1)
        m1 = NO_MASK if saved is None else saved.reshape(-1)
        return (lambda: _clamp_forward(x1, 0.0, hi, y1, m1)), 0
    if kind == "leaky_relu":
        alpha = F32(node.layer_as(LeakyReLU).alpha)
        x1, y1 = x.reshape(-1), y.reshape(-1)
        m1 = NO_MASK if saved is None else saved.reshape(-1)
        return (lambda: _leaky_forward(x1, alpha, y1, m1)), 0
    if kind in ("sigmoid", "hard_sigmoid", "hard_swish"):
        return _gate_forward(node, x.reshape(-1), y.reshape(-1), saved), 0
    if kind == "tanh":
        x1, y1 = x.reshape(-1), y.reshape(-1)
        return (lambda: _tanh_forward(x1, y1)), 0
    if kind == "elu":
        alpha64 = float(node.layer_as(ELU).alpha)
        x1, y1 = x.reshape(-1), y.reshape(-1)
        return (lambda: _elu_forward(x1, alpha64, y1)), 0
    if kind == "maxpool":
        window = _pool_geometry(node)
        return (lambda: _max_forward(x, *window, y, saved)), 0
    if kind == "avgpool":
        window = _pool_geometry(node)
        include_pad = node.layer_as(AvgPool).count_include_pad
        return (lambda: _avg(x, *window, include_pad, True, y)), 0
    if kind == "global_avg_pool":
        return (lambda: _global_avg(x, y)), 0
    if kind == "add":
        a1, b1, y1 = x.reshape(-1), ins[1].reshape(-1), y.reshape(-1)
        return (lambda: _add(a1, b1, y1)), 0
    if kind == "mul":
        a3, b3 = _mul_views(x, ins[1])
        y3 = y.reshape(a3.shape)
        return (lambda: _mul_forward(a3, b3, y3)), 0
    if kind == "concat":
        return _concat_call(ins, y), 0
    if kind == "upsample":
        sh, sw = node.layer_as(Upsample).scale
        return (lambda: _upsample_forward(x, sh, sw, y)), 0
    raise ValueError(f"no forward kernel for layer kind {kind!r}")  # flatten/dropout are views


def _gate_forward(node: Node, x1: np.ndarray, y1: np.ndarray, saved: np.ndarray | None) -> Call:
    if node.kind == "sigmoid":
        return lambda: _sigmoid_forward(x1, y1)
    if node.kind == "hard_swish":
        return lambda: _hard_swish_forward(x1, y1)
    layer = node.layer_as(HardSigmoid)
    alpha, beta = F32(layer.alpha), F32(layer.beta)
    m1 = NO_MASK if saved is None else saved.reshape(-1)
    return lambda: _hard_sigmoid_forward(x1, alpha, beta, y1, m1)


def _concat_call(ins: list[np.ndarray], y: np.ndarray) -> Call:
    y2 = y.reshape(-1, y.shape[-1])
    parts = [(a.reshape(-1, a.shape[-1]), offset) for a, offset in zip(ins, _offsets(ins), strict=True)]

    def run() -> None:
        for x2, offset in parts:
            _concat_forward(x2, offset, y2)

    return run


def _offsets(arrays: list[np.ndarray]) -> list[int]:
    """Where each array starts along the last axis of their concatenation."""
    sizes = [a.shape[-1] for a in arrays]
    return [sum(sizes[:i]) for i in range(len(sizes))]


def _mul_views(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both operands of a mul as ``(N, P, C)``: the gate's ``P`` is 1."""
    n, c = a.shape[0], a.shape[-1]
    return a.reshape(n, -1, c), b.reshape(n, -1, c)


def _pool_geometry(node: Node) -> tuple[int, int, int, int, int, int]:
    layer = node.layer
    if not isinstance(layer, MaxPool | AvgPool):
        raise TypeError(f"node {node.name!r} is a {node.kind} layer, not a pooling layer")
    top, _, left, _ = layer.pads(node.input_shapes)
    return layer.pool[0], layer.pool[1], layer.strides[0], layer.strides[1], top, left


@dataclass(frozen=True)
class ParamGrads:
    """Where the backward of one layer writes its parameter gradients, and how many channels train."""

    weight: np.ndarray | None = None
    bias: np.ndarray | None = None
    channels: int = 0


def backward_op(
    node: Node,
    gy: np.ndarray,
    x: np.ndarray,
    dxs: list[np.ndarray | None],
    params: dict[str, np.ndarray],
    grads: ParamGrads,
    saved: np.ndarray | None,
    workspace: np.ndarray,
    bn_stats: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[list[Call], int, int]:
    """The backward calls of ``node``: ``(calls, backward_weight MACs, backward_data MACs)``.

    ``gy`` is the gradient of the output; ``x`` the forward input (read only by weight gradients and
    training-mode batch-norm); ``dxs[i]`` receives the gradient of input ``i`` (None: not needed).
    ``bn_stats`` is what the forward got (training-mode batch-norm), or None. A frozen batch-norm given
    ``saved`` (the mask of the ReLU fused into its forward) takes ``gy`` as the gradient of that ReLU's
    output and applies the mask itself. Gradients are written, never accumulated: the caller adds
    contributions at branch points.
    """
    kind, dx = node.kind, dxs[0]
    calls: list[Call] = []
    if kind in ("conv2d", "dense"):
        return _weighted_backward(node, gy, x, dx, params, grads, workspace)
    if kind == "batchnorm":
        c = gy.shape[-1]
        gamma, mean, invstd = params["gamma"], params["mean"], params["invstd"]
        training = bn_stats is not None
        if bn_stats is not None:
            mean, invstd = bn_stats
        need_dg, need_db = grads.weight is not None, grads.bias is not None
        # a sparse gamma trains its first k channels; the kernel computes all C (a cheap sum), the update
        # applies k
        dg = grads.weight if need_dg else EMPTY1
        db = grads.bias if need_db else EMPTY1
        need_dx = dx is not None
        gy2, x2 = gy.reshape(-1, c), x.reshape(-1, c) if need_dg or (need_dx and training) else EMPTY2
        dx2 = dx.reshape(-1, c) if dx is not None else EMPTY2
        if not (need_dx or need_dg or need_db):
            return calls, 0, 0
        if saved is not None:
            m2 = saved.reshape(-1, c)
            flags3 = (need_dx, need_dg, need_db)
            calls.append(lambda: _frozen_backward(gy2, m2, x2, gamma, mean, invstd, *flags3, dx2, dg, db))
            return calls, 0, 0
        flags = (training, need_dx, need_dg, need_db)
        calls.append(lambda: _bn_backward(gy2, x2, gamma, mean, invstd, *flags, dx2, dg, db))
        return calls, 0, 0
    if all(d is None for d in dxs):
        return calls, 0, 0
    if kind == "mul":  # x: the first operand; saved: the second
        if saved is None:
            raise ValueError(f"the backward of mul layer {node.name!r} needs the operand its forward kept")
        a3, b3 = _mul_views(x, saved)
        need_a, need_b = dxs[0] is not None, dxs[1] is not None
        da3 = dxs[0].reshape(a3.shape) if dxs[0] is not None else np.zeros((0, 0, 0), F32)
        db3 = dxs[1].reshape(b3.shape) if dxs[1] is not None else np.zeros((0, 0, 0), F32)
        g3 = gy.reshape(a3.shape)
        calls.append(lambda: _mul_backward(g3, a3, b3, need_a, need_b, da3, db3))
        return calls, 0, 0
    if kind == "concat":  # each input's gradient: its slice of the output gradient
        gy2 = gy.reshape(-1, gy.shape[-1])
        offset = 0
        for target, shape in zip(dxs, node.input_shapes, strict=True):
            if target is not None:
                calls.append(partial(_concat_backward, gy2, offset, target.reshape(-1, shape[-1])))
            offset += shape[-1]
        return calls, 0, 0
    if kind in ("flatten", "dropout", "add"):
        for target in dxs:
            if target is not None and not np.shares_memory(target, gy):
                calls.append(partial(np.copyto, target, gy.reshape(target.shape)))
        return calls, 0, 0
    if dx is None:
        return calls, 0, 0
    if saved is None and kind in MASK_KINDS | OUTPUT_KEEPING_KINDS | {"maxpool"}:
        raise ValueError(f"the backward of {kind} layer {node.name!r} needs what its forward saved")
    if kind in ("relu", "relu6") and saved is not None:
        g1, m1, d1 = gy.reshape(-1), saved.reshape(-1), dx.reshape(-1)
        calls.append(lambda: _mask_backward(g1, m1, d1))
    elif kind == "leaky_relu" and saved is not None:
        g1, m1, d1 = gy.reshape(-1), saved.reshape(-1), dx.reshape(-1)
        alpha = F32(node.layer_as(LeakyReLU).alpha)
        calls.append(lambda: _leaky_mask_backward(g1, m1, alpha, d1))
    elif kind == "sigmoid" and saved is not None:  # saved: the forward output
        g1, y1, d1 = gy.reshape(-1), saved.reshape(-1), dx.reshape(-1)
        calls.append(lambda: _sigmoid_backward(g1, y1, d1))
    elif kind == "tanh" and saved is not None:  # saved: the forward output
        g1, y1, d1 = gy.reshape(-1), saved.reshape(-1), dx.reshape(-1)
        calls.append(lambda: _tanh_backward(g1, y1, d1))
    elif kind == "elu" and saved is not None:  # saved: the forward output
        g1, y1, d1 = gy.reshape(-1), saved.reshape(-1), dx.reshape(-1)
        alpha = F32(node.layer_as(ELU).alpha)
        calls.append(lambda: _elu_backward(g1, y1, alpha, d1))
    elif kind == "hard_sigmoid" and saved is not None:
        g1, m1, d1 = gy.reshape(-1), saved.reshape(-1), dx.reshape(-1)
        alpha = F32(node.layer_as(HardSigmoid).alpha)
        calls.append(lambda: _hard_sigmoid_mask_backward(g1, m1, alpha, d1))
    elif kind == "hard_swish":
        g1, x1, d1 = gy.reshape(-1), x.reshape(-1), dx.reshape(-1)
        calls.append(lambda: _hard_swish_backward(g1, x1, d1))
    elif kind == "maxpool":
        calls.append(lambda: _max_backward(gy, saved, dx))
    elif kind == "avgpool":
        window = _pool_geometry(node)
        include_pad = node.layer_as(AvgPool).count_include_pad
        calls.append(lambda: _avg(gy, *window, include_pad, False, dx))
    elif kind == "global_avg_pool":
        calls.append(lambda: _global_avg_backward(gy, dx))
    elif kind == "upsample":  # each input pixel: the sum of the gradient over its block
        sh, sw = node.layer_as(Upsample).scale
        calls.append(lambda: _upsample_backward(gy, sh, sw, dx))
    else:
        raise ValueError(f"no backward kernel for layer kind {kind!r}")
    return calls, 0, 0


def _weighted_backward(
    node: Node,
    gy: np.ndarray,
    x: np.ndarray,
    dx: np.ndarray | None,
    params: dict[str, np.ndarray],
    grads: ParamGrads,
    workspace: np.ndarray,
) -> tuple[list[Call], int, int]:
    w = params["weight"]
    c_out = w.shape[-1]
    gy2 = gy.reshape(-1, c_out)
    per_row = int(np.prod(w.shape[:-1]))
    rows = gy2.shape[0]
    calls: list[Call] = []
    if grads.bias is not None:
        db = grads.bias
        calls.append(lambda: bias_grad(gy2, db))
    k = grads.channels if grads.weight is not None else 0
    macs_w = rows * per_row * k
    macs_d = rows * per_row * c_out if dx is not None else 0
    if k == 0 and dx is None:
        return calls, macs_w, macs_d
    geo = ConvGeometry.of(node) if node.kind == "conv2d" else None
    if geo is None or geo.path == "pointwise":
        x2 = x.reshape(rows, -1) if k else EMPTY2
        w2 = w.reshape(-1, c_out)
        if k and grads.weight is not None:
            dw2 = grads.weight.reshape(-1, c_out)
            calls.append(lambda: weight_grad(x2, gy2, k, dw2))
        if dx is not None:
            dx2 = dx.reshape(rows, -1)
            calls.append(lambda: input_grad(gy2, w2, dx2))
        return calls, macs_w, macs_d
    (sh, sw), (pt, _, pl, _) = geo.stride, geo.pads
    need_dx, need_dw = dx is not None, k > 0
    xk = x if need_dw else EMPTY4
    dxk = dx if need_dx else EMPTY4
    dwk = grads.weight if need_dw else EMPTY4
    if geo.path == "depthwise":
        calls.append(lambda: _depthwise_backward(gy, xk, w, sh, sw, pt, pl, need_dx, need_dw, k, dxk, dwk))
    else:
        col, oh, ow, groups = _column(workspace, node, gy.shape[0]), gy.shape[1], gy.shape[2], geo.groups
        calls.append(
            lambda: _backward_im2col(
                gy2, xk, w, sh, sw, pt, pl, oh, ow, groups, need_dx, need_dw, k, col, dxk, dwk
            )
        )
    return calls, macs_w, macs_d


def accumulate(target: np.ndarray, contribution: np.ndarray) -> Call:
    """``target += contribution`` (a second gradient reaching a branch point)."""
    t1, c1 = target.reshape(-1), contribution.reshape(-1)
    return lambda: _add(t1, c1, t1)
