"""int8 quantisation helpers and quantisation-aware scaling (QAS) for int8-stored weights.

The scheme (TFLite-style):

- weights: per-output-channel (last axis) symmetric int8 in [-127, 127], ``W = scale[c] * W_q``;
- activations: per-tensor asymmetric int8 in [-128, 127], ``x = scale * (x_q - zero_point)``;
- bias: int32 with scale ``x_scale * w_scale[c]`` and zero point 0, added to the int32 accumulator.

QAS (Lin et al. 2022, "On-Device Training Under 256KB Memory"): with ``W = s * W_q`` the gradient
of the int8 tensor is ``G_Wq = s * G_W``, so an SGD step on ``W_q`` would move ``W`` by
``s**2 * lr * G_W``. Scaling ``G_Wq`` by ``s**-2`` restores the fp32 step ``lr * G_W``.
"""

import numpy as np

from workloads.kernels import contract as ct
from workloads.kernels.jit import kernel

INT8 = np.dtype(np.int8)


@kernel
def _quantize_weight(w2, wq2, scale):
    rows, cout = w2.shape
    for c in range(cout):
        m = 0.0
        for r in range(rows):
            m = max(m, abs(w2[r, c]))
        scale[c] = m / 127.0 if m > 0.0 else 1.0
    for r in range(rows):
        for c in range(cout):
            wq2[r, c] = np.int8(min(max(np.rint(w2[r, c] / scale[c]), -127.0), 127.0))


@kernel
def _dequantize_weight(wq2, scale, w2):
    for r in range(wq2.shape[0]):
        for c in range(wq2.shape[1]):
            w2[r, c] = wq2[r, c] * scale[c]


@kernel
def _quantize_activation(x1, inv_scale, zp, xq1):
    for i in range(x1.shape[0]):
        xq1[i] = np.int8(min(max(np.rint(x1[i] * inv_scale) + zp, -128.0), 127.0))


@kernel
def _dequantize_activation(xq1, scale, zp, x1):
    for i in range(xq1.shape[0]):
        x1[i] = scale * (np.int32(xq1[i]) - zp)


@kernel
def _quantize_bias(bias, x_scale, w_scale, bq):
    """``bq[c] = round(bias[c] / (x_scale * w_scale[c]))`` in float64, clipped to int32; an empty
    ``bias`` leaves ``bq`` zero."""
    bq[:] = 0
    for c in range(bias.shape[0]):
        v = np.rint(np.float64(bias[c]) / (x_scale * np.float64(w_scale[c])))
        bq[c] = np.int32(min(max(v, -(2.0**31)), 2.0**31 - 1))


@kernel
def _requant_multiplier(x_scale, w_scale, y_scale):
    """Per output channel, ``x_scale * w_scale[c] / y_scale`` in float64: accumulator -> output levels."""
    mult = np.empty(w_scale.shape[0], np.float64)
    for c in range(w_scale.shape[0]):
        mult[c] = x_scale * np.float64(w_scale[c]) / y_scale
    return mult


@kernel
def _int8_sgd(wq2, scale, g2, lr, qas, k):
    for r in range(wq2.shape[0]):
        for c in range(k):
            step = lr * g2[r, c] / (scale[c] * scale[c]) if qas else lr * g2[r, c]
            wq2[r, c] = np.int8(min(max(np.rint(wq2[r, c] - step), -127.0), 127.0))


def _weight_views(wq, scale):
    ct.require(wq, "weight_q", INT8)
    if wq.ndim == 0:
        raise ct.KernelInputError("weight_q: expected at least one axis")
    ct.require(scale, "w_scale", shape=(wq.shape[-1],))
    return wq.reshape(-1, wq.shape[-1])


