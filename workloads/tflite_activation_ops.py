"""TensorFlow Lite activations beyond RELU and RELU6, each its own element-wise layer reading the tensor.

LOGISTIC -> ``sigmoid``; TANH -> ``tanh``; ELU -> ``elu`` (TensorFlow Lite's has slope 1);
LEAKY_RELU -> ``leaky_relu`` (its option ``alpha``; an absent option is the schema's 0.0, as the
interpreter reads it); HARD_SWISH -> ``hard_swish`` (``x * relu6(x + 3) / 6``).

In a fully integer-quantised file each keeps its output tensor's int8 grid: the int8 network evaluates the
activation on the int8 grid values of its input and rounds the result to that grid, as the interpreter's
int8 kernels (lookup tables, or fixed-point arithmetic within one step of them) do.
"""

from __future__ import annotations

from collections.abc import Callable
from math import isfinite

from workloads.layers import ELU, HardSwish, Layer, LeakyReLU, Sigmoid, Tanh
from workloads.tflite_convert import TfliteConverter
from workloads.tflite_reader import TfliteOperator


def _unary(cv: TfliteConverter, op: TfliteOperator, layer: Layer) -> None:
    name = cv.emit(layer, (cv.input(op, 0),))
    cv.round_output(op, name)
    cv.set_output(op, name)


def leaky_relu(cv: TfliteConverter, op: TfliteOperator) -> None:
    alpha = float(op.options.get("Alpha", 0.0))
    if not isfinite(alpha):
        raise cv.fail(op, "alpha", alpha, "a finite slope")
    _unary(cv, op, LeakyReLU(alpha))


ACTIVATION_OPS: dict[str, Callable[[TfliteConverter, TfliteOperator], None]] = {
    "LOGISTIC": lambda cv, op: _unary(cv, op, Sigmoid()),
    "TANH": lambda cv, op: _unary(cv, op, Tanh()),
    "ELU": lambda cv, op: _unary(cv, op, ELU(1.0)),
    "LEAKY_RELU": leaky_relu,
    "HARD_SWISH": lambda cv, op: _unary(cv, op, HardSwish()),
}
"""Converters of the element-wise activations with a layer of their own."""
