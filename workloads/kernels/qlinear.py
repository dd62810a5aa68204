"""int8 forward passes of conv2d and dense: int8 in, int32 accumulate, requantise to int8 out.

Scheme in :mod:`workloads.kernels.quant`. The accumulator ``sum (x_q - x_zp) * W_q + b_q`` is
formed by a float64 GEMM: every product and partial sum is an integer below 2**53, so it equals
the int32 accumulation bit for bit (the wrapper refuses reductions long enough to overflow int32).
Requantisation multiplies by ``x_scale * w_scale[c] / y_scale`` in float64 and rounds half to even,
which can differ from TFLite's fixed-point multiplier by one level. The backward is the fp32 one,
fed with dequantised weights and activations.
"""

from collections.abc import Sequence

import numpy as np

from workloads.kernels import contract as ct
from workloads.kernels.conv import conv2d_output_shape
from workloads.kernels.jit import kernel
from workloads.kernels.patches import im2col
from workloads.kernels.quant import INT8, check_qparams


@kernel
def _gemm_acc(xc, wq, bq, sh, sw, pt, pl, oh, ow, groups, col, acc2):
    kh, kw, cg, cout = wq.shape
    cog = cout // groups
    w2 = wq.reshape(kh * kw * cg, cout).astype(np.float64)
    for g in range(groups):
        im2col(xc, kh, kw, sh, sw, pt, pl, oh, ow, g * cg, cg, col)
        part = np.dot(col, np.ascontiguousarray(w2[:, g * cog : (g + 1) * cog]))
        for r in range(acc2.shape[0]):
            for o in range(cog):
                acc2[r, g * cog + o] = np.int32(part[r, o]) + bq[g * cog + o]


@kernel
def _depthwise_acc(xq, zp, wq, bq, sh, sw, pt, pl, acc):
    n, h, wd, c = xq.shape
    kh, kw = wq.shape[0], wq.shape[1]
    oh, ow = acc.shape[1], acc.shape[2]
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    acc[b, i, j, ch] = bq[ch]
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
def _requantize(acc2, mult, zp, lo, hi, y2):
    for r in range(acc2.shape[0]):
        for c in range(acc2.shape[1]):
            v = np.rint(acc2[r, c] * mult[c]) + zp
            y2[r, c] = np.int8(min(max(v, lo), hi))


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
    acc = np.empty(yshape, np.int32)
    if groups == cin == cout and cg == 1:
        _depthwise_acc(x_q, np.int32(x_zero_point), weight_q, bq, sh, sw, pt, pl, acc)
    else:
        xc = x_q.astype(np.float64) - x_zero_point
        col = np.empty((n * yshape[1] * yshape[2], kh * kw * cg), np.float64)
        _gemm_acc(xc, weight_q, bq, sh, sw, pt, pl, yshape[1], yshape[2], groups, col, acc.reshape(-1, cout))
    mult = float(x_scale) * w_scale.astype(np.float64) / float(y_scale)
    lo, hi = _clamp(activation, y_scale, y_zero_point)
    _requantize(acc.reshape(-1, cout), mult, float(y_zero_point), lo, hi, y.reshape(-1, cout))
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
