"""ONNX activations beyond ReLU and Clip: each becomes its own element-wise layer reading the tensor.

``LeakyRelu`` -> ``leaky_relu`` (its ``alpha``, default 0.01); ``Sigmoid`` -> ``sigmoid``;
``HardSigmoid`` -> ``hard_sigmoid`` (``alpha`` and ``beta``, defaults 0.2 and 0.5; PyTorch exports
``alpha`` 1/6); ``HardSwish`` -> ``hard_swish``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workloads.layers import HardSigmoid, HardSwish, LeakyReLU, Sigmoid
from workloads.onnx_convert import Converter, attributes
from workloads.onnx_layout_ops import activation


def leaky_relu(cv: Converter, node: Any) -> None:
    activation(cv, node, LeakyReLU(float(attributes(node).get("alpha", 0.01))))


def sigmoid(cv: Converter, node: Any) -> None:
    activation(cv, node, Sigmoid())


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
}
"""Converters of the element-wise activations with a layer of their own."""
