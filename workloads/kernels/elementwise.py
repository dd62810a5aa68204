"""Residual add and flatten: the two layers whose backward is (almost) the identity."""

from collections.abc import Sequence

import numpy as np

from workloads.kernels import contract as ct
from workloads.kernels.jit import kernel


@kernel
def _add(a1, b1, y1):
    for i in range(a1.shape[0]):
        y1[i] = a1[i] + b1[i]


def add_forward(a: np.ndarray, b: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
    """Elementwise ``a + b`` of two float32 arrays of the same shape (no broadcasting)."""
    ct.require(a, "a")
    ct.require(b, "b", shape=a.shape)
    y = ct.output(out, "out", a.shape)
    _add(a.reshape(-1), b.reshape(-1), y.reshape(-1))
    return y


def add_backward(grad_out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both inputs of an add receive ``grad_out`` unchanged (the same array, not copies)."""
    ct.require(grad_out, "grad_out")
    return grad_out, grad_out


def flatten_forward(x: np.ndarray) -> np.ndarray:
    """(N, H, W, C) -> (N, H*W*C), a view in NHWC order."""
    ct.require(x, "x")
    return x.reshape(x.shape[0], -1)


def flatten_backward(grad_out: np.ndarray, input_shape: Sequence[int]) -> np.ndarray:
    """(N, H*W*C) -> ``input_shape``, a view."""
    ct.require(grad_out, "grad_out", shape=(None, None))
    if int(np.prod(input_shape)) != grad_out.size:
        raise ct.KernelInputError(f"input_shape: {tuple(input_shape)} does not hold {grad_out.shape}")
    return grad_out.reshape(tuple(input_shape))
