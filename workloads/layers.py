"""Layer types of the graph IR: shapes, parameter counts and MACs per sample.

Activations are NHWC per sample: a feature map has shape ``(H, W, C)`` and a vector ``(F,)``.
Conv weights are HWIO ``(KH, KW, C_in // groups, C_out)``; dense weights ``(F_in, F_out)``.
MACs count the multiply-accumulates of convolutions and dense layers only, the convention of the
MLPerf Tiny reference figures; element-wise work is counted as ``elementwise_ops``.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil, isfinite, prod

Shape = tuple[int, ...]


def _resolve_padding(
    padding: str | int | tuple[int, int, int, int],
    size: int,
    kernel: int,
    stride: int,
) -> tuple[int, int]:
    """Return (before, after) padding along one axis, TensorFlow 'same' semantics."""
    if padding == "valid":
        return 0, 0
    if padding == "same":
        out = ceil(size / stride)
        total = max((out - 1) * stride + kernel - size, 0)
        return total // 2, total - total // 2
    raise ValueError(f"padding {padding!r}")


def _pads(
    padding: str | int | tuple[int, int, int, int],
    in_hw: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
) -> tuple[int, int, int, int]:
    if isinstance(padding, int):
        return padding, padding, padding, padding
    if isinstance(padding, tuple):
        return padding
    top, bottom = _resolve_padding(padding, in_hw[0], kernel[0], stride[0])
    left, right = _resolve_padding(padding, in_hw[1], kernel[1], stride[1])
    return top, bottom, left, right


def _window_out(size: int, kernel: int, stride: int, before: int, after: int) -> int:
    return (size + before + after - kernel) // stride + 1


@dataclass(frozen=True)
class Layer:
    """Base of every layer type: a per-sample shape function with zero parameters and MACs."""

    kind = "layer"
    arity = 1

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        return inputs[0]

    def weight_count(self, inputs: tuple[Shape, ...]) -> int:
        return 0

    def bias_count(self, inputs: tuple[Shape, ...]) -> int:
        return 0

    def macs(self, inputs: tuple[Shape, ...]) -> int:
        return 0

    def elementwise_ops(self, inputs: tuple[Shape, ...]) -> int:
        """Element operations per sample outside MACs (one per output element by default)."""
        return prod(self.output_shape(inputs))

    @property
    def has_weights(self) -> bool:
        return False


@dataclass(frozen=True)
class Input(Layer):
    """The graph input: a per-sample shape."""

    shape: Shape = (1,)
    kind = "input"
    arity = 0

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        return self.shape

    def elementwise_ops(self, inputs: tuple[Shape, ...]) -> int:
        return 0


@dataclass(frozen=True)
class Conv2d(Layer):
    """2-D convolution with stride, padding and groups (depthwise: groups == C_in == C_out)."""

    out_channels: int = 1
    kernel: tuple[int, int] = (3, 3)
    stride: tuple[int, int] = (1, 1)
    padding: str | int | tuple[int, int, int, int] = "same"
    groups: int = 1
    bias: bool = True
    kind = "conv2d"

    def pads(self, inputs: tuple[Shape, ...]) -> tuple[int, int, int, int]:
        """Explicit (top, bottom, left, right) padding for this input shape."""
        h, w, _ = inputs[0]
        return _pads(self.padding, (h, w), self.kernel, self.stride)

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        if len(inputs[0]) != 3:
            raise ValueError(f"conv2d needs an (H, W, C) input, got {inputs[0]}")
        h, w, c = inputs[0]
        if self.out_channels < 1 or self.groups < 1:  # a width multiplier can round a channel count to 0
            raise ValueError(
                f"{self.out_channels} output channels in {self.groups} groups: at least 1 of each"
            )
        if c % self.groups or self.out_channels % self.groups:
            raise ValueError(f"channels {c}->{self.out_channels} not divisible by groups {self.groups}")
        top, bottom, left, right = self.pads(inputs)
        ho = _window_out(h, self.kernel[0], self.stride[0], top, bottom)
        wo = _window_out(w, self.kernel[1], self.stride[1], left, right)
        if ho <= 0 or wo <= 0:
            raise ValueError(f"kernel {self.kernel} larger than the padded input {h}x{w}")
        return ho, wo, self.out_channels

    def weight_count(self, inputs: tuple[Shape, ...]) -> int:
        c_in = inputs[0][2]
        return self.kernel[0] * self.kernel[1] * (c_in // self.groups) * self.out_channels

    def bias_count(self, inputs: tuple[Shape, ...]) -> int:
        return self.out_channels if self.bias else 0

    def macs(self, inputs: tuple[Shape, ...]) -> int:
        ho, wo, _ = self.output_shape(inputs)
        return ho * wo * self.weight_count(inputs)

    def elementwise_ops(self, inputs: tuple[Shape, ...]) -> int:
        return 0

    @property
    def has_weights(self) -> bool:
        return True

    @property
    def is_depthwise(self) -> bool:
        return self.groups > 1 and self.groups == self.out_channels

    def is_pointwise(self) -> bool:
        return self.kernel == (1, 1) and self.groups == 1


@dataclass(frozen=True)
class Dense(Layer):
    """Fully connected layer on a vector input."""

    units: int = 1
    bias: bool = True
    kind = "dense"

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        if len(inputs[0]) != 1:
            raise ValueError(f"dense needs a vector input (use Flatten), got {inputs[0]}")
        if self.units < 1:
            raise ValueError(f"{self.units} units: a dense layer needs at least 1")
        return (self.units,)

    def weight_count(self, inputs: tuple[Shape, ...]) -> int:
        return inputs[0][0] * self.units

    def bias_count(self, inputs: tuple[Shape, ...]) -> int:
        return self.units if self.bias else 0

    def macs(self, inputs: tuple[Shape, ...]) -> int:
        return self.weight_count(inputs)

    def elementwise_ops(self, inputs: tuple[Shape, ...]) -> int:
        return 0

    @property
    def has_weights(self) -> bool:
        return True


@dataclass(frozen=True)
class BatchNorm(Layer):
    """Batch normalisation over the last (channel) axis: gamma and beta, plus running statistics.

    On-device training uses the running statistics (frozen mode), so that a batch of one works.
    """

    kind = "batchnorm"

    def weight_count(self, inputs: tuple[Shape, ...]) -> int:
        return inputs[0][-1]

    def bias_count(self, inputs: tuple[Shape, ...]) -> int:
        return inputs[0][-1]

    def buffer_count(self, inputs: tuple[Shape, ...]) -> int:
        """Running mean and variance: stored, never trained."""
        return 2 * inputs[0][-1]


@dataclass(frozen=True)
class ReLU(Layer):
    kind = "relu"


@dataclass(frozen=True)
class ReLU6(Layer):
    kind = "relu6"


@dataclass(frozen=True)
class LeakyReLU(Layer):
    """``x`` where ``x > 0``, else ``alpha * x`` (ONNX ``LeakyRelu``; its default slope is 0.01)."""

    alpha: float = 0.01
    kind = "leaky_relu"

    def __post_init__(self) -> None:
        if not isfinite(self.alpha):
            raise ValueError(f"leaky_relu alpha must be finite, got {self.alpha!r}")


@dataclass(frozen=True)
class Sigmoid(Layer):
    """``1 / (1 + exp(-x))``; its backward reads its own output."""

    kind = "sigmoid"


@dataclass(frozen=True)
class Tanh(Layer):
    """``tanh(x)``; its backward reads its own output (``1 - y^2``)."""

    kind = "tanh"


@dataclass(frozen=True)
class ELU(Layer):
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)`` (ONNX ``Elu``; its default ``alpha`` is 1); its
    backward reads its own output (``y + alpha`` where ``y <= 0``), which needs ``alpha > 0``."""

    alpha: float = 1.0
    kind = "elu"

    def __post_init__(self) -> None:
        if not (isfinite(self.alpha) and self.alpha > 0):
            raise ValueError(f"elu alpha must be finite and above 0, got {self.alpha!r}")


