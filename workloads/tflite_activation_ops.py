"""TensorFlow Lite activations beyond RELU and RELU6, each its own element-wise layer reading the tensor.

LOGISTIC -> ``sigmoid``; TANH -> ``tanh``; ELU -> ``elu`` (TensorFlow Lite's has slope 1);
LEAKY_RELU -> ``leaky_relu`` (its option ``alpha``; an absent option is the schema's 0.0, as the
interpreter reads it); HARD_SWISH -> ``hard_swish`` (``x * relu6(x + 3) / 6``).
"""

from __future__ import annotations

from collections.abc import Callable
from math import isfinite

from workloads.layers import ELU, HardSwish, Layer, LeakyReLU, Sigmoid, Tanh
from workloads.tflite_convert import TfliteConverter
from workloads.tflite_reader import TfliteOperator


def float_only(cv: TfliteConverter, op: TfliteOperator) -> None:
    """Refuse ``op`` in an integer-quantised file: the int8 network would not round its output."""
    quantised = [cv.tensor(i).name for i in (*op.inputs[:1], *op.outputs[:1]) if cv.tensor(i).quantized]
    if quantised:
        raise cv.fail(op, "int8 tensors", quantised, f"{op.op} on float tensors only (a float model)")


def _unary(cv: TfliteConverter, op: TfliteOperator, layer: Layer) -> None:
    float_only(cv, op)
    cv.set_output(op, cv.emit(layer, (cv.input(op, 0),)))


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
