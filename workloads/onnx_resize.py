"""ONNX ``Resize`` and ``Upsample`` that repeat pixels: nearest-neighbour upsampling by integer factors.

A ``nearest`` Resize by positive integer scales of the spatial axes (1 on the batch and channel axes;
``sizes`` must then be integer multiples of the input's) is the ``upsample`` layer exactly when its
coordinate transformation and rounding send output index ``o`` to input index ``o // s``: the
converter evaluates ONNX's formulas for the actual sizes and accepts only such combinations (for
example ``asymmetric`` with ``floor``, as in the old opset-10 Resize and the ``Upsample`` op, and
``half_pixel`` or ``pytorch_half_pixel`` with either ``round_prefer_*``, which is how PyTorch exports
``nn.Upsample(scale_factor=2, mode="nearest")``; the tests check the formulas against onnxruntime for
every mode). Linear and cubic modes, fractional scales and other
combinations are refused. Scales come as the ``scales`` input (Resize opset >= 11: X, roi, scales,
sizes; opset 10 and Upsample opset 9: X, scales) or the ``scales`` attribute (Upsample opset 7); the
``axes`` attribute of opset 18 is honoured. The batch entry of constant ``sizes`` is not checked: such
a file fixes its batch, and tinyemu runs it at the batch of the step.
"""

from __future__ import annotations

from collections.abc import Callable
from math import floor
from typing import Any

import numpy as np

from workloads.layers import Upsample
from workloads.onnx_convert import NCHW, Converter, Value, attributes

ADVICE = 're-export with mode="nearest" and an integer scale_factor'
TRANSFORMS = (
    "half_pixel",
    "half_pixel_symmetric",
    "pytorch_half_pixel",
    "align_corners",
    "asymmetric",
    "tf_half_pixel_for_nn",
)
ROUNDINGS = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")
EXACT = (
    "a combination that repeats each pixel for these integer scales (e.g. asymmetric or "
    "tf_half_pixel_for_nn with floor; half_pixel, half_pixel_symmetric or pytorch_half_pixel with "
    f"round_prefer_floor or round_prefer_ceil); or {ADVICE}"
)


def _source_index(transform: str, rounding: str, o: int, size: int, scale: int) -> int:
    """The input index ONNX's nearest Resize reads for output index ``o`` (clamped, as onnxruntime does)."""
    out = size * scale
    if transform in ("half_pixel", "half_pixel_symmetric"):
        x = (o + 0.5) / scale - 0.5
    elif transform == "pytorch_half_pixel":
        x = (o + 0.5) / scale - 0.5 if out > 1 else 0.0
    elif transform == "align_corners":
        x = o * (size - 1) / (out - 1) if out > 1 else 0.0
    elif transform == "asymmetric":
        x = o / scale
    else:  # tf_half_pixel_for_nn
        x = (o + 0.5) / scale
    if rounding == "floor":
        i = floor(x)
    elif rounding == "ceil":
        i = -floor(-x)
    elif x - floor(x) == 0.5:
        i = floor(x) if rounding == "round_prefer_floor" else floor(x) + 1
    else:
        i = floor(x + 0.5)
    return min(max(i, 0), size - 1)


