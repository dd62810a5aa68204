"""In-place optimizer updates: SGD, SGD with momentum, Adam (PyTorch formulas).

Every parameter has its output channel on the last axis (HWIO conv weights, (F_in, F_out) dense
weights, (C,) biases and norm parameters), so ``trained_out_channels=k`` updates ``param[..., :k]``
and leaves the rest, and its optimizer state, untouched. ``weight_decay`` is the coupled L2 term
added to the gradient, as in ``torch.optim.SGD`` and ``torch.optim.Adam``.
"""

from collections.abc import Callable
from typing import Protocol

import numpy as np

from workloads.kernels import contract as ct
from workloads.kernels.jit import kernel


@kernel
def _sgd(p, g, lr, wd, k):
    for r in range(p.shape[0]):
        for c in range(k):
            p[r, c] -= lr * (g[r, c] + wd * p[r, c])


@kernel
def _momentum(p, g, v, lr, mu, wd, k):
    for r in range(p.shape[0]):
        for c in range(k):
            v[r, c] = mu * v[r, c] + g[r, c] + wd * p[r, c]
            p[r, c] -= lr * v[r, c]


@kernel
def _adam(p, g, m, v, lr, b1, b2, eps, step, wd, k):
    bc1 = 1.0 - b1**step
    bc2 = 1.0 - b2**step
    for r in range(p.shape[0]):
        for c in range(k):
            gi = g[r, c] + wd * p[r, c]
            m[r, c] = b1 * m[r, c] + (1.0 - b1) * gi
            v[r, c] = b2 * v[r, c] + (1.0 - b2) * gi * gi
            p[r, c] -= lr * (m[r, c] / bc1) / (np.sqrt(v[r, c] / bc2) + eps)


def _views(param, k, **others):
    ct.require(param, "param")
    if param.ndim == 0 or not param.flags.writeable:
        raise ct.KernelInputError("param: expected a writeable array with at least one axis")
    out = [param.reshape(-1, param.shape[-1])]
    for name, a in others.items():
        ct.require(a, name, shape=param.shape)
        out.append(a.reshape(-1, param.shape[-1]))
    return out, ct.channels(k, param.shape[-1])


def sgd_update(
    param: np.ndarray,
    grad: np.ndarray,
    *,
    lr: float,
    weight_decay: float = 0.0,
    trained_out_channels: int | None = None,
) -> None:
    """``param -= lr * (grad + weight_decay * param)`` in place (float32 arrays, same shape)."""
    (p, g), k = _views(param, trained_out_channels, grad=grad)
    _sgd(p, g, float(lr), float(weight_decay), k)


def sgd_momentum_update(
    param: np.ndarray,
    grad: np.ndarray,
    velocity: np.ndarray,
    *,
    lr: float,
    momentum: float,
    weight_decay: float = 0.0,
    trained_out_channels: int | None = None,
) -> None:
    """``v = momentum * v + grad (+ wd * param); param -= lr * v`` in place (``velocity`` starts at 0)."""
    (p, g, v), k = _views(param, trained_out_channels, grad=grad, velocity=velocity)
    _momentum(p, g, v, float(lr), float(momentum), float(weight_decay), k)


def adam_update(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    *,
    lr: float,
    step: int,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    trained_out_channels: int | None = None,
) -> None:
    """One Adam step in place; ``step`` counts from 1 and drives the bias correction.

    ``exp_avg`` and ``exp_avg_sq`` (the first and second moments) start at zero and are updated in
    place; ``param -= lr * m_hat / (sqrt(v_hat) + eps)``.
    """
    if int(step) != step or step < 1:
        raise ct.KernelInputError(f"step: {step!r} is not allowed, expected an int >= 1")
    (p, g, m, v), k = _views(param, trained_out_channels, grad=grad, exp_avg=exp_avg, exp_avg_sq=exp_avg_sq)
    _adam(p, g, m, v, float(lr), float(beta1), float(beta2), float(eps), int(step), float(weight_decay), k)


class StepCounter(Protocol):
    """What Adam's bias correction reads at update time: the steps taken so far."""

    adam_step: int


def fp32_update(
    optimizer: str,
    p2: np.ndarray,
    g2: np.ndarray,
    k: int,
    lr: float,
    mu: float,
    slots: list[np.ndarray],
    state: StepCounter,
) -> Callable[[], None]:
    """The in-place optimizer call for one parameter (2-D view, first ``k`` columns)."""
    if optimizer == "sgd":
        return lambda: _sgd(p2, g2, lr, 0.0, k)
    if optimizer == "sgd-momentum":
        v2 = slots[0]
        return lambda: _momentum(p2, g2, v2, lr, mu, 0.0, k)
    m2, v2 = slots
    return lambda: _adam(p2, g2, m2, v2, lr, 0.9, 0.999, 1e-8, state.adam_step, 0.0, k)