@dataclass(frozen=True)
class HardSigmoid(Layer):
    """``clip(alpha * x + beta, 0, 1)`` (ONNX ``HardSigmoid``: defaults 0.2 and 0.5; PyTorch writes 1/6)."""

    alpha: float = 0.2
    beta: float = 0.5
    kind = "hard_sigmoid"

    def __post_init__(self) -> None:
        if not (isfinite(self.alpha) and isfinite(self.beta)):
            raise ValueError(f"hard_sigmoid alpha and beta must be finite, got {self.alpha!r}, {self.beta!r}")


@dataclass(frozen=True)
class HardSwish(Layer):
    """``x * relu6(x + 3) / 6`` (ONNX ``HardSwish``, MobileNetV3's); its backward reads its input."""

    kind = "hard_swish"


@dataclass(frozen=True)
class Dropout(Layer):
    """Dropout: a no-op at inference and in the memory plan (it aliases its input)."""

    rate: float = 0.5
    kind = "dropout"

    def elementwise_ops(self, inputs: tuple[Shape, ...]) -> int:
        return 0


@dataclass(frozen=True)
class Add(Layer):
    """Element-wise sum of two same-shaped inputs (residual connections)."""

    kind = "add"
    arity = 2

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        if inputs[0] != inputs[1]:
            raise ValueError(f"add needs equal shapes, got {inputs[0]} and {inputs[1]}")
        return inputs[0]


@dataclass(frozen=True)
class Mul(Layer):
    """Element-wise product ``x * s``: ``s`` of ``x``'s shape, or one value per channel ``(C,)`` broadcast
    over the positions of a feature map (the squeeze-excitation channel gate). Its backward reads the
    other operand of each input that needs a gradient."""

    kind = "mul"
    arity = 2

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        x, s = inputs
        if s != x and s != (x[-1],):
            raise ValueError(f"mul needs equal shapes or a ({x[-1]},) channel gate, got {x} and {s}")
        return x


