"""Element-wise product of two tensors, the second either of the same shape or one value per channel
broadcast over the positions (the squeeze-excitation channel gate ``x * s``).

Both operands are viewed as ``(N, P, C)``: ``a`` with its ``P`` positions, ``b`` with ``P`` or 1. The
backward writes ``da = gy * b`` and ``db = gy * a`` (summed over the positions for a gate); each only when
asked, so a gate whose branch does not train reads nothing but ``b``.
"""

import numpy as np

from workloads.kernels import contract as ct
from workloads.kernels.jit import kernel


@kernel
def _mul_forward(a3, b3, y3):
    n, p, c = a3.shape
    gate = b3.shape[1] == 1
    for i in range(n):
        for j in range(p):
            jb = 0 if gate else j
            for k in range(c):
                y3[i, j, k] = a3[i, j, k] * b3[i, jb, k]


@kernel
def _mul_backward(gy3, a3, b3, need_da, need_db, da3, db3):
    n, p, c = gy3.shape
    gate = b3.shape[1] == 1
    acc = np.zeros(c, np.float64)
    for i in range(n):
        acc[:] = 0.0
        for j in range(p):
            jb = 0 if gate else j
            for k in range(c):
                g = gy3[i, j, k]
                if need_da:
                    da3[i, j, k] = g * b3[i, jb, k]
                if need_db:
                    if gate:
                        acc[k] += g * a3[i, j, k]
                    else:
                        db3[i, j, k] = g * a3[i, j, k]
        if need_db and gate:
            for k in range(c):
                db3[i, 0, k] = acc[k]


def _views(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ct.require(a, "a")
    ct.require(b, "b")
    n, c = a.shape[0], a.shape[-1]
    if b.shape != a.shape and b.shape != (n, c):
        raise ct.KernelInputError(
            f"b: shape {b.shape} is neither {a.shape} nor one value per channel {(n, c)}"
        )
    return a.reshape(n, -1, c), b.reshape(n, -1, c)


def mul_forward(a: np.ndarray, b: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
    """``a * b``: ``b`` of ``a``'s shape, or ``(N, C)`` broadcast over the positions of ``a`` (N, ..., C)."""
    a3, b3 = _views(a, b)
    y = ct.output(out, "out", a.shape)
    _mul_forward(a3, b3, y.reshape(a3.shape))
    return y


def mul_backward(grad_out: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(grad_a, grad_b)``; ``grad_b`` has ``b``'s shape (summed over the positions for a gate)."""
    a3, b3 = _views(a, b)
    ct.require(grad_out, "grad_out", shape=a.shape)
    da, db = np.empty(a.shape, np.float32), np.empty(b.shape, np.float32)
    _mul_backward(grad_out.reshape(a3.shape), a3, b3, True, True, da.reshape(a3.shape), db.reshape(b3.shape))
    return da, db
