"""int8 forward passes of conv2d and dense: int8 in, int32 accumulate, requantise to int8 out.

Scheme in :mod:`workloads.kernels.quant`. The accumulator ``sum (x_q - x_zp) * W_q + b_q`` is
formed by a float GEMM whose every product and partial sum is an exact integer, so it equals the int32
accumulation bit for bit: float32 while ``K * 255 * 127 < 2**24`` (a reduction over up to 518 inputs),
float64 (exact below 2**53) beyond; the wrapper refuses reductions long enough to overflow int32. The
GEMM runs over row blocks of the column matrix sized as in :mod:`workloads.kernels.conv`, each block
requantised as soon as it is multiplied.
Requantisation multiplies by ``x_scale * w_scale[c] / y_scale`` in float64 and rounds half to even,
which can differ from TFLite's fixed-point multiplier by one level. The backward is the fp32 one,
fed with dequantised weights and activations.
"""

from collections.abc import Sequence

import numpy as np
from numba import uint64 as U

from workloads.kernels import contract as ct
from workloads.kernels.conv import _block_rows, conv2d_output_shape
from workloads.kernels.jit import kernel
from workloads.kernels.patches import patch_rows
from workloads.kernels.quant import (
    INT8,
    _dequantize_activation,
    _quantize_activation,
    _quantize_bias,
    _requant_multiplier,
    check_qparams,
)
from workloads.kernels.wide import tile, wide_width


@kernel
def _gemm_requantize(xc, w3, bq, mult, zp, lo, hi, kh, kw, sh, sw, pt, pl, oh, ow, y2):
    """Blocks of the column matrix of ``xc`` (``x_q - x_zero_point`` as floats) times each group's
    weights ``w3[g]``, requantised into ``y2`` block by block (no whole-batch column matrix)."""
    groups, kk, cog = w3.shape
    rows, cg = y2.shape[0], kk // (kh * kw)
    step = _block_rows(kk, cog)
    col = np.empty((step, kk), xc.dtype)
    part = np.empty((step, cog), xc.dtype)
    yg = np.empty((step if groups > 1 else 0, cog), np.int8)
    for r0 in range(0, rows, step):
        r1 = min(rows, r0 + step)
        block, part_b = col[: r1 - r0], part[: r1 - r0]
        for g in range(groups):
            o0 = g * cog
            patch_rows(xc, kh, kw, sh, sw, pt, pl, oh, ow, r0, r1, g * cg, cg, block)
            np.dot(block, w3[g], part_b)
            if groups == 1:
                _requantize(part_b, bq, mult, zp, lo, hi, y2[r0:r1])
            else:
                _requantize(part_b, bq[o0 : o0 + cog], mult[o0 : o0 + cog], zp, lo, hi, yg[: r1 - r0])
                y2[r0:r1, o0 : o0 + cog] = yg[: r1 - r0]


