"""The model zoo: named graph builders with their input shapes.

The MLPerf Tiny models follow the reference Keras models of mlcommons/tiny (benchmark/training/):
their MACs match the published 12.50 M, 2.66 M, 7.49 M and 0.264 M (tests check within 1 %).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workloads.errors import WorkloadError, did_you_mean
from workloads.graph import Graph, GraphBuilder


def _conv_bn_relu(
    g: GraphBuilder,
    channels: int,
    kernel: int | tuple[int, int] = 3,
    stride: int | tuple[int, int] = 1,
    relu: bool = True,
    x: str | None = None,
) -> str:
    g.conv(channels, kernel, stride, x=x)
    g.batchnorm()
    return g.relu() if relu else g.last


def resnet8(classes: int = 10) -> Graph:
    """MLPerf Tiny image classification: ResNet-8 on CIFAR-10 (32x32x3)."""
    g = GraphBuilder("mlperf-resnet8", (32, 32, 3))
    x = _conv_bn_relu(g, 16)
    for channels, stride in ((16, 1), (32, 2), (64, 2)):
        _conv_bn_relu(g, channels, 3, stride, x=x)
        y = _conv_bn_relu(g, channels, 3, 1, relu=False)
        shortcut = x if stride == 1 else g.conv(channels, 1, stride, x=x)
        g.add(y, shortcut)
        x = g.relu()
    g.avgpool(8)
    g.flatten()
    g.dense(classes)
    return g.build()


def dscnn(classes: int = 12) -> Graph:
    """MLPerf Tiny keyword spotting: DS-CNN, 64 filters, 4 depthwise-separable blocks, 49x10x1 MFCC."""
    g = GraphBuilder("mlperf-dscnn", (49, 10, 1))
    _conv_bn_relu(g, 64, (10, 4), (2, 2))
    g.dropout(0.2)
    for _ in range(4):
        g.depthwise(3)
        g.batchnorm()
        g.relu()
        _conv_bn_relu(g, 64, 1)
    g.dropout(0.4)
    h, w, _ = g._shape(None)
    g.avgpool((h, w))
    g.flatten()
    g.dense(classes)
    return g.build()


def mobilenet_v1_vww(classes: int = 2, width: float = 0.25, resolution: int = 96) -> Graph:
    """MLPerf Tiny visual wake words: MobileNetV1 width 0.25 at 96x96x3."""
    g = GraphBuilder("mlperf-mbv1-vww", (resolution, resolution, 3))
    _conv_bn_relu(g, int(32 * width), 3, 2)
    blocks = (
        (64, 1),
        (128, 2),
        (128, 1),
        (256, 2),
        (256, 1),
        (512, 2),
        (512, 1),
        (512, 1),
        (512, 1),
        (512, 1),
        (512, 1),
        (1024, 2),
        (1024, 1),
    )
    for channels, stride in blocks:
        g.depthwise(3, stride)
        g.batchnorm()
        g.relu()
        _conv_bn_relu(g, int(channels * width), 1)
    h, w, _ = g._shape(None)
    g.avgpool((h, w))
    g.flatten()
    g.dense(classes)
    return g.build()


def autoencoder(features: int = 640, hidden: int = 128, bottleneck: int = 8) -> Graph:
    """MLPerf Tiny anomaly detection: the fully connected autoencoder 640-128x4-8-128x4-640 (MSE loss)."""
    g = GraphBuilder("mlperf-autoencoder", (features,))
    for units in (hidden,) * 4 + (bottleneck,) + (hidden,) * 4:
        g.dense(units)
        g.batchnorm()
        g.relu()
    g.dense(features)
    return g.build(loss="mse")


def _make_divisible(value: float, divisor: int = 8) -> int:
    """Round channels to a multiple of ``divisor`` as the MobileNetV2 reference does."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def mobilenet_v2(classes: int = 1000, width: float = 0.35, resolution: int = 128) -> Graph:
    """MobileNetV2 (Sandler et al. 2018) with a width multiplier; the head size is selectable."""
    g = GraphBuilder(f"mbv2-w{width:g}", (resolution, resolution, 3))
    channels = _make_divisible(32 * width)
    g.conv(channels, 3, 2)
    g.batchnorm()
    x = g.relu6()
    settings = (
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    )
    for expand, c, repeats, first_stride in settings:
        out_channels = _make_divisible(c * width)
        for i in range(repeats):
            stride = first_stride if i == 0 else 1
            if expand != 1:
                g.conv(round(channels * expand), 1, x=x)
                g.batchnorm()
                g.relu6()
            g.depthwise(3, stride, x=g.last if expand != 1 else x)
            g.batchnorm()
            g.relu6()
            g.conv(out_channels, 1)
            y = g.batchnorm()
            x = g.add(y, x) if stride == 1 and channels == out_channels else y
            channels = out_channels
    g.conv(_make_divisible(1280 * max(1.0, width)), 1, x=x)
    g.batchnorm()
    g.relu6()
    g.global_avg_pool()
    g.dense(classes)
    return g.build()


