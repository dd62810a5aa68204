"""The layer graph: a DAG of named nodes with shape inference, parameters and MACs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from math import prod
from typing import TypeVar, overload

from workloads.errors import WorkloadError
from workloads.layers import (
    ELU,
    LOSSES,
    Add,
    AvgPool,
    BatchNorm,
    Concat,
    Conv2d,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool,
    HardSigmoid,
    HardSwish,
    Input,
    Layer,
    LeakyReLU,
    MaxPool,
    Mul,
    ReLU,
    ReLU6,
    Shape,
    Sigmoid,
    Tanh,
    Upsample,
)

_L = TypeVar("_L", bound=Layer)


@dataclass(frozen=True)
class Node:
    """One layer in the graph, with the names of the nodes it reads and its inferred shapes."""

    name: str
    layer: Layer
    inputs: tuple[str, ...]
    input_shapes: tuple[Shape, ...]
    output_shape: Shape

    @property
    def kind(self) -> str:
        return self.layer.kind

    def layer_as(self, cls: type[_L]) -> _L:
        """This node's layer as a ``cls`` (for code that has already dispatched on :attr:`kind`).

        Raises
        ------
        TypeError
            If the layer is another type: the caller dispatched wrongly, a bug.
        """
        if not isinstance(self.layer, cls):
            raise TypeError(f"node {self.name!r} is a {self.kind} layer, not a {cls.__name__}")
        return self.layer

    @property
    def weight_count(self) -> int:
        return self.layer.weight_count(self.input_shapes)

    @property
    def bias_count(self) -> int:
        return self.layer.bias_count(self.input_shapes)

    @property
    def param_count(self) -> int:
        return self.weight_count + self.bias_count

    @property
    def buffer_count(self) -> int:
        """Stored values that never train (batch-norm running statistics)."""
        return self.layer.buffer_count(self.input_shapes) if isinstance(self.layer, BatchNorm) else 0

    @property
    def macs(self) -> int:
        return self.layer.macs(self.input_shapes)

    @property
    def elementwise_ops(self) -> int:
        return self.layer.elementwise_ops(self.input_shapes)

    @property
    def output_elements(self) -> int:
        return prod(self.output_shape)

    @property
    def has_weights(self) -> bool:
        """True for the layers that carry a weight tensor (convolutions and dense layers)."""
        return self.layer.has_weights


@dataclass(frozen=True)
class Graph:
    """A topologically ordered DAG of nodes, ending in a loss.

    Build one with :class:`GraphBuilder`; the first node is the :class:`Input`.
    """

    name: str
    nodes: tuple[Node, ...]
    loss: str = "softmax_cross_entropy"
    _index: dict[str, Node] = field(default_factory=dict, repr=False, compare=False)
    _consumers: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    def __hash__(self) -> int:
        # the fields' hash, computed once: a graph is immutable, and caches keyed by a scenario hash
        # its graph on every lookup (hundreds of nodes and their layers, about 1 ms on MobileNet)
        cached = self.__dict__.get("_hash_value")
        if cached is None:
            cached = hash((self.name, self.nodes, self.loss))
            object.__setattr__(self, "_hash_value", cached)
        return cached

    def __getstate__(self) -> dict[str, object]:
        # string hashes differ between processes: a pickled graph computes its own again
        return {k: v for k, v in self.__dict__.items() if k != "_hash_value"}

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise WorkloadError(self.name, "loss", self.loss, f"one of {', '.join(LOSSES)}")
        self._index.update({n.name: n for n in self.nodes})
        readers: dict[str, list[str]] = {n.name: [] for n in self.nodes}
        for node in self.nodes:
            for source in dict.fromkeys(node.inputs):  # a node reading one tensor twice is one consumer
                readers[source].append(node.name)
        self._consumers.update({name: tuple(names) for name, names in readers.items()})

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    def __getitem__(self, name: str) -> Node:
        return self._index[name]

    def __contains__(self, name: str) -> bool:
        return name in self._index

    @property
    def input_shape(self) -> Shape:
        return self.nodes[0].output_shape

    @property
    def output(self) -> Node:
        return self.nodes[-1]

    @property
    def params(self) -> int:
        return sum(n.param_count for n in self.nodes)

    @property
    def macs(self) -> int:
        return sum(n.macs for n in self.nodes)

    def consumers(self, name: str) -> tuple[str, ...]:
        """Names of the nodes that read the output of ``name``, in program order."""
        return self._consumers.get(name, ())

    def weighted_nodes(self) -> tuple[Node, ...]:
        """Convolutions and dense layers, in program order."""
        return tuple(n for n in self.nodes if n.has_weights)


@overload
def _pair(value: int | tuple[int, int]) -> tuple[int, int]: ...


@overload
def _pair(value: int | tuple[int, int] | None) -> tuple[int, int] | None: ...


def _pair(value: int | tuple[int, int] | None) -> tuple[int, int] | None:
    """``3 -> (3, 3)``; a pair stays a pair; ``None`` (a pool's default stride) stays ``None``."""
    if value is None:
        return None
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


class GraphBuilder:
    """Appends layers in program order; each method returns the new node's name.

    Parameters
    ----------
    name
        The model name.
    input_shape
        Per-sample input shape, ``(H, W, C)`` or ``(F,)``.
    """

    def __init__(self, name: str, input_shape: Shape) -> None:
        self.name = name
        self._nodes: list[Node] = []
        self._counts: dict[str, int] = {}
        self.last = self.add_layer(Input(shape=tuple(input_shape)), (), name="input")

    def add_layer(self, layer: Layer, inputs: tuple[str, ...], name: str | None = None) -> str:
        """Append ``layer`` reading ``inputs``; infer its output shape."""
        if name is None:
            index = self._counts.get(layer.kind, 0)
            self._counts[layer.kind] = index + 1
            name = f"{layer.kind}_{index}"
        known = {n.name: n for n in self._nodes}
        if name in known:
            raise WorkloadError(self.name, "layer name", name, "a name not used before in this graph")
        missing = [i for i in inputs if i not in known]
        if missing:
            raise WorkloadError(self.name, f"{name}.inputs", missing[0], "the name of an earlier layer")
        if len(inputs) != layer.arity:
            raise WorkloadError(self.name, f"{name}.inputs", inputs, f"{layer.arity} input(s)")
        in_shapes = tuple(known[i].output_shape for i in inputs)
        try:
            out_shape = layer.output_shape(in_shapes)
        except ValueError as exc:
            raise WorkloadError(self.name, f"{name} ({layer.kind})", in_shapes, str(exc)) from None
        self._nodes.append(Node(name, layer, tuple(inputs), in_shapes, tuple(out_shape)))
        self.last = name
        return name

    def _chain(self, layer: Layer, x: str | None, name: str | None) -> str:
        return self.add_layer(layer, (x or self.last,), name)

    def conv(
        self,
        out_channels: int,
        kernel: int | tuple[int, int] = 3,
        stride: int | tuple[int, int] = 1,
        padding: str | int | tuple[int, int, int, int] = "same",
        groups: int = 1,
        bias: bool = True,
        x: str | None = None,
        name: str | None = None,
    ) -> str:
        return self._chain(Conv2d(out_channels, _pair(kernel), _pair(stride), padding, groups, bias), x, name)

    def depthwise(
        self,
        kernel: int | tuple[int, int] = 3,
        stride: int | tuple[int, int] = 1,
        padding: str | int | tuple[int, int, int, int] = "same",
        bias: bool = True,
        x: str | None = None,
        name: str | None = None,
    ) -> str:
        channels = self._shape(x)[-1]
        return self.conv(channels, kernel, stride, padding, channels, bias, x, name)

    def dense(self, units: int, bias: bool = True, x: str | None = None, name: str | None = None) -> str:
        return self._chain(Dense(units, bias), x, name)

    def batchnorm(self, x: str | None = None, name: str | None = None) -> str:
        return self._chain(BatchNorm(), x, name)

    def relu(self, x: str | None = None, name: str | None = None) -> str:
        return self._chain(ReLU(), x, name)

    def relu6(self, x: str | None = None, name: str | None = None) -> str:
        return self._chain(ReLU6(), x, name)

    def leaky_relu(self, alpha: float = 0.01, x: str | None = None, name: str | None = None) -> str:
        return self._chain(LeakyReLU(float(alpha)), x, name)

    def sigmoid(self, x: str | None = None, name: str | None = None) -> str:
        return self._chain(Sigmoid(), x, name)

    def tanh(self, x: str | None = None, name: str | None = None) -> str:
        return self._chain(Tanh(), x, name)

    def elu(self, alpha: float = 1.0, x: str | None = None, name: str | None = None) -> str:
        return self._chain(ELU(float(alpha)), x, name)

    def hard_sigmoid(
        self, alpha: float = 0.2, beta: float = 0.5, x: str | None = None, name: str | None = None
    ) -> str:
        return self._chain(HardSigmoid(float(alpha), float(beta)), x, name)

    def hard_swish(self, x: str | None = None, name: str | None = None) -> str:
        return self._chain(HardSwish(), x, name)

    def dropout(self, rate: float = 0.5, x: str | None = None, name: str | None = None) -> str:
        return self._chain(Dropout(rate), x, name)

    def maxpool(
        self,
        pool: int | tuple[int, int] = 2,
        stride: int | tuple[int, int] | None = None,
        padding: str | int | tuple[int, int, int, int] = "valid",
        x: str | None = None,
        name: str | None = None,
    ) -> str:
        return self._chain(MaxPool(_pair(pool), _pair(stride), padding), x, name)

    def avgpool(
        self,
        pool: int | tuple[int, int] = 2,
        stride: int | tuple[int, int] | None = None,
        padding: str | int | tuple[int, int, int, int] = "valid",
        x: str | None = None,
        name: str | None = None,
    ) -> str:
        return self._chain(AvgPool(_pair(pool), _pair(stride), padding), x, name)

    def global_avg_pool(self, x: str | None = None, name: str | None = None) -> str:
        return self._chain(GlobalAvgPool(), x, name)

    def flatten(self, x: str | None = None, name: str | None = None) -> str:
        return self._chain(Flatten(), x, name)

    def add(self, a: str, b: str, name: str | None = None) -> str:
        return self.add_layer(Add(), (a, b), name)

    def mul(self, x: str, s: str, name: str | None = None) -> str:
        """``x * s``; ``s`` of ``x``'s shape or a ``(C,)`` channel gate."""
        return self.add_layer(Mul(), (x, s), name)

    def concat(self, *xs: str, name: str | None = None) -> str:
        """``xs`` (at least 2) joined along the last axis (channels, or features of a vector)."""
        if len(xs) < 2:
            raise WorkloadError(self.name, f"{name or 'concat'}.inputs", xs, "at least 2 inputs")
        return self.add_layer(Concat(len(xs)), tuple(xs), name)

    def upsample(
        self, scale: int | tuple[int, int] = 2, x: str | None = None, name: str | None = None
    ) -> str:
        """Nearest-neighbour upsampling: each pixel repeated ``scale`` = ``(sh, sw)`` (or one int) times."""
        pair = (scale, scale) if isinstance(scale, int) else tuple(scale)
        if len(pair) != 2 or any(int(s) != s or s < 1 for s in pair):
            allowed = "one or two positive integers"
            raise WorkloadError(self.name, f"{name or 'upsample'}.scale", scale, allowed)
        return self._chain(Upsample((int(pair[0]), int(pair[1]))), x, name)

    def _shape(self, x: str | None) -> Shape:
        target = x or self.last
        return next(n.output_shape for n in self._nodes if n.name == target)

    def build(self, loss: str = "softmax_cross_entropy") -> Graph:
        """Return the finished, immutable graph."""
        return Graph(self.name, tuple(self._nodes), loss)