def exact_workspace(x_shape, weight_shape, groups) -> tuple[np.ndarray, np.ndarray]:
    """The float buffers :func:`_conv_int8` works in: ``x_q - x_zero_point`` and the weights per group.

    float32 while ``K * 255 * 127 < 2**24`` (every partial sum of the integer products is then exact in
    float32), float64 beyond; zero-size for a depthwise layer, which accumulates in int32. The kernel
    specialises on their dtype, so only the precisions a model uses are compiled.
    """
    kh, kw, cg, cout = weight_shape
    if groups == x_shape[3] == cout and cg == 1:
        return np.zeros((0, 0, 0, 0), np.float32), np.zeros((0, 0, 0), np.float32)
    exact = np.float32 if kh * kw * cg * 255 * 127 < 2**24 else np.float64
    return np.empty(x_shape, exact), np.empty((groups, kh * kw * cg, cout // groups), exact)


@kernel
def _conv_int8(x_q, weight_q, bq, x_zero_point, mult, y_zero_point, lo, hi, sh, sw, pt, pl, xc, w3, y):
    """The int8 layer proper: ``sum (x_q - x_zp) * W_q + b_q`` requantised into ``y`` (int8, NHWC);
    ``xc`` and ``w3`` from :func:`exact_workspace` (empty: depthwise)."""
    kh, kw, cg, cout = weight_q.shape
    y2 = y.reshape(-1, cout)
    zp = np.float64(y_zero_point)
    if xc.size == 0:
        acc = np.empty(y.shape, np.int32)
        _depthwise_acc(x_q, np.int32(x_zero_point), weight_q, sh, sw, pt, pl, acc)
        _requantize(acc.reshape(-1, cout), bq, mult, zp, lo, hi, y2)
        return
    groups, kk, cog = w3.shape
    w2 = weight_q.reshape(kk, cout)
    for g in range(groups):
        w3[g] = w2[:, g * cog : (g + 1) * cog]
    x1, xc1 = x_q.reshape(-1), xc.reshape(-1)
    for i in range(x1.shape[0]):
        xc1[i] = x1[i] - x_zero_point
    _gemm_requantize(xc, w3, bq, mult, zp, lo, hi, kh, kw, sh, sw, pt, pl, y.shape[1], y.shape[2], y2)


@kernel
def _quantized_layer(
    x,
    weight_q,
    bias,
    x_scale,
    x_zero_point,
    w_scale,
    y_scale,
    y_zero_point,
    geometry,
    xq,
    x_deq,
    xc,
    w3,
    yq,
    y,
):
    """A float network's int8 layer in one call: quantise ``x`` into ``xq`` (and its dequantised value into
    ``x_deq``, what the backward reads), quantise the bias, run :func:`_conv_int8`, dequantise into ``y``.
    ``geometry`` is ``(sh, sw, pt, pl)``, ``xc`` and ``w3`` from :func:`exact_workspace`; an empty
    ``bias`` is none. The kernels of the public :mod:`workloads.kernels.quant` functions, in one call."""
    x1, xq1 = x.reshape(-1), xq.reshape(-1)
    _quantize_activation(x1, 1.0 / x_scale, np.float64(x_zero_point), xq1)
    _dequantize_activation(xq1, x_scale, x_zero_point, x_deq.reshape(-1))
    bq = np.empty(weight_q.shape[3], np.int32)
    _quantize_bias(bias, x_scale, w_scale, bq)
    mult = _requant_multiplier(x_scale, w_scale, y_scale)
    sh, sw, pt, pl = geometry
    _conv_int8(xq, weight_q, bq, x_zero_point, mult, y_zero_point, -128.0, 127.0, sh, sw, pt, pl, xc, w3, yq)
    _dequantize_activation(yq.reshape(-1), y_scale, y_zero_point, y.reshape(-1))


@kernel
def _depthwise_acc(xq, zp, wq, sh, sw, pt, pl, acc):
    n, h, wd, c = xq.shape
    kh, kw = wq.shape[0], wq.shape[1]
    oh, ow = acc.shape[1], acc.shape[2]
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    acc[b, i, j, ch] = 0
                for p in range(kh):
                    ih = i * sh - pt + p
                    if ih < 0 or ih >= h:
                        continue
                    for q in range(kw):
                        iw = j * sw - pl + q
                        if iw < 0 or iw >= wd:
                            continue
                        for ch in range(c):
                            acc[b, i, j, ch] += (np.int32(xq[b, ih, iw, ch]) - zp) * np.int32(wq[p, q, 0, ch])


@kernel
def _requantize(acc2, bq, mult, zp, lo, hi, y2):
    """``y2 = clip(rint((acc2 + bq) * mult) + zp, lo, hi)`` per channel, over wide rows; ``acc2`` holds
    integers (int32, or floats that are exact integers), ``bq`` the int32 bias."""
    m, c = acc2.shape
    width, n = wide_width(c), m * c
    bq_wide, mult_wide = tile(bq, width), tile(mult, width)
    acc1, y1 = acc2.reshape(-1), y2.reshape(-1)
    for s0 in range(0, n, width):
        start = U(s0)
        for t in range(U(min(width, n - s0))):
            v = np.rint((np.int32(acc1[start + t]) + bq_wide[t]) * mult_wide[t]) + zp
            y1[start + t] = np.int8(min(max(v, lo), hi))


@kernel
def _relu_int8(xq1, lo, yq1):
    for i in range(xq1.shape[0]):
        yq1[i] = max(xq1[i], lo)


def _clamp(activation, y_scale, y_zp):
    if activation == "none":
        return -128.0, 127.0
    if activation == "relu":
        return float(y_zp), 127.0
    if activation == "relu6":
        return float(y_zp), float(min(127, y_zp + int(np.rint(6.0 / y_scale))))
    raise ct.KernelInputError(
        f"activation: {activation!r} is not allowed, expected 'none', 'relu' or 'relu6'"
    )


def conv2d_int8_forward(
    x_q: np.ndarray,
    weight_q: np.ndarray,
    bias_q: np.ndarray | None,
    *,
    x_scale: float,
    x_zero_point: int,
    w_scale: np.ndarray,
    y_scale: float,
    y_zero_point: int,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] = 0,
    groups: int = 1,
    activation: str = "none",
    out: np.ndarray | None = None,
) -> np.ndarray:
    """int8 convolution with int32 accumulation and per-channel requantisation.

    Parameters
    ----------
    x_q : ndarray, int8, (N, H, W, C_in)
        Per-tensor asymmetric (``x_scale``, ``x_zero_point``); padding is the zero point (real 0).
    weight_q : ndarray, int8, (KH, KW, C_in // groups, C_out)
        Per-output-channel symmetric with float32 ``w_scale`` (C_out,).
    bias_q : ndarray, int32, (C_out,), or None
        From :func:`workloads.kernels.quant.quantize_bias`.
    y_scale, y_zero_point
        Output quantisation.
    stride, padding, groups
        As in :func:`workloads.kernels.conv.conv2d_forward`.
    activation : {"none", "relu", "relu6"}
        Fused clamp in the requantisation.
    out : ndarray, int8, optional

    Returns
    -------
    ndarray, int8, (N, OH, OW, C_out)
    """
    ct.require(x_q, "x_q", INT8, (None, None, None, None))
    ct.require(weight_q, "weight_q", INT8, (None, None, None, None))
    check_qparams(x_scale, x_zero_point, "x")
    check_qparams(y_scale, y_zero_point, "y")
    n, h, w, cin = x_q.shape
    kh, kw, cg, cout = weight_q.shape
    if groups < 1 or cin % groups or cout % groups or cin // groups != cg:
        raise ct.KernelInputError(
            f"groups: {groups} does not fit C_in={cin}, C_out={cout}, weight C_in/groups={cg}"
        )
    if kh * kw * cg * 255 * 127 >= 2**31:
        raise ct.KernelInputError(f"weight_q: a reduction over {kh * kw * cg} inputs could overflow int32")
    ct.require(w_scale, "w_scale", shape=(cout,))
    bq = np.zeros(cout, np.int32) if bias_q is None else ct.require(bias_q, "bias_q", np.int32, (cout,))
    yshape = conv2d_output_shape(x_q.shape, weight_q.shape, stride, padding)
    sh, sw = ct.pair(stride, "stride")
    pt, _, pl, _ = ct.pads(padding)
    y = ct.output(out, "out", yshape, INT8)
    mult = _requant_multiplier(float(x_scale), w_scale, float(y_scale))
    lo, hi = _clamp(activation, y_scale, y_zero_point)
    xc, w3 = exact_workspace(x_q.shape, weight_q.shape, groups)
    _conv_int8(
        x_q, weight_q, bq, int(x_zero_point), mult, int(y_zero_point), lo, hi, sh, sw, pt, pl, xc, w3, y
    )
    return y


def dense_int8_forward(
    x_q: np.ndarray,
    weight_q: np.ndarray,
    bias_q: np.ndarray | None,
    *,
    x_scale: float,
    x_zero_point: int,
    w_scale: np.ndarray,
    y_scale: float,
    y_zero_point: int,
    activation: str = "none",
    out: np.ndarray | None = None,
) -> np.ndarray:
    """int8 dense layer, ``x_q`` (N, F_in) int8, ``weight_q`` (F_in, F_out) int8; see conv2d_int8_forward."""
    ct.require(x_q, "x_q", INT8, (None, None))
    ct.require(weight_q, "weight_q", INT8, (None, None))
    n, fin = x_q.shape
    if weight_q.shape[0] != fin:
        raise ct.KernelInputError(f"weight_q: shape {weight_q.shape} does not fit x_q {x_q.shape}")
    fout = weight_q.shape[1]
    y = ct.output(out, "out", (n, fout), INT8)
    conv2d_int8_forward(
        x_q.reshape(n, 1, 1, fin),
        weight_q.reshape(1, 1, fin, fout),
        bias_q,
        x_scale=x_scale,
        x_zero_point=x_zero_point,
        w_scale=w_scale,
        y_scale=y_scale,
        y_zero_point=y_zero_point,
        activation=activation,
        out=y.reshape(n, 1, 1, fout),
    )
    return y


def relu_int8(x_q: np.ndarray, zero_point: int, *, out: np.ndarray | None = None) -> np.ndarray:
    """ReLU in the quantised domain: ``max(x_q, zero_point)`` (the zero point is real 0)."""
    ct.require(x_q, "x_q", INT8)
    check_qparams(1.0, zero_point, "x_q")
    y = ct.output(out, "out", x_q.shape, INT8)
    _relu_int8(x_q.reshape(-1), np.int8(zero_point), y.reshape(-1))
    return y
