"""ONNX activations beyond ReLU and Clip: each becomes its own element-wise layer reading the tensor.

``LeakyRelu`` -> ``leaky_relu`` (its ``alpha``, default 0.01).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workloads.layers import LeakyReLU
from workloads.onnx_convert import Converter, attributes
from workloads.onnx_layout_ops import activation


def leaky_relu(cv: Converter, node: Any) -> None:
    activation(cv, node, LeakyReLU(float(attributes(node).get("alpha", 0.01))))


ACTIVATION_OPS: dict[str, Callable[[Converter, Any], None]] = {
    "LeakyRelu": leaky_relu,
}
"""Converters of the element-wise activations with a layer of their own."""
