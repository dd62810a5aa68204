"""Quantisation parameters of ONNX models: dequantising constants and per-channel weight scales.

ONNX quantisation is ``x = (q - zero_point) * scale``, per tensor or per channel along ``axis``. tinyemu's
int8 scheme keeps weights symmetric per output channel and activations asymmetric per tensor in int8:
a uint8 zero point ``z`` is the int8 zero point ``z - 128`` (the same real values).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class QuantParams:
    """Scale and zero point of a quantised tensor (``axis`` is the channel axis when per channel)."""

    scale: np.ndarray
    zero_point: np.ndarray
    axis: int = 1

    def activation(self) -> tuple[float, int]:
        """Per-tensor scale and int8-domain zero point of an activation."""
        return float(self.scale.reshape(-1)[0]), int8_zero_point(self.zero_point)

    @property
    def per_tensor(self) -> bool:
        return self.scale.size == 1


def int8_zero_point(zero_point: np.ndarray) -> int:
    """The int8-domain zero point of an ONNX zero point (uint8 ``z`` becomes ``z - 128``)."""
    value = int(np.asarray(zero_point).reshape(-1)[0]) if np.asarray(zero_point).size else 0
    return value - 128 if np.asarray(zero_point).dtype == np.uint8 else value


def _broadcast(values: np.ndarray, ndim: int, axis: int) -> np.ndarray:
    if values.size == 1:
        return values.reshape(())
    shape = [1] * ndim
    shape[axis % ndim] = values.size
    return values.reshape(shape)


def dequantize(q: np.ndarray, params: QuantParams) -> np.ndarray:
    """``(q - zero_point) * scale`` in float64, broadcast along the channel axis."""
    scale = _broadcast(params.scale.astype(np.float64), q.ndim, params.axis)
    zero = _broadcast(params.zero_point.astype(np.float64), q.ndim, params.axis)
    return (q.astype(np.float64) - zero) * scale


def quantize(x: np.ndarray, params: QuantParams) -> np.ndarray:
    """ONNX QuantizeLinear of a constant: round half to even, saturate to the zero point's type."""
    dtype = params.zero_point.dtype if params.zero_point.size else np.dtype(np.uint8)
    info = np.iinfo(dtype)
    scale = _broadcast(params.scale.astype(np.float64), x.ndim, params.axis)
    zero = _broadcast(params.zero_point.astype(np.float64), x.ndim, params.axis)
    return np.clip(np.rint(x / scale) + zero, info.min, info.max).astype(dtype)


def channel_scale(params: QuantParams, out_axis: int, ndim: int, out_channels: int) -> np.ndarray | None:
    """Per-output-channel weight scales (float32), or None if the scales run along another axis."""
    if params.per_tensor:
        return np.full(out_channels, float(params.scale.reshape(-1)[0]), dtype=np.float32)
    if params.axis % ndim != out_axis or params.scale.size != out_channels:
        return None
    return params.scale.astype(np.float32).reshape(-1)
