"""ONNX activations beyond ReLU and Clip: each becomes its own element-wise layer reading the tensor.

``LeakyRelu`` -> ``leaky_relu`` (its ``alpha``, default 0.01); ``Sigmoid`` -> ``sigmoid``;
``HardSigmoid`` -> ``hard_sigmoid`` (``alpha`` and ``beta``, defaults 0.2 and 0.5; PyTorch exports
``alpha`` 1/6); ``HardSwish`` -> ``hard_swish``; ``Tanh`` -> ``tanh``; ``Elu`` -> ``elu`` (its ``alpha``,
default 1; a slope of 0 or below is refused, as its backward reads the sign of the input from the output).
"""

from __future__ import annotations

from collections.abc import Callable
from math import isfinite
from typing import Any

from workloads.layers import ELU, HardSigmoid, HardSwish, LeakyReLU, Sigmoid, Tanh
from workloads.onnx_convert import Converter, attributes
from workloads.onnx_layout_ops import activation


def leaky_relu(cv: Converter, node: Any) -> None:
    activation(cv, node, LeakyReLU(float(attributes(node).get("alpha", 0.01))))


def sigmoid(cv: Converter, node: Any) -> None:
    activation(cv, node, Sigmoid())


def tanh(cv: Converter, node: Any) -> None:
    activation(cv, node, Tanh())


def elu(cv: Converter, node: Any) -> None:
    alpha = float(attributes(node).get("alpha", 1.0))
    if not (isfinite(alpha) and alpha > 0):
        raise cv.fail(node, "alpha", alpha, "a finite slope above 0")
    activation(cv, node, ELU(alpha))


def hard_sigmoid(cv: Converter, node: Any) -> None:
    a = attributes(node)
    activation(cv, node, HardSigmoid(float(a.get("alpha", 0.2)), float(a.get("beta", 0.5))))


def hard_swish(cv: Converter, node: Any) -> None:
    activation(cv, node, HardSwish())


ACTIVATION_OPS: dict[str, Callable[[Converter, Any], None]] = {
    "LeakyRelu": leaky_relu,
    "Sigmoid": sigmoid,
    "HardSigmoid": hard_sigmoid,
    "HardSwish": hard_swish,
    "Tanh": tanh,
    "Elu": elu,
}
"""Converters of the element-wise activations with a layer of their own."""
