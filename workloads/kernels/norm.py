"""Batch normalisation over the last (channel) axis, in training mode and in frozen mode.

Training mode normalises with the batch statistics (biased variance) and updates the running
statistics in place PyTorch-style (``running = (1 - momentum) * running + momentum * batch``, with
the unbiased batch variance). Frozen mode, what on-device training uses, normalises with the running
statistics. Both forwards return the ``(mean, invstd)`` they normalised with, which is all the
backward needs besides ``x``; the beta gradient needs ``grad_out`` alone.
"""

import numpy as np

from workloads.kernels import contract as ct
from workloads.kernels.jit import kernel


@kernel
def _batch_stats(x2, momentum, eps, rmean, rvar, mean, invstd):
    m, c = x2.shape
    s = np.zeros(c, np.float64)
    for r in range(m):
        for ch in range(c):
            s[ch] += x2[r, ch]
    mu = s / m
    ss = np.zeros(c, np.float64)
    for r in range(m):
        for ch in range(c):
            d = x2[r, ch] - mu[ch]
            ss[ch] += d * d
    for ch in range(c):
        var = ss[ch] / m
        mean[ch] = mu[ch]
        invstd[ch] = 1.0 / np.sqrt(var + eps)
        unbiased = ss[ch] / (m - 1) if m > 1 else var
        rmean[ch] = (1.0 - momentum) * rmean[ch] + momentum * mu[ch]
        rvar[ch] = (1.0 - momentum) * rvar[ch] + momentum * unbiased


@kernel
def _invstd(var, eps, invstd):
    """``invstd = 1 / sqrt(var + eps)`` in float64, rounded once (refreshes frozen-mode scales)."""
    for ch in range(var.shape[0]):
        invstd[ch] = 1.0 / np.sqrt(np.float64(var[ch]) + eps)


@kernel
def _normalise(x2, gamma, beta, mean, invstd, y2):
    scale = gamma * invstd
    shift = beta - mean * scale
    for r in range(x2.shape[0]):
        for ch in range(x2.shape[1]):
            y2[r, ch] = x2[r, ch] * scale[ch] + shift[ch]


@kernel
def _backward(gy2, x2, gamma, mean, invstd, training, need_dx, need_dg, need_db, dx2, dgamma, dbeta):
    m, c = gy2.shape
    use_x = need_dg or (need_dx and training)
    sum_g = np.zeros(c, np.float64)
    sum_gx = np.zeros(c, np.float64)
    for r in range(m):
        for ch in range(c):
            sum_g[ch] += gy2[r, ch]
        if use_x:
            for ch in range(c):
                sum_gx[ch] += gy2[r, ch] * (x2[r, ch] - mean[ch]) * invstd[ch]
    if need_db:
        for ch in range(c):
            dbeta[ch] = sum_g[ch]
    if need_dg:
        for ch in range(c):
            dgamma[ch] = sum_gx[ch]
    if need_dx:
        for r in range(m):
            for ch in range(c):
                gi = gamma[ch] * invstd[ch]
                if training:
                    xhat = (x2[r, ch] - mean[ch]) * invstd[ch]
                    dx2[r, ch] = gi * (gy2[r, ch] - (sum_g[ch] + xhat * sum_gx[ch]) / m)
                else:
                    dx2[r, ch] = gi * gy2[r, ch]


def batchnorm_forward(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    *,
    training: bool,
    momentum: float = 0.1,
    eps: float = 1e-5,
    out: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batch-norm forward pass over the last axis of ``x`` ((N, H, W, C) or (N, C)).

    Parameters
    ----------
    x : ndarray, float32
    gamma, beta, running_mean, running_var : ndarray, float32, (C,)
        ``running_*`` are updated in place when ``training``.
    training : bool
        True: batch statistics (and running-stat update). False: frozen running statistics.
    momentum, eps : float
    out : ndarray, float32, like ``x``, optional

    Returns
    -------
    (y, mean, invstd)
        The output and the per-channel ``mean`` and ``1 / sqrt(var + eps)`` used, for the backward.
    """
    ct.require(x, "x")
    c = x.shape[-1]
    for name, a in (
        ("gamma", gamma),
        ("beta", beta),
        ("running_mean", running_mean),
        ("running_var", running_var),
    ):
        ct.require(a, name, shape=(c,))
    if x.size == 0 or (training and x.size // c < 1):
        raise ct.KernelInputError(f"x: shape {x.shape} has no elements to normalise")
    y = ct.output(out, "out", x.shape)
    x2 = x.reshape(-1, c)
    if training:
        mean = np.empty(c, np.float32)
        invstd = np.empty(c, np.float32)
        _batch_stats(x2, float(momentum), float(eps), running_mean, running_var, mean, invstd)
    else:
        mean = running_mean.copy()
        invstd = (1.0 / np.sqrt(running_var.astype(np.float64) + eps)).astype(np.float32)
    _normalise(x2, gamma, beta, mean, invstd, y.reshape(-1, c))
    return y, mean, invstd


def batchnorm_backward(
    grad_out: np.ndarray,
    x: np.ndarray | None,
    gamma: np.ndarray,
    mean: np.ndarray,
    invstd: np.ndarray,
    *,
    training: bool,
    need_input_grad: bool = True,
    need_gamma_grad: bool = True,
    need_beta_grad: bool = True,
    grad_input: np.ndarray | None = None,
    grad_gamma: np.ndarray | None = None,
    grad_beta: np.ndarray | None = None,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Batch-norm backward pass.

    Parameters
    ----------
    grad_out : ndarray, float32, like the forward ``x``
    x : ndarray, float32, or None
        The forward input; not needed for the beta gradient alone, nor for the input gradient in
        frozen mode.
    gamma, mean, invstd : ndarray, float32, (C,)
        ``mean`` and ``invstd`` as returned by :func:`batchnorm_forward`.
    training : bool
        Must match the forward: in training mode the batch statistics depend on ``x``.
    need_input_grad, need_gamma_grad, need_beta_grad : bool
    grad_input, grad_gamma, grad_beta : ndarray, optional
        Preallocated outputs.

    Returns
    -------
    (grad_input, grad_gamma, grad_beta)
        ndarrays, or None when not asked for.
    """
    ct.require(grad_out, "grad_out")
    c = grad_out.shape[-1]
    for name, a in (("gamma", gamma), ("mean", mean), ("invstd", invstd)):
        ct.require(a, name, shape=(c,))
    needs_x = need_gamma_grad or (need_input_grad and training)
    if needs_x:
        if x is None:
            raise ct.KernelInputError("x: this gradient needs the forward input, got None")
        ct.require(x, "x", shape=grad_out.shape)
    gx = ct.output(grad_input, "grad_input", grad_out.shape) if need_input_grad else None
    gg = ct.output(grad_gamma, "grad_gamma", (c,)) if need_gamma_grad else None
    gb = ct.output(grad_beta, "grad_beta", (c,)) if need_beta_grad else None
    _backward(
        grad_out.reshape(-1, c),
        x.reshape(-1, c) if needs_x else ct.empty(2),
        gamma,
        mean,
        invstd,
        bool(training),
        gx is not None,
        gg is not None,
        gb is not None,
        gx.reshape(-1, c) if gx is not None else ct.empty(2),
        gg if gg is not None else ct.empty(1),
        gb if gb is not None else ct.empty(1),
    )
    return gx, gg, gb
