"""Concatenation along the last (channel or feature) axis, and its backward: the per-input slices.

Every tensor is viewed as ``(rows, channels)``, ``rows`` being the product of the leading axes (batch and
positions), which all inputs share. Input ``i`` occupies the output channels ``offset_i`` to
``offset_i + C_i``; its gradient is that slice of the output gradient. Nothing is kept for backward.
"""

from collections.abc import Sequence

import numpy as np

from workloads.kernels import contract as ct
from workloads.kernels.jit import kernel


@kernel
def _concat_forward(x2, offset, y2):
    rows, c = x2.shape
    for i in range(rows):
        for k in range(c):
            y2[i, offset + k] = x2[i, k]


@kernel
def _concat_backward(gy2, offset, dx2):
    rows, c = dx2.shape
    for i in range(rows):
        for k in range(c):
            dx2[i, k] = gy2[i, offset + k]


def _leading(arrays: Sequence[np.ndarray], name: str) -> tuple[int, ...]:
    """The leading shape all ``arrays`` share (checked)."""
    if len(arrays) < 2:
        raise ct.KernelInputError(f"{name}: {len(arrays)} array(s), expected at least 2")
    for i, a in enumerate(arrays):
        ct.require(a, f"{name}[{i}]")
    lead = arrays[0].shape[:-1]
    for i, a in enumerate(arrays):
        if a.ndim < 2 or a.shape[:-1] != lead:
            raise ct.KernelInputError(
                f"{name}[{i}]: shape {a.shape} does not share the leading axes {lead} of {name}[0]"
            )
    return lead


def concat_forward(xs: Sequence[np.ndarray], *, out: np.ndarray | None = None) -> np.ndarray:
    """``xs`` joined along the last axis; every input has the same leading axes ``(N, ...)``."""
    lead = _leading(xs, "xs")
    total = sum(x.shape[-1] for x in xs)
    y = ct.output(out, "out", (*lead, total))
    y2, offset = y.reshape(-1, total), 0
    for x in xs:
        c = x.shape[-1]
        _concat_forward(x.reshape(-1, c), offset, y2)
        offset += c
    return y


def concat_backward(grad_out: np.ndarray, channels: Sequence[int]) -> list[np.ndarray]:
    """The gradient of each input: the slices of ``grad_out`` of ``channels[i]`` channels each, in order."""
    ct.require(grad_out, "grad_out")
    if grad_out.ndim < 2 or sum(channels) != grad_out.shape[-1] or min(channels, default=0) < 1:
        raise ct.KernelInputError(
            f"channels: {list(channels)} do not split the last axis of grad_out {grad_out.shape}"
        )
    total = grad_out.shape[-1]
    gy2, offset = grad_out.reshape(-1, total), 0
    grads = []
    for c in channels:
        dx = np.empty((*grad_out.shape[:-1], c), np.float32)
        _concat_backward(gy2, offset, dx.reshape(-1, c))
        grads.append(dx)
        offset += c
    return grads
