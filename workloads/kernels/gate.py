"""Sigmoid, hard sigmoid and hard swish: forward and backward (the gates of squeeze-excitation blocks).

Derivatives follow PyTorch: sigmoid's ``y (1 - y)`` from the forward output; hard sigmoid's ``alpha``
strictly inside ``0 < alpha x + beta < 1`` and 0 elsewhere (a 1-bit mask from the forward suffices);
hard swish ``x * relu6(x + 3) / 6`` has ``0`` below -3, ``x / 3 + 1 / 2`` on ``[-3, 3]`` and 1 above, from
the forward input.
"""

import numpy as np

from workloads.kernels import contract as ct
from workloads.kernels.jit import kernel


@kernel
def _sigmoid_forward(x1, y1):
    for i in range(x1.shape[0]):
        v = np.float64(x1[i])
        if v >= 0:
            y1[i] = 1.0 / (1.0 + np.exp(-v))
        else:
            e = np.exp(v)
            y1[i] = e / (1.0 + e)


@kernel
def _sigmoid_backward(gy1, y1, gx1):
    for i in range(gy1.shape[0]):
        gx1[i] = gy1[i] * y1[i] * (1.0 - y1[i])


@kernel
def _hard_sigmoid_forward(x1, alpha, beta, y1, mask1):
    want_mask = mask1.shape[0] > 0
    for i in range(x1.shape[0]):
        t = alpha * x1[i] + beta
        y1[i] = 0.0 if t < 0 else (1.0 if t > 1 else t)
        if want_mask:
            mask1[i] = 0 < t < 1


@kernel
def _hard_sigmoid_mask_backward(gy1, mask1, alpha, gx1):
    for i in range(gy1.shape[0]):
        gx1[i] = alpha * gy1[i] if mask1[i] else 0.0


@kernel
def _hard_sigmoid_backward(gy1, x1, alpha, beta, gx1):
    for i in range(gy1.shape[0]):
        t = alpha * x1[i] + beta
        gx1[i] = alpha * gy1[i] if 0 < t < 1 else 0.0


@kernel
def _hard_swish_forward(x1, y1):
    for i in range(x1.shape[0]):
        v = x1[i]
        t = v + 3.0
        y1[i] = v * (0.0 if t < 0 else (6.0 if t > 6 else t)) / 6.0


@kernel
def _hard_swish_backward(gy1, x1, gx1):
    for i in range(gy1.shape[0]):
        v = x1[i]
        if v < -3.0:
            gx1[i] = 0.0
        elif v <= 3.0:
            gx1[i] = gy1[i] * (v / 3.0 + 0.5)
        else:
            gx1[i] = gy1[i]


def sigmoid_forward(x: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
    """``1 / (1 + exp(-x))``, evaluated without overflow for any float32 ``x``."""
    ct.require(x, "x")
    y = ct.output(out, "out", x.shape)
    _sigmoid_forward(x.reshape(-1), y.reshape(-1))
    return y


def sigmoid_backward(grad_out: np.ndarray, y: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
    """Sigmoid input gradient from the forward output ``y``: ``grad_out * y * (1 - y)``."""
    ct.require(grad_out, "grad_out")
    ct.require(y, "y", shape=grad_out.shape)
    gx = ct.output(out, "out", grad_out.shape)
    _sigmoid_backward(grad_out.reshape(-1), y.reshape(-1), gx.reshape(-1))
    return gx


def hard_sigmoid_forward(
    x: np.ndarray,
    alpha: float = 0.2,
    beta: float = 0.5,
    *,
    out: np.ndarray | None = None,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """``clip(alpha * x + beta, 0, 1)`` (ONNX's defaults; PyTorch's is alpha 1/6); writes the linear-range
    mask ``0 < alpha * x + beta < 1`` into the bool array ``mask`` when given."""
    ct.require(x, "x")
    y = ct.output(out, "out", x.shape)
    m = ct.empty(1, np.bool_) if mask is None else ct.output(mask, "mask", x.shape, np.bool_)
    _hard_sigmoid_forward(x.reshape(-1), np.float32(alpha), np.float32(beta), y.reshape(-1), m.reshape(-1))
    return y


def hard_sigmoid_backward(
    grad_out: np.ndarray,
    saved: np.ndarray,
    alpha: float = 0.2,
    beta: float = 0.5,
    *,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Hard sigmoid input gradient; ``saved`` is the bool mask from the forward or the float32 input."""
    ct.require(grad_out, "grad_out")
    gx = ct.output(out, "out", grad_out.shape)
    a, b = np.float32(alpha), np.float32(beta)
    if isinstance(saved, np.ndarray) and saved.dtype == np.bool_:
        ct.require(saved, "mask", np.bool_, grad_out.shape)
        _hard_sigmoid_mask_backward(grad_out.reshape(-1), saved.reshape(-1), a, gx.reshape(-1))
    else:
        ct.require(saved, "x", shape=grad_out.shape)
        _hard_sigmoid_backward(grad_out.reshape(-1), saved.reshape(-1), a, b, gx.reshape(-1))
    return gx


def hard_swish_forward(x: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
    """``x * relu6(x + 3) / 6``."""
    ct.require(x, "x")
    y = ct.output(out, "out", x.shape)
    _hard_swish_forward(x.reshape(-1), y.reshape(-1))
    return y


def hard_swish_backward(grad_out: np.ndarray, x: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
    """Hard swish input gradient from the forward input ``x``."""
    ct.require(grad_out, "grad_out")
    ct.require(x, "x", shape=grad_out.shape)
    gx = ct.output(out, "out", grad_out.shape)
    _hard_swish_backward(grad_out.reshape(-1), x.reshape(-1), gx.reshape(-1))
    return gx
