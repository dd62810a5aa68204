"""GEMM-shaped building blocks: ``y = x @ w + b`` and its gradients on 2-D row-major views.

Dense layers call these directly; 1x1 stride-1 unpadded convolutions call them on the (N*H*W, C)
view of an NHWC tensor, and the im2col path of :mod:`workloads.kernels.conv` calls them on the
column matrix. ``np.dot`` inside a kernel is a BLAS sgemm (through SciPy).
"""

import numpy as np

from workloads.kernels.jit import kernel


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
    """``db = gy2.sum(axis=0)``, accumulated in float64 so long batches lose no precision."""
    acc = np.zeros(gy2.shape[1], np.float64)
    for r in range(gy2.shape[0]):
        for c in range(gy2.shape[1]):
            acc[c] += gy2[r, c]
    for c in range(gy2.shape[1]):
        db[c] = acc[c]


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