def quantize_weight(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-output-channel symmetric int8 quantisation.

    Returns
    -------
    (weight_q, w_scale)
        int8 array like ``weight`` with values in [-127, 127], and the float32 scale per output
        channel (last axis), ``max|W[..., c]| / 127`` (1.0 for an all-zero channel).
    """
    ct.require(weight, "weight")
    if weight.ndim == 0:
        raise ct.KernelInputError("weight: expected at least one axis")
    wq = np.empty(weight.shape, INT8)
    scale = np.empty(weight.shape[-1], np.float32)
    _quantize_weight(weight.reshape(-1, weight.shape[-1]), wq.reshape(-1, weight.shape[-1]), scale)
    return wq, scale


def dequantize_weight(
    weight_q: np.ndarray, w_scale: np.ndarray, *, out: np.ndarray | None = None
) -> np.ndarray:
    """``W = w_scale[c] * W_q`` as float32."""
    wq2 = _weight_views(weight_q, w_scale)
    w = ct.output(out, "out", weight_q.shape)
    _dequantize_weight(wq2, w_scale, w.reshape(wq2.shape))
    return w


def activation_qparams(x_min: float, x_max: float) -> tuple[float, int]:
    """Per-tensor asymmetric int8 ``(scale, zero_point)`` covering ``[min(x_min, 0), max(x_max, 0)]``.

    The range always contains 0 so that zero padding is exactly representable.
    """
    lo, hi = min(float(x_min), 0.0), max(float(x_max), 0.0)
    if not np.isfinite(lo) or not np.isfinite(hi):
        raise ct.KernelInputError(f"x_min, x_max: ({x_min}, {x_max}) must be finite")
    scale = (hi - lo) / 255.0 if hi > lo else 1.0
    zero_point = int(np.clip(np.rint(-128.0 - lo / scale), -128, 127))
    return scale, zero_point


def check_qparams(scale: float, zero_point: int, name: str) -> None:
    if (
        not (np.isfinite(scale) and scale > 0)
        or int(zero_point) != zero_point
        or not -128 <= zero_point <= 127
    ):
        raise ct.KernelInputError(
            f"{name}: scale {scale} must be > 0 and zero point {zero_point} in -128..127"
        )


def quantize_activation(
    x: np.ndarray, scale: float, zero_point: int, *, out: np.ndarray | None = None
) -> np.ndarray:
    """``x_q = clip(round(x / scale) + zero_point, -128, 127)`` as int8 (round half to even)."""
    ct.require(x, "x")
    check_qparams(scale, zero_point, "x")
    xq = ct.output(out, "out", x.shape, INT8)
    _quantize_activation(x.reshape(-1), 1.0 / float(scale), float(zero_point), xq.reshape(-1))
    return xq


def dequantize_activation(
    x_q: np.ndarray, scale: float, zero_point: int, *, out: np.ndarray | None = None
) -> np.ndarray:
    """``x = scale * (x_q - zero_point)`` as float32."""
    ct.require(x_q, "x_q", INT8)
    check_qparams(scale, zero_point, "x_q")
    x = ct.output(out, "out", x_q.shape)
    _dequantize_activation(x_q.reshape(-1), float(scale), int(zero_point), x.reshape(-1))
    return x


def quantize_bias(bias: np.ndarray, x_scale: float, w_scale: np.ndarray) -> np.ndarray:
    """int32 bias ``round(b[c] / (x_scale * w_scale[c]))``, ready to add to the accumulator."""
    ct.require(bias, "bias", shape=(None,))
    ct.require(w_scale, "w_scale", shape=bias.shape)
    bq = np.empty(bias.shape, np.int32)
    _quantize_bias(bias, float(x_scale), w_scale, bq)
    return bq


def qas_scale_gradient(
    grad_weight_q: np.ndarray, w_scale: np.ndarray, *, out: np.ndarray | None = None
) -> np.ndarray:
    """QAS: scale the gradient of the int8 weight tensor by ``w_scale[c] ** -2`` (float32)."""
    ct.require(grad_weight_q, "grad_weight_q")
    ct.require(w_scale, "w_scale", shape=(grad_weight_q.shape[-1],))
    g = ct.output(out, "out", grad_weight_q.shape)
    np.divide(grad_weight_q, np.square(w_scale), out=g)
    return g


def sgd_update_int8(
    weight_q: np.ndarray,
    w_scale: np.ndarray,
    grad_weight_q: np.ndarray,
    *,
    lr: float,
    qas: bool = True,
    trained_out_channels: int | None = None,
) -> None:
    """SGD step on an int8-stored weight, in place: ``W_q = clip(round(W_q - lr * G), -127, 127)``.

    ``grad_weight_q`` is the gradient w.r.t. the int8 tensor (``w_scale * G_W`` for a gradient
    ``G_W`` of the dequantised weight). With ``qas`` it is first scaled by ``w_scale ** -2`` so the
    real-valued weight moves by ``lr * G_W`` as in fp32 training (steps below half a quantisation
    level round away, as on the device). ``trained_out_channels=k`` touches channels ``0..k-1`` only.
    """
    wq2 = _weight_views(weight_q, w_scale)
    ct.require(grad_weight_q, "grad_weight_q", shape=weight_q.shape)
    k = ct.channels(trained_out_channels, weight_q.shape[-1])
    _int8_sgd(wq2, w_scale, grad_weight_q.reshape(wq2.shape), float(lr), bool(qas), k)
