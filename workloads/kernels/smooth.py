"""Tanh and ELU: smooth activations whose backward reads only the forward output.

Derivatives follow PyTorch: tanh's ``1 - y^2``; ELU (``x`` for ``x > 0``, else ``alpha (exp(x) - 1)``) has
1 where ``x > 0`` and ``alpha exp(x) = y + alpha`` elsewhere. Keeping ``y`` rather than ``x`` lets both run
in place over their input. For ELU the sign of ``x`` is read back from ``y``, which needs ``alpha > 0``
(``y > 0`` exactly when ``x > 0``); the layer refuses other slopes.
"""

import numpy as np

from workloads.kernels import contract as ct
from workloads.kernels.jit import kernel


@kernel
def _tanh_forward(x1, y1):
    for i in range(x1.shape[0]):
        y1[i] = np.tanh(np.float64(x1[i]))


@kernel
def _tanh_backward(gy1, y1, gx1):
    for i in range(gy1.shape[0]):
        gx1[i] = gy1[i] * (1.0 - y1[i] * y1[i])


@kernel
def _elu_forward(x1, alpha, y1):
    for i in range(x1.shape[0]):
        v = np.float64(x1[i])
        y1[i] = v if v > 0 else alpha * np.expm1(v)


@kernel
def _elu_backward(gy1, y1, alpha, gx1):
    for i in range(gy1.shape[0]):
        gx1[i] = gy1[i] if y1[i] > 0 else gy1[i] * (y1[i] + alpha)


def tanh_forward(x: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
    """``tanh(x)``."""
    ct.require(x, "x")
    y = ct.output(out, "out", x.shape)
    _tanh_forward(x.reshape(-1), y.reshape(-1))
    return y


def tanh_backward(grad_out: np.ndarray, y: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
    """Tanh input gradient from the forward output ``y``: ``grad_out * (1 - y^2)``."""
    ct.require(grad_out, "grad_out")
    ct.require(y, "y", shape=grad_out.shape)
    gx = ct.output(out, "out", grad_out.shape)
    _tanh_backward(grad_out.reshape(-1), y.reshape(-1), gx.reshape(-1))
    return gx


def elu_forward(x: np.ndarray, alpha: float = 1.0, *, out: np.ndarray | None = None) -> np.ndarray:
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)`` (ONNX ``Elu``; its default ``alpha`` is 1)."""
    ct.require(x, "x")
    y = ct.output(out, "out", x.shape)
    _elu_forward(x.reshape(-1), np.float64(alpha), y.reshape(-1))
    return y


def elu_backward(
    grad_out: np.ndarray, y: np.ndarray, alpha: float = 1.0, *, out: np.ndarray | None = None
) -> np.ndarray:
    """ELU input gradient from the forward output ``y``: ``grad_out`` where ``y > 0``, else
    ``grad_out * (y + alpha)``."""
    ct.require(grad_out, "grad_out")
    ct.require(y, "y", shape=grad_out.shape)
    gx = ct.output(out, "out", grad_out.shape)
    _elu_backward(grad_out.reshape(-1), y.reshape(-1), np.float32(alpha), gx.reshape(-1))
    return gx