def _repeats(transform: str, rounding: str, size: int, scale: int) -> bool:
    return all(_source_index(transform, rounding, o, size, scale) == o // scale for o in range(size * scale))


def _factors(cv: Converter, node: Any, v: Value, scales: np.ndarray | None, sizes: np.ndarray | None) -> list:
    """The per-axis factors of ONNX's ``(N, C, *spatial)`` tensor (from ``scales`` or ``sizes``)."""
    rank = v.spatial + 2
    given, field = (scales, "scales") if scales is not None else (sizes, "sizes")
    if given is None:
        raise cv.fail(node, "scales", None, "constant scales or sizes of every axis")
    values = [float(s) for s in given.reshape(-1)]
    axes = attributes(node).get("axes")
    if axes is not None:
        ours = [int(i) % rank for i in axes if -rank <= i < rank]
        if len(ours) != len(axes) or len(set(ours)) != len(ours) or len(values) != len(ours):
            raise cv.fail(node, "axes", axes, f"distinct axes of a rank-{rank} tensor, one per {field}")
        full = [1.0] * rank if field == "scales" else [float(d) for d in _onnx_shape(v)]
        for axis, value in zip(ours, values, strict=True):
            full[axis] = value
        values = full
    if len(values) != rank:
        raise cv.fail(node, field, values, f"{rank} values (N, C and the spatial axes)")
    if field == "sizes":
        if attributes(node).get("keep_aspect_ratio_policy", "stretch") != "stretch":
            policy = attributes(node)["keep_aspect_ratio_policy"]
            raise cv.fail(node, "keep_aspect_ratio_policy", policy, "stretch")
        shape = _onnx_shape(v)
        if int(values[1]) != shape[1]:
            raise cv.fail(node, "sizes", values, f"the input's {shape[1]} channels on axis 1")
        factors = [1.0, 1.0] + [d / s for d, s in zip(values[2:], shape[2:], strict=True)]
        if any(f != int(f) or f < 1 for f in factors):
            allowed = f"integer multiples of the input's spatial sizes {list(shape[2:])} ({ADVICE})"
            raise cv.fail(node, "sizes", [int(s) for s in values], allowed)
        return factors
    if values[0] != 1 or values[1] != 1:
        raise cv.fail(node, "scales", values, "1 on the batch and channel axes (only H and W resize)")
    if any(s != int(s) or s < 1 for s in values[2:]):
        raise cv.fail(node, "scales", values, f"positive integers on the spatial axes ({ADVICE})")
    return values


def _onnx_shape(v: Value) -> list[int]:
    """``(N, C, *spatial)`` of ``v`` (N as 1: only the others are compared)."""
    h, w, c = v.shape
    return [1, c, h, w] if v.spatial == 2 else [1, c, w]


def _emit(
    cv: Converter, node: Any, transform: str, rounding: str, scales: np.ndarray | None, sizes: Any
) -> None:
    v = cv.feature_map(node, cv.act(node, 0))
    mode = attributes(node).get("mode", "nearest")
    if mode != "nearest":
        raise cv.fail(node, "mode", mode, f"nearest ({ADVICE})")
    if transform not in TRANSFORMS:
        allowed = f"one of {', '.join(TRANSFORMS)} ({ADVICE})"
        raise cv.fail(node, "coordinate_transformation_mode", transform, allowed)
    if rounding not in ROUNDINGS:
        raise cv.fail(node, "nearest_mode", rounding, f"one of {', '.join(ROUNDINGS)} ({ADVICE})")
    factors = [int(f) for f in _factors(cv, node, v, scales, sizes)[2:]]
    lengths = _onnx_shape(v)[2:]
    if not all(_repeats(transform, rounding, n, s) for n, s in zip(lengths, factors, strict=True)):
        what = "coordinate_transformation_mode, nearest_mode"
        raise cv.fail(node, what, (transform, rounding), EXACT)
    scale = (factors[0], factors[1]) if v.spatial == 2 else (1, factors[0])
    if scale == (1, 1):
        cv.through(node, v)
        return
    name = cv.emit(node, Upsample(scale), (v,))
    cv.values[node.output[0]] = Value(name, cv.drafts[name].shape, NCHW, spatial=v.spatial)


def _optional(cv: Converter, node: Any, i: int) -> np.ndarray | None:
    """Constant input ``i``, None when absent or empty (opset 11 writes an empty ``scales`` with sizes)."""
    value = cv.const(node, i, False) if len(node.input) > i else None
    return None if value is None or value.size == 0 else value


def resize(cv: Converter, node: Any) -> None:
    a = attributes(node)
    if len(node.input) == 2:  # opset 10: X, scales; asymmetric coordinates rounded down
        _emit(cv, node, "asymmetric", "floor", _optional(cv, node, 1), None)
        return
    scales, sizes = _optional(cv, node, 2), _optional(cv, node, 3)
    if scales is not None and sizes is not None:
        raise cv.fail(node, "scales, sizes", "both", "one of scales and sizes")
    transform = a.get("coordinate_transformation_mode", "half_pixel")
    _emit(cv, node, transform, a.get("nearest_mode", "round_prefer_floor"), scales, sizes)


def upsample(cv: Converter, node: Any) -> None:
    """The deprecated Upsample (opsets 7 to 9): nearest is asymmetric and rounds down, as in onnxruntime."""
    a = attributes(node)
    scales = _optional(cv, node, 1) if len(node.input) > 1 else None
    if scales is None and "scales" in a:
        scales = np.asarray(a["scales"], np.float32)
    _emit(cv, node, "asymmetric", "floor", scales, None)


RESIZE_OPS: dict[str, Callable[[Converter, Any], None]] = {"Resize": resize, "Upsample": upsample}
