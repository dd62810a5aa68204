"""TensorFlow Lite's squeeze-excitation operators: MEAN (the squeeze) and MUL (the channel gate).

MEAN over the spatial axes (H, W; the axes are a constant input) -> ``global_avg_pool``, with
``keep_dims`` either way: the layer's output is the vector ``(C,)``, which stands for the file's
``(N, 1, 1, C)`` or ``(N, C)`` alike (a RESHAPE between the two is the identity). MUL of two computed
tensors -> ``mul``: the same shape, or a feature map ``(N, H, W, C)`` times a gate that broadcasts over its
positions (``(N, 1, 1, C)``, or ``(1, C)``), in either order. A MUL by a constant has no layer (tinyemu's
``mul`` multiplies two computed tensors) and is refused. In an int8 file both keep their output's grid
(see :mod:`workloads.tflite_activation_ops`).
"""

from __future__ import annotations

from math import prod

from workloads.layers import Flatten, GlobalAvgPool, Mul
from workloads.tflite_convert import TfliteConverter
from workloads.tflite_reader import TfliteOperator, TfliteTensor


def mean(cv: TfliteConverter, op: TfliteOperator) -> None:
    x = cv.feature_map(op)
    axes_t = cv.tensor(op.inputs[1])
    axes = [int(a) for a in cv.constant(op, axes_t).reshape(-1)]
    if len(axes) != 2 or sorted({a % 4 for a in axes if -4 <= a < 4}) != [1, 2]:
        raise cv.fail(op, "axes", axes, "the spatial axes [1, 2] (H and W, or [-3, -2]): a global mean")
    name = cv.emit(GlobalAvgPool(), (x,))
    cv.round_output(op, name)
    cv.set_output(op, name)


def _broadcasts_per_channel(gate: TfliteTensor, x: TfliteTensor, channels: int) -> bool:
    """``gate`` is one value per channel for every position of the feature map ``x``."""
    shape = tuple(gate.shape)
    if not shape or shape[-1] != channels:
        return False
    if len(shape) == 4 and shape[1:3] == (1, 1) and shape[0] in (1, x.shape[0]):
        return True
    return all(d == 1 for d in shape[:-1])


def mul(cv: TfliteConverter, op: TfliteOperator) -> None:
    for i in (0, 1):
        t = cv.tensor(op.inputs[i])
        if t.data is not None or t.index in cv.consts:
            raise cv.fail(
                op,
                f"input {i} {t.name!r}",
                "a constant",
                "two computed tensors (a MUL by a constant has no tinyemu layer)",
            )
    (a, ta), (b, tb) = ((cv.input(op, i), cv.tensor(op.inputs[i])) for i in (0, 1))
    if prod(cv.shape(a)) < prod(cv.shape(b)):  # the gate second
        (a, ta), (b, tb) = (b, tb), (a, ta)
    sa, sb = cv.shape(a), cv.shape(b)
    if sa != sb:
        channels = sa[-1]
        gate = len(sa) == 3 and sb in ((channels,), (1, 1, channels))
        if not (gate and _broadcasts_per_channel(tb, ta, channels)):
            raise cv.fail(
                op,
                "input shapes",
                [list(ta.shape), list(tb.shape)],
                "equal shapes, or a feature map (N, H, W, C) and a (N, 1, 1, C) channel gate",
            )
        if len(sb) == 3:  # a 1 x 1 feature map (a conv's output): the gate is its vector
            b = cv.emit(Flatten(), (b,))
    name = cv.emit(Mul(), (a, b))
    cv.round_output(op, name)
    cv.activate(op, name)


GATE_OPS = {"MEAN": mean, "MUL": mul}
"""Converters of the squeeze-excitation operators."""