def lenet_digits(classes: int = 10) -> Graph:
    """A small CNN for the 8x8 digit images of scikit-learn's digits dataset."""
    g = GraphBuilder("lenet-digits", (8, 8, 1))
    g.conv(8, 3)
    g.relu()
    g.maxpool(2)
    g.conv(16, 3)
    g.relu()
    g.maxpool(2)
    g.flatten()
    g.dense(32)
    g.relu()
    g.dense(classes)
    return g.build()


def mlp(inputs: int = 64, hidden: list[int] | tuple[int, ...] = (64, 32), classes: int = 10) -> Graph:
    """A configurable dense network (ReLU between layers); 64 inputs fits the 8x8 digits."""
    g = GraphBuilder("mlp", (inputs,))
    for units in hidden:
        g.dense(int(units))
        g.relu()
    g.dense(classes)
    return g.build()


@dataclass(frozen=True)
class ZooEntry:
    """A named model builder and the options it takes."""

    name: str
    builder: Callable[..., Graph]
    options: tuple[str, ...]
    description: str


ZOO: dict[str, ZooEntry] = {
    e.name: e
    for e in (
        ZooEntry("mlperf-resnet8", resnet8, ("classes",), "MLPerf Tiny IC: ResNet-8, CIFAR-10 32x32x3"),
        ZooEntry("mlperf-dscnn", dscnn, ("classes",), "MLPerf Tiny KWS: DS-CNN, MFCC 49x10x1"),
        ZooEntry(
            "mlperf-mbv1-vww",
            mobilenet_v1_vww,
            ("classes", "width", "resolution"),
            "MLPerf Tiny VWW: MobileNetV1 0.25, 96x96x3",
        ),
        ZooEntry(
            "mlperf-autoencoder",
            autoencoder,
            ("features", "hidden", "bottleneck"),
            "MLPerf Tiny AD: FC autoencoder 640-128x4-8-128x4-640",
        ),
        ZooEntry(
            "mbv2-w0.35",
            mobilenet_v2,
            ("classes", "width", "resolution"),
            "MobileNetV2 width 0.35, 128x128x3",
        ),
        ZooEntry("lenet-digits", lenet_digits, ("classes",), "Small CNN for 8x8 digits"),
        ZooEntry("mlp", mlp, ("inputs", "hidden", "classes"), "Dense network, 64 inputs (8x8 digits)"),
    )
}


def model_names() -> list[str]:
    """Names of the zoo models."""
    return list(ZOO)


def build_model(name: str, source: str = "model", **options: Any) -> Graph:
    """Build a zoo model by name with builder options (for example ``classes=10``).

    Raises
    ------
    WorkloadError
        For an unknown name or option, or an option value the builder cannot use.
    """
    entry = ZOO.get(name)
    if entry is None:
        raise WorkloadError(
            source, "model.name", name, f"one of {', '.join(ZOO)}{did_you_mean(name, list(ZOO))}"
        )
    for key, value in options.items():
        if key not in entry.options:
            allowed = ", ".join(entry.options) or "no options"
            raise WorkloadError(
                source, f"model.{key}", value, f"{name} takes {allowed}{did_you_mean(key, entry.options)}"
            )
        _check_option(source, name, key, value)
    return entry.builder(**options)


_OPTION_LIMITS: dict[str, tuple[bool, float, float]] = {
    # option: (integer, lowest, highest). Layer widths and classes of a few hundred thousand already need
    # gigabytes; 32 x 0.03125 = 1 is the narrowest MobileNet stem that keeps a channel; a MobileNet halves
    # its resolution five times, so 32 is the smallest input that leaves a pixel at the end.
    "classes": (True, 1, 100_000),
    "inputs": (True, 1, 1_000_000),
    "features": (True, 1, 1_000_000),
    "hidden": (True, 1, 100_000),
    "bottleneck": (True, 1, 100_000),
    "resolution": (True, 32, 1024),
    "width": (False, 0.03125, 4.0),
}


def _check_option(source: str, model: str, key: str, value: Any) -> None:
    integer, low, high = _OPTION_LIMITS[key]
    each = f"{'whole numbers' if integer else 'numbers'} in [{low:g}, {high:g}]"
    if key == "hidden":  # the one option that is a list: a width per hidden layer
        allowed = f"a non-empty list of {each} for {model}"
        values = value if isinstance(value, list | tuple) and value else None
    else:
        allowed = f"{'a whole number' if integer else 'a number'} in [{low:g}, {high:g}] for {model}"
        values = None if isinstance(value, list | tuple) else [value]
    for v in values or [None]:
        numeric = not isinstance(v, bool) and isinstance(v, int | float)
        if not numeric or (integer and not isinstance(v, int)) or not low <= v <= high:
            raise WorkloadError(source, f"model.{key}", value, allowed)
