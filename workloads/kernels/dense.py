"""Fully connected layer ``y = x @ W + b`` with ``x`` (N, F_in), ``W`` (F_in, F_out), ``b`` (F_out,)."""

import numpy as np

from workloads.kernels import contract as ct
from workloads.kernels.gemm import bias_grad, input_grad, linear_forward, weight_grad


def dense_forward(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, *, out: np.ndarray | None = None
) -> np.ndarray:
    """Dense forward pass.

    Parameters
    ----------
    x : ndarray, float32, (N, F_in)
    weight : ndarray, float32, (F_in, F_out)
    bias : ndarray, float32, (F_out,), optional
    out : ndarray, float32, (N, F_out), optional
        Written in place when given.

    Returns
    -------
    ndarray, float32, (N, F_out)
    """
    ct.require(weight, "weight", shape=(None, None))
    fin, fout = weight.shape
    ct.require(x, "x", shape=(None, fin))
    b = ct.empty(1) if bias is None else ct.require(bias, "bias", shape=(fout,))
    y = ct.output(out, "out", (x.shape[0], fout))
    linear_forward(x, weight, b, y)
    return y


def dense_backward(
    grad_out: np.ndarray,
    x: np.ndarray | None,
    weight: np.ndarray,
    *,
    need_input_grad: bool = True,
    need_weight_grad: bool = True,
    need_bias_grad: bool = True,
    trained_out_channels: int | None = None,
    grad_input: np.ndarray | None = None,
    grad_weight: np.ndarray | None = None,
    grad_bias: np.ndarray | None = None,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Dense backward pass.

    Parameters
    ----------
    grad_out : ndarray, float32, (N, F_out)
    x : ndarray, float32, (N, F_in) or None
        The forward input; only needed for the weight gradient.
    weight : ndarray, float32, (F_in, F_out)
    need_input_grad, need_weight_grad, need_bias_grad : bool
        Which gradients to compute; the others are returned as None.
    trained_out_channels : int, optional
        Sparse update: weight gradient for output features ``0..k-1`` only (an allocated gradient is
        zero elsewhere, a provided one untouched). The bias gradient always covers all features.
    grad_input, grad_weight, grad_bias : ndarray, optional
        Preallocated outputs, written in place.

    Returns
    -------
    (grad_input, grad_weight, grad_bias)
        ndarrays shaped like ``x``, ``weight`` and the bias, or None when not asked for.
    """
    ct.require(weight, "weight", shape=(None, None))
    fin, fout = weight.shape
    ct.require(grad_out, "grad_out", shape=(None, fout))
    n = grad_out.shape[0]
    k = ct.channels(trained_out_channels, fout)
    x_checked = ct.empty(2)  # the weight gradient's input; unread without it
    if need_weight_grad:
        if x is None:
            raise ct.KernelInputError("x: the weight gradient needs the forward input, got None")
        x_checked = ct.require(x, "x", shape=(n, fin))
    gx = gw = gb = None
    if need_bias_grad:
        gb = ct.output(grad_bias, "grad_bias", (fout,))
        bias_grad(grad_out, gb)
    if need_weight_grad:
        gw = ct.output(grad_weight, "grad_weight", (fin, fout), zero=grad_weight is None)
        weight_grad(x_checked, grad_out, k, gw)
    if need_input_grad:
        gx = ct.output(grad_input, "grad_input", (n, fin))
        input_grad(grad_out, weight, gx)
    return gx, gw, gb