@dataclass(frozen=True)
class Concat(Layer):
    """``arity`` inputs joined along the last axis (channels of a feature map, features of a vector); the
    other axes must agree. The output is a new tensor; the backward splits its gradient and keeps nothing.
    """

    arity: int = 2
    kind = "concat"

    def __post_init__(self) -> None:
        if self.arity < 2:
            raise ValueError(f"concat joins at least 2 inputs, got {self.arity!r}")

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        lead = inputs[0][:-1]
        if any(len(s) != len(inputs[0]) or s[:-1] != lead for s in inputs):
            shapes = ", ".join(map(str, inputs))
            raise ValueError(f"concat needs inputs equal in all but the last axis, got {shapes}")
        return (*lead, sum(s[-1] for s in inputs))


@dataclass(frozen=True)
class Upsample(Layer):
    """Nearest-neighbour upsampling of a feature map by integer factors ``scale = (sh, sw)``: each pixel
    repeats as an ``sh x sw`` block, (H, W, C) -> (sh H, sw W, C). The output is a new tensor; the backward
    sums its gradient over each block and keeps nothing."""

    scale: tuple[int, int] = (2, 2)
    kind = "upsample"

    def __post_init__(self) -> None:
        if len(self.scale) != 2 or any(int(s) != s or s < 1 for s in self.scale):
            raise ValueError(f"upsample needs two positive integer scales, got {self.scale!r}")

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        if len(inputs[0]) != 3:
            raise ValueError(f"upsample needs an (H, W, C) input, got {inputs[0]}")
        h, w, c = inputs[0]
        return h * self.scale[0], w * self.scale[1], c


@dataclass(frozen=True)
class _Pool(Layer):
    pool: tuple[int, int] = (2, 2)
    stride: tuple[int, int] | None = None
    padding: str | int | tuple[int, int, int, int] = "valid"

    @property
    def strides(self) -> tuple[int, int]:
        return self.stride or self.pool

    def pads(self, inputs: tuple[Shape, ...]) -> tuple[int, int, int, int]:
        h, w, _ = inputs[0]
        return _pads(self.padding, (h, w), self.pool, self.strides)

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        if len(inputs[0]) != 3:
            raise ValueError(f"{self.kind} needs an (H, W, C) input, got {inputs[0]}")
        h, w, c = inputs[0]
        top, bottom, left, right = self.pads(inputs)
        ho = _window_out(h, self.pool[0], self.strides[0], top, bottom)
        wo = _window_out(w, self.pool[1], self.strides[1], left, right)
        if ho <= 0 or wo <= 0:
            raise ValueError(f"pool {self.pool} larger than the input {h}x{w}")
        return ho, wo, c

    def elementwise_ops(self, inputs: tuple[Shape, ...]) -> int:
        return prod(self.output_shape(inputs)) * self.pool[0] * self.pool[1]


@dataclass(frozen=True)
class MaxPool(_Pool):
    kind = "maxpool"


@dataclass(frozen=True)
class AvgPool(_Pool):
    """Average pooling; ``count_include_pad`` divides by the whole window (padding counted as zeros),
    else by the elements inside the input (ONNX's default and TensorFlow's)."""

    count_include_pad: bool = False
    kind = "avgpool"


@dataclass(frozen=True)
class GlobalAvgPool(Layer):
    """Mean over H and W: (H, W, C) -> (C,)."""

    kind = "global_avg_pool"

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        if len(inputs[0]) != 3:
            raise ValueError(f"global_avg_pool needs an (H, W, C) input, got {inputs[0]}")
        return (inputs[0][2],)

    def elementwise_ops(self, inputs: tuple[Shape, ...]) -> int:
        return prod(inputs[0])


@dataclass(frozen=True)
class Flatten(Layer):
    """Reshape to a vector: a view, no data moves."""

    kind = "flatten"

    def output_shape(self, inputs: tuple[Shape, ...]) -> Shape:
        return (prod(inputs[0]),)

    def elementwise_ops(self, inputs: tuple[Shape, ...]) -> int:
        return 0


LOSSES = ("softmax_cross_entropy", "mse")
"""Loss functions a graph may end in."""

ALIASING_KINDS = frozenset({"flatten", "dropout"})
"""Layers whose output is their input buffer (a view or a no-op)."""

ELEMENTWISE_KINDS = frozenset(
    {"relu", "relu6", "leaky_relu", "sigmoid", "tanh", "elu", "hard_sigmoid", "hard_swish", "batchnorm"}
)
"""Single-input layers that can run in place when nothing else reads their input."""

MASK_KINDS = frozenset({"relu", "relu6", "leaky_relu", "hard_sigmoid"})
"""Activations whose backward needs only a 1-bit mask of the forward input."""

INPUT_KEEPING_KINDS = frozenset({"hard_swish"})
"""Parameter-free layers whose backward reads their forward input."""

OUTPUT_KEEPING_KINDS = frozenset({"sigmoid", "tanh", "elu"})
"""Layers whose backward reads their forward output."""
