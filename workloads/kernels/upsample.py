"""Nearest-neighbour upsampling by integer factors ``(sh, sw)`` of NHWC feature maps, and its backward.

Output pixel ``(i, j)`` is input pixel ``(i // sh, j // sw)``: every input pixel repeats as an
``sh x sw`` block. The gradient of an input pixel is the sum of the output gradient over its block.
Nothing is kept for backward.
"""

from collections.abc import Sequence

import numpy as np

from workloads.kernels import contract as ct
from workloads.kernels.jit import kernel


@kernel
def _upsample_forward(x, sh, sw, y):
    n, h, w, c = x.shape
    for b in range(n):
        for i in range(h * sh):
            for j in range(w * sw):
                for k in range(c):
                    y[b, i, j, k] = x[b, i // sh, j // sw, k]


@kernel
def _upsample_backward(gy, sh, sw, dx):
    n, h, w, c = dx.shape
    for b in range(n):
        for i in range(h):
            for j in range(w):
                for k in range(c):
                    dx[b, i, j, k] = 0.0
                for di in range(sh):
                    for dj in range(sw):
                        for k in range(c):
                            dx[b, i, j, k] += gy[b, i * sh + di, j * sw + dj, k]


def upsample_forward(
    x: np.ndarray, scale: int | Sequence[int], *, out: np.ndarray | None = None
) -> np.ndarray:
    """Repeat each pixel of ``x`` (N, H, W, C) as an ``sh x sw`` block, ``scale`` = ``(sh, sw)`` (or one
    int): (N, sh H, sw W, C)."""
    ct.require(x, "x", shape=(None, None, None, None))
    sh, sw = ct.pair(scale, "scale")
    n, h, w, c = x.shape
    y = ct.output(out, "out", (n, h * sh, w * sw, c))
    _upsample_forward(x, sh, sw, y)
    return y


def upsample_backward(
    grad_out: np.ndarray, scale: int | Sequence[int], *, out: np.ndarray | None = None
) -> np.ndarray:
    """The input gradient: ``grad_out`` (N, sh H, sw W, C) summed over each ``sh x sw`` block."""
    ct.require(grad_out, "grad_out", shape=(None, None, None, None))
    sh, sw = ct.pair(scale, "scale")
    n, oh, ow, c = grad_out.shape
    if oh % sh or ow % sw:
        raise ct.KernelInputError(
            f"grad_out: shape {grad_out.shape} is not a whole number of {sh} x {sw} blocks"
        )
    dx = ct.output(out, "out", (n, oh // sh, ow // sw, c))
    _upsample_backward(grad_out, sh, sw, dx)
    return dx
