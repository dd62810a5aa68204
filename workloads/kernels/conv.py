"""2-D convolution, NHWC activations and HWIO weights: forward and backward.

Three paths, chosen by the public wrappers:

- pointwise (1x1, stride 1, no padding, groups 1): a direct GEMM on the (N*H*W, C) view;
- depthwise (groups == C_in == C_out): direct loops (:mod:`workloads.kernels.depthwise`);
- everything else: im2col into a workspace, one GEMM per group, col2im for the input gradient.

Sparse update: ``trained_out_channels=k`` computes the weight gradient of the first ``k`` output
channels only; the bias gradient always covers every channel (it costs one sum over ``grad_out``).
"""

from collections.abc import Sequence

import numpy as np

from workloads.kernels import contract as ct
from workloads.kernels.depthwise import _depthwise_backward, _depthwise_forward
from workloads.kernels.gemm import add_bias, bias_grad, input_grad, linear_forward, weight_grad
from workloads.kernels.jit import kernel
from workloads.kernels.patches import im2col, patch_rows, scatter_rows

BLOCK_ELEMENTS = 262144
"""Most float32 elements in one row block of the column matrix (1 MiB): the block stays in the L2 cache
between im2col and its GEMMs, where a whole-batch column matrix (tens of MB) streams through memory."""

SMALL_GEMM_MACS = 1_000_000
"""OpenBLAS (SciPy's BLAS) runs a GEMM of at most this many multiply-adds through its small-matrix kernels
on AVX-512 cores, which skip the packing of the operands (``kernel/x86_64/
sgemm_small_kernel_permit_skylakex.c``: ``M*N*K <= 100^3``, and never with a transposed first operand in
BLAS's column-major terms: the input-gradient GEMM therefore multiplies by a transposed copy of the
weights, made once per call, rather than by a transposed view)."""


