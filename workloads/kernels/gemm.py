"""GEMM-shaped building blocks: ``y = x @ w + b`` and its gradients on 2-D row-major views.

Dense layers call these directly; 1x1 stride-1 unpadded convolutions call them on the (N*H*W, C)
view of an NHWC tensor, and the im2col path of :mod:`workloads.kernels.conv` calls them on the
column matrix. ``np.dot`` inside a kernel is a BLAS sgemm (through SciPy).
"""

import numpy as np
from numba import uint64 as U

from workloads.kernels.jit import kernel
from workloads.kernels.wide import fold, wide_width


@kernel
def add_bias(y2: np.ndarray, bias: np.ndarray) -> None:
    """``y2 += bias`` row by row; a zero-length bias is a no-op."""
    if bias.shape[0] == 0:
        return
    for r in range(y2.shape[0]):
        for c in range(y2.shape[1]):
            y2[r, c] += bias[c]


@kernel
def bias_grad(gy2: np.ndarray, db: np.ndarray) -> None:
    """``db = gy2.sum(axis=0)``, accumulated in float64 (so long batches lose no precision) over wide rows."""
    c = gy2.shape[1]
    width, n = wide_width(c), gy2.shape[0] * c
    g1 = gy2.reshape(-1)
    acc = np.zeros(width, np.float64)
    for s0 in range(0, n, width):
        start = U(s0)
        for t in range(U(min(width, n - s0))):
            acc[t] += g1[start + t]
    fold(acc, c, db)


@kernel
def linear_forward(x2: np.ndarray, w2: np.ndarray, bias: np.ndarray, y2: np.ndarray) -> None:
    """``y2 = x2 @ w2 + bias``."""
    np.dot(x2, w2, y2)
    add_bias(y2, bias)


@kernel
def weight_grad(x2: np.ndarray, gy2: np.ndarray, k: int, dw2: np.ndarray) -> None:
    """``dw2[:, :k] = x2.T @ gy2[:, :k]``; columns from ``k`` on are left untouched."""
    if k == gy2.shape[1]:
        np.dot(x2.T, gy2, dw2)
    else:
        part = np.dot(x2.T, np.ascontiguousarray(gy2[:, :k]))
        dw2[:, :k] = part


@kernel
def input_grad(gy2: np.ndarray, w2: np.ndarray, dx2: np.ndarray) -> None:
    """``dx2 = gy2 @ w2.T``."""
    np.dot(gy2, w2.T, dx2)
