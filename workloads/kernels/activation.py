"""ReLU, ReLU6 and leaky ReLU: forward, and backward from a boolean mask or from the forward input.

The derivative is 1 strictly inside the linear range (``0 < x`` for ReLU, ``0 < x < 6`` for ReLU6)
and 0 elsewhere, as in PyTorch; leaky ReLU's is 1 where ``x > 0`` and ``alpha`` elsewhere (PyTorch's
choice at 0). The forward can also write that mask, which is all the backward needs (one bit per element
on a device instead of the float input).
"""

import numpy as np

from workloads.kernels import contract as ct
from workloads.kernels.jit import kernel


@kernel
def _clamp_forward(x1, lo, hi, y1, mask1):
    want_mask = mask1.shape[0] > 0
    for i in range(x1.shape[0]):
        v = x1[i]
        y1[i] = lo if v < lo else (hi if v > hi else v)
        if want_mask:
            mask1[i] = lo < v < hi


@kernel
def _clamp_backward(gy1, x1, lo, hi, gx1):
    for i in range(gy1.shape[0]):
        gx1[i] = gy1[i] if lo < x1[i] < hi else 0.0


@kernel
def _mask_backward(gy1, mask1, gx1):
    for i in range(gy1.shape[0]):
        gx1[i] = gy1[i] if mask1[i] else 0.0


def _forward(x, hi, out, mask):
    ct.require(x, "x")
    y = ct.output(out, "out", x.shape)
    m = ct.empty(1, np.bool_) if mask is None else ct.output(mask, "mask", x.shape, np.bool_)
    _clamp_forward(x.reshape(-1), 0.0, hi, y.reshape(-1), m.reshape(-1))
    return y


def _backward(grad_out, saved, hi, out):
    ct.require(grad_out, "grad_out")
    gx = ct.output(out, "out", grad_out.shape)
    if isinstance(saved, np.ndarray) and saved.dtype == np.bool_:
        ct.require(saved, "mask", np.bool_, grad_out.shape)
        _mask_backward(grad_out.reshape(-1), saved.reshape(-1), gx.reshape(-1))
    else:
        ct.require(saved, "x", shape=grad_out.shape)
        _clamp_backward(grad_out.reshape(-1), saved.reshape(-1), 0.0, hi, gx.reshape(-1))
    return gx


def relu_forward(
    x: np.ndarray, *, out: np.ndarray | None = None, mask: np.ndarray | None = None
) -> np.ndarray:
    """``max(x, 0)``; writes ``x > 0`` into the bool array ``mask`` when given (for the backward)."""
    return _forward(x, np.inf, out, mask)


def relu_backward(grad_out: np.ndarray, saved: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
    """ReLU input gradient; ``saved`` is the bool mask from the forward or the float32 forward input."""
    return _backward(grad_out, saved, np.inf, out)


def relu6_forward(
    x: np.ndarray, *, out: np.ndarray | None = None, mask: np.ndarray | None = None
) -> np.ndarray:
    """``min(max(x, 0), 6)``; writes ``0 < x < 6`` into the bool array ``mask`` when given."""
    return _forward(x, 6.0, out, mask)


def relu6_backward(grad_out: np.ndarray, saved: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
    """ReLU6 input gradient; ``saved`` is the bool mask from the forward or the float32 forward input."""
    return _backward(grad_out, saved, 6.0, out)


@kernel
def _leaky_forward(x1, alpha, y1, mask1):
    want_mask = mask1.shape[0] > 0
    for i in range(x1.shape[0]):
        v = x1[i]
        y1[i] = v if v > 0 else alpha * v
        if want_mask:
            mask1[i] = v > 0


@kernel
def _leaky_mask_backward(gy1, mask1, alpha, gx1):
    for i in range(gy1.shape[0]):
        gx1[i] = gy1[i] if mask1[i] else alpha * gy1[i]


@kernel
def _leaky_backward(gy1, x1, alpha, gx1):
    for i in range(gy1.shape[0]):
        gx1[i] = gy1[i] if x1[i] > 0 else alpha * gy1[i]


def leaky_relu_forward(
    x: np.ndarray, alpha: float = 0.01, *, out: np.ndarray | None = None, mask: np.ndarray | None = None
) -> np.ndarray:
    """``x if x > 0 else alpha * x``; writes ``x > 0`` into the bool array ``mask`` when given."""
    ct.require(x, "x")
    y = ct.output(out, "out", x.shape)
    m = ct.empty(1, np.bool_) if mask is None else ct.output(mask, "mask", x.shape, np.bool_)
    _leaky_forward(x.reshape(-1), np.float32(alpha), y.reshape(-1), m.reshape(-1))
    return y


def leaky_relu_backward(
    grad_out: np.ndarray, saved: np.ndarray, alpha: float = 0.01, *, out: np.ndarray | None = None
) -> np.ndarray:
    """Leaky ReLU input gradient; ``saved`` is the bool mask from the forward or the float32 input."""
    ct.require(grad_out, "grad_out")
    gx = ct.output(out, "out", grad_out.shape)
    a = np.float32(alpha)
    if isinstance(saved, np.ndarray) and saved.dtype == np.bool_:
        ct.require(saved, "mask", np.bool_, grad_out.shape)
        _leaky_mask_backward(grad_out.reshape(-1), saved.reshape(-1), a, gx.reshape(-1))
    else:
        ct.require(saved, "x", shape=grad_out.shape)
        _leaky_backward(grad_out.reshape(-1), saved.reshape(-1), a, gx.reshape(-1))
    return gx