@kernel
def _block_rows(kk, cout):
    """Rows of one block of a ``kk``-wide column matrix with ``cout`` output channels: as many as keep
    each GEMM of the block (forward, weight gradient, input gradient) within :data:`SMALL_GEMM_MACS`, at
    least 16, at most :data:`BLOCK_ELEMENTS`.

    Measured at batch 16 with one BLAS thread, forward / backward ms of 1 MiB blocks vs these blocks
    (mlperf-resnet8 layers): 16 -> 16 channels at 32x32 1.45 / 3.37 vs 1.17 / 2.48; 32 -> 32 at 16x16
    0.89 / 1.91 vs 0.75 / 1.49; 64 -> 64 at 8x8 0.75 / 1.55 vs 0.64 / 1.42.
    """
    return max(min(SMALL_GEMM_MACS // (kk * cout), BLOCK_ELEMENTS // kk), 16)


@kernel
def _forward_blocked(x, w2, kh, kw, sh, sw, pt, pl, oh, ow, col, y2):
    rows, kk = y2.shape[0], w2.shape[0]
    step = _block_rows(kk, w2.shape[1])
    for r0 in range(0, rows, step):
        r1 = min(rows, r0 + step)
        block = col[: r1 - r0]
        patch_rows(x, kh, kw, sh, sw, pt, pl, oh, ow, r0, r1, 0, x.shape[3], block)
        np.dot(block, w2, y2[r0:r1])


@kernel
def _backward_blocked(gy2, x, w2, kh, kw, sh, sw, pt, pl, oh, ow, need_dx, need_dw, k, col, dx, dw2):
    rows, kk = gy2.shape[0], w2.shape[0]
    step = _block_rows(kk, w2.shape[1])
    if need_dx:
        dx[:] = 0.0
        w2t = np.ascontiguousarray(w2.T)
    else:
        w2t = np.zeros((0, 0), np.float32)
    if need_dw:
        acc = np.zeros((kk, k), np.float32)
    else:
        acc = np.zeros((0, 0), np.float32)
    for r0 in range(0, rows, step):
        r1 = min(rows, r0 + step)
        block = col[: r1 - r0]
        gyb = gy2[r0:r1]
        if need_dw:
            patch_rows(x, kh, kw, sh, sw, pt, pl, oh, ow, r0, r1, 0, x.shape[3], block)
            part = np.ascontiguousarray(gyb[:, :k]) if k < gyb.shape[1] else gyb
            acc += np.dot(block.T, part)
        if need_dx:
            np.dot(gyb, w2t, block)
            scatter_rows(block, kh, kw, sh, sw, pt, pl, oh, ow, r0, r1, 0, dx.shape[3], dx)
    if need_dw:
        dw2[:, :k] = acc


@kernel
def _forward_im2col(x, w, bias, sh, sw, pt, pl, oh, ow, groups, col, y2):
    kh, kw, cg, cout = w.shape
    cog = cout // groups
    w2 = w.reshape(kh * kw * cg, cout)
    if groups == 1:
        _forward_blocked(x, w2, kh, kw, sh, sw, pt, pl, oh, ow, col, y2)
        add_bias(y2, bias)
        return
    for g in range(groups):
        im2col(x, kh, kw, sh, sw, pt, pl, oh, ow, g * cg, cg, col)
        if groups == 1:
            np.dot(col, w2, y2)
        else:
            y2[:, g * cog : (g + 1) * cog] = np.dot(col, np.ascontiguousarray(w2[:, g * cog : (g + 1) * cog]))
    add_bias(y2, bias)


@kernel
def _backward_im2col(gy2, x, w, sh, sw, pt, pl, oh, ow, groups, need_dx, need_dw, k, col, dx, dw):
    kh, kw, cg, cout = w.shape
    cog = cout // groups
    kk = kh * kw * cg
    w2 = w.reshape(kk, cout)
    if groups == 1:
        dw2 = dw.reshape(kk, cout) if need_dw else dw.reshape(0, 0)
        _backward_blocked(gy2, x, w2, kh, kw, sh, sw, pt, pl, oh, ow, need_dx, need_dw, k, col, dx, dw2)
        return
    if need_dx:
        dx[:] = 0.0
    for g in range(groups):
        o0 = g * cog
        gyg = gy2 if groups == 1 else np.ascontiguousarray(gy2[:, o0 : o0 + cog])
        kg = min(max(k - o0, 0), cog)
        if need_dw and kg > 0:
            dw2 = dw.reshape(kk, cout)
            im2col(x, kh, kw, sh, sw, pt, pl, oh, ow, g * cg, cg, col)
            if groups == 1:
                weight_grad(col, gyg, kg, dw2)
            else:
                dw2[:, o0 : o0 + kg] = np.dot(col.T, np.ascontiguousarray(gyg[:, :kg]))
        if need_dx:
            wg = w2 if groups == 1 else np.ascontiguousarray(w2[:, o0 : o0 + cog])
            input_grad(gyg, wg, col)
            scatter_rows(col, kh, kw, sh, sw, pt, pl, oh, ow, 0, col.shape[0], g * cg, cg, dx)


def conv2d_output_shape(
    input_shape: Sequence[int],
    weight_shape: Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
) -> tuple[int, int, int, int]:
    """Output shape ``(N, OH, OW, C_out)`` of a convolution (no dilation)."""
    n, h, w, _ = input_shape
    kh, kw, _, cout = weight_shape
    sh, sw = ct.pair(stride, "stride")
    pt, pb, pl, pr = ct.pads(padding)
    return (
        n,
        ct.window_output(h, kh, sh, pt, pb, "conv2d height"),
        ct.window_output(w, kw, sw, pl, pr, "conv2d width"),
        cout,
    )


def conv2d_workspace_size(
    input_shape: Sequence[int],
    weight_shape: Sequence[int],
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
) -> int:
    """Number of float32 elements the im2col workspace of this convolution needs (0 if none)."""
    n, oh, ow, _ = conv2d_output_shape(input_shape, weight_shape, stride, padding)
    kh, kw, cg, _ = weight_shape
    return n * oh * ow * kh * kw * cg


def _geometry(x_shape, weight, stride, padding, groups):
    ct.require(weight, "weight", shape=(None, None, None, None))
    n, h, w, cin = x_shape
    kh, kw, cg, cout = weight.shape
    if groups < 1 or cin % groups or cout % groups or cin // groups != cg:
        raise ct.KernelInputError(
            f"groups: {groups} does not fit C_in={cin}, C_out={cout}, weight C_in/groups={cg}"
        )
    sh, sw = ct.pair(stride, "stride")
    pt, pb, pl, pr = ct.pads(padding)
    oh = ct.window_output(h, kh, sh, pt, pb, "conv2d height")
    ow = ct.window_output(w, kw, sw, pl, pr, "conv2d width")
    if groups == cin == cout and cg == 1:
        path = "depthwise"
    elif kh == kw == 1 and sh == sw == 1 and pt == pb == pl == pr == 0 and groups == 1:
        path = "pointwise"
    else:
        path = "im2col"
    return path, (n, oh, ow, cout), (sh, sw, pt, pl)


def _workspace(workspace, rows, cols):
    if workspace is None:
        return np.empty((rows, cols), np.float32)
    ct.require(workspace, "workspace", shape=(None,))
    if workspace.size < rows * cols:
        raise ct.KernelInputError(f"workspace: {workspace.size} elements, the im2col needs {rows * cols}")
    return workspace[: rows * cols].reshape(rows, cols)


def conv2d_forward(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    *,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    groups: int = 1,
    out: np.ndarray | None = None,
    workspace: np.ndarray | None = None,
) -> np.ndarray:
    """Convolution forward pass.

    Parameters
    ----------
    x : ndarray, float32, (N, H, W, C_in)
    weight : ndarray, float32, (KH, KW, C_in // groups, C_out)
    bias : ndarray, float32, (C_out,), optional
    stride : int or (sh, sw)
    padding : int or (top, bottom, left, right)
    groups : int
        1 (standard), ``C_in`` with ``C_out == C_in`` (depthwise) or any common divisor.
    out : ndarray, float32, (N, OH, OW, C_out), optional
        Written in place when given.
    workspace : ndarray, float32, 1-D, optional
        im2col buffer of at least :func:`conv2d_workspace_size` elements, reused across calls.

    Returns
    -------
    ndarray, float32, (N, OH, OW, C_out)
    """
    ct.require(x, "x", shape=(None, None, None, None))
    path, yshape, (sh, sw, pt, pl) = _geometry(x.shape, weight, stride, padding, groups)
    b = ct.empty(1) if bias is None else ct.require(bias, "bias", shape=(yshape[3],))
    y = ct.output(out, "out", yshape)
    n, oh, ow, cout = yshape
    if path == "depthwise":
        _depthwise_forward(x, weight, b, sh, sw, pt, pl, y)
    elif path == "pointwise":
        linear_forward(x.reshape(-1, x.shape[3]), weight.reshape(-1, cout), b, y.reshape(-1, cout))
    else:
        kh, kw, cg, _ = weight.shape
        col = _workspace(workspace, n * oh * ow, kh * kw * cg)
        _forward_im2col(x, weight, b, sh, sw, pt, pl, oh, ow, groups, col, y.reshape(-1, cout))
    return y


def conv2d_backward(
    grad_out: np.ndarray,
    x: np.ndarray | None,
    weight: np.ndarray,
    *,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    groups: int = 1,
    need_input_grad: bool = True,
    need_weight_grad: bool = True,
    need_bias_grad: bool = True,
    trained_out_channels: int | None = None,
    input_shape: Sequence[int] | None = None,
    grad_input: np.ndarray | None = None,
    grad_weight: np.ndarray | None = None,
    grad_bias: np.ndarray | None = None,
    workspace: np.ndarray | None = None,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Convolution backward pass: gradients of the input, the weight and the bias.

    Parameters
    ----------
    grad_out : ndarray, float32, (N, OH, OW, C_out)
    x : ndarray, float32, (N, H, W, C_in) or None
        The forward input; only needed for the weight gradient. When None, ``input_shape`` gives
        the input shape for the input gradient.
    weight : ndarray, float32, (KH, KW, C_in // groups, C_out)
    stride, padding, groups
        As in :func:`conv2d_forward`.
    need_input_grad, need_weight_grad, need_bias_grad : bool
        Which gradients to compute; the others are returned as None.
    trained_out_channels : int, optional
        Sparse update: the weight gradient covers output channels ``0..k-1`` only. A weight
        gradient allocated here is zero elsewhere; a caller-provided one is left untouched there.
    input_shape : (N, H, W, C_in), optional
        Needed only when ``x`` is None and the input gradient is asked for.
    grad_input, grad_weight, grad_bias : ndarray, optional
        Preallocated outputs, written in place.
    workspace : ndarray, float32, 1-D, optional
        As in :func:`conv2d_forward`.

    Returns
    -------
    (grad_input, grad_weight, grad_bias)
        Each an ndarray shaped like the input, weight and bias, or None when not asked for.
    """
    xshape: tuple[int, ...] | None
    if x is not None:
        ct.require(x, "x", shape=(None, None, None, None))
        xshape = x.shape
    elif need_weight_grad:
        raise ct.KernelInputError("x: the weight gradient needs the forward input, got None")
    elif input_shape is None and need_input_grad:
        raise ct.KernelInputError("input_shape: needed for the input gradient when x is None")
    else:
        xshape = tuple(input_shape) if input_shape is not None else None
    if xshape is None:  # bias-only: the bias gradient is a function of grad_out alone
        ct.require(grad_out, "grad_out", shape=(None, None, None, weight.shape[3]))
        gb = ct.output(grad_bias, "grad_bias", (weight.shape[3],)) if need_bias_grad else None
        if gb is not None:
            bias_grad(grad_out.reshape(-1, weight.shape[3]), gb)
        return None, None, gb
    path, yshape, (sh, sw, pt, pl) = _geometry(xshape, weight, stride, padding, groups)
    ct.require(grad_out, "grad_out", shape=yshape)
    n, oh, ow, cout = yshape
    k = ct.channels(trained_out_channels, cout)
    gx = ct.output(grad_input, "grad_input", xshape) if need_input_grad else None
    gw = (
        ct.output(grad_weight, "grad_weight", weight.shape, zero=grad_weight is None)
        if need_weight_grad
        else None
    )
    gb = ct.output(grad_bias, "grad_bias", (cout,)) if need_bias_grad else None
    gy2 = grad_out.reshape(-1, cout)
    if gb is not None:
        bias_grad(gy2, gb)
    if gx is None and gw is None:
        return gx, gw, gb
    xk = x if x is not None else ct.empty(4)
    dx = gx if gx is not None else ct.empty(4)
    dw = gw if gw is not None else ct.empty(4)
    if path == "depthwise":
        _depthwise_backward(grad_out, xk, weight, sh, sw, pt, pl, gx is not None, gw is not None, k, dx, dw)
    elif path == "pointwise":
        if gw is not None:
            weight_grad(xk.reshape(-1, xshape[3]), gy2, k, dw.reshape(-1, cout))
        if gx is not None:
            input_grad(gy2, weight.reshape(-1, cout), dx.reshape(-1, xshape[3]))
    else:
        kh, kw, cg, _ = weight.shape
        col = _workspace(workspace, n * oh * ow, kh * kw * cg)
        _backward_im2col(
            gy2, xk, weight, sh, sw, pt, pl, oh, ow, groups, gx is not None, gw is not None, k, col, dx, dw
        )
    return gx, gw, gb
