"""Losses returning ``(mean loss, gradient of the mean loss w.r.t. the prediction)``."""

import numpy as np

from workloads.kernels import contract as ct
from workloads.kernels.jit import kernel


@kernel
def _softmax_xent(logits, labels, dlogits):
    n, k = logits.shape
    total = 0.0
    for i in range(n):
        mx = logits[i, 0]
        for j in range(1, k):
            mx = max(mx, logits[i, j])
        s = 0.0
        for j in range(k):
            e = np.exp(np.float64(logits[i, j] - mx))
            dlogits[i, j] = e
            s += e
        total += mx + np.log(s) - logits[i, labels[i]]
        for j in range(k):
            dlogits[i, j] = dlogits[i, j] / s / n
        dlogits[i, labels[i]] -= 1.0 / n
    return total / n


@kernel
def _mse(pred1, target1, grad1):
    total = 0.0
    m = pred1.shape[0]
    for i in range(m):
        d = np.float64(pred1[i]) - target1[i]
        total += d * d
        grad1[i] = 2.0 * d / m
    return total / m


def softmax_cross_entropy(
    logits: np.ndarray, labels: np.ndarray, *, grad: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy over the batch.

    Parameters
    ----------
    logits : ndarray, float32, (N, K)
    labels : ndarray of ints in 0..K-1, (N,)
    grad : ndarray, float32, (N, K), optional
        Preallocated ``dlogits``.

    Returns
    -------
    (loss, dlogits)
        The mean loss as a Python float and ``(softmax(logits) - onehot(labels)) / N``.
    """
    ct.require(logits, "logits", shape=(None, None))
    n, k = logits.shape
    if not isinstance(labels, np.ndarray) or labels.shape != (n,) or labels.dtype.kind not in "iu":
        raise ct.KernelInputError(f"labels: expected an integer array of shape ({n},)")
    if n == 0 or labels.min() < 0 or labels.max() >= k:
        raise ct.KernelInputError(f"labels: values must lie in 0..{k - 1} and the batch must not be empty")
    g = ct.output(grad, "grad", (n, k))
    return float(_softmax_xent(logits, np.ascontiguousarray(labels, np.int64), g)), g


def mse_loss(
    pred: np.ndarray, target: np.ndarray, *, grad: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Mean squared error over all elements; returns ``(loss, 2 * (pred - target) / pred.size)``."""
    ct.require(pred, "pred")
    ct.require(target, "target", shape=pred.shape)
    if pred.size == 0:
        raise ct.KernelInputError("pred: empty")
    g = ct.output(grad, "grad", pred.shape)
    return float(_mse(pred.reshape(-1), target.reshape(-1), g.reshape(-1))), g
