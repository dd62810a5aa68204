"""Training plans: what one training step updates, with which optimizer, batch and precision."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workloads.errors import WorkloadError, did_you_mean
from workloads.graph import Graph

UPDATE_POLICIES = ("none", "full", "last:K", "bias", "sparse")

_NAMED_POLICIES = tuple(p for p in UPDATE_POLICIES if p != "last:K")
"""The policies given by name; ``last:K`` is a pattern whose K is a number, never the letter."""


def _policy_suggestions(word: str) -> tuple[str, ...]:
    """What a typo of an update policy may have meant: the named policies and ``last:N`` with the number
    the word holds (``last2`` -> ``last:2``), or ``last:1``; never the placeholder ``last:K``."""
    digits = "".join(c for c in word if c in "0123456789")[
        :6
    ]  # not str.isdigit: '²' is a digit to it  # a policy's K has at most six digits
    return (*_NAMED_POLICIES, f"last:{max(1, int(digits)) if digits else 1}")


OPTIMIZERS = ("sgd", "sgd-momentum", "adam")
PRECISIONS = ("fp32", "int8")

_LAST_K = re.compile(r"last:([1-9][0-9]{0,5})")
"""``last:K`` with K a positive integer of at most six digits (no graph has a million weighted layers)."""

OPTIMIZER_STATE_SLOTS = {"sgd": 0, "sgd-momentum": 1, "adam": 2}
"""fp32 state tensors the optimizer keeps per trained parameter (momentum; Adam's first and second moment)."""


@dataclass(frozen=True)
class LayerTraining:
    """What one layer trains: a fraction of its weight's output channels, and/or its bias."""

    weight_fraction: float = 0.0
    bias: bool = False

    @property
    def trains(self) -> bool:
        return self.weight_fraction > 0 or self.bias


@dataclass(frozen=True)
class TrainingPlan:
    """What one training step does.

    Parameters
    ----------
    update
        ``none`` (inference only), ``full``, ``last:K`` (the last K convolution/dense layers), ``bias``
        (biases only) or ``sparse`` (biases of the last ``sparse_bias_layers`` convolution/dense layers,
        plus the weights of the layers in ``sparse_weights`` with the fraction of output channels updated).
    optimizer
        ``sgd``, ``sgd-momentum`` or ``adam``.
    batch_size
        Samples per training step.
    precision
        ``fp32``, or ``int8`` (int8 weights and forward activations, fp32 gradients).
    reorder
        Apply each layer's update as soon as its gradient exists and free the gradient.
    micro_batch_size
        Samples per micro-step (gradient accumulation): the step runs ``batch_size / micro_batch_size``
        forward and backward passes of this many samples, adds their gradients and updates once, so the
        effective batch and its numerics are kept while activations are those of one micro-batch.
        ``None`` (the default) runs the whole batch at once. Must divide ``batch_size``.
    recompute
        Layers whose output, kept for backward, is instead dropped after the forward pass and
        recomputed from the nearest kept tensor just before the backward pass reads it
        (see :mod:`workloads.recompute`).
    learning_rate, momentum
        Optimizer hyper-parameters (used by functional training).

    A batch-norm layer follows the convolution or dense layer that feeds it: its gamma trains when that
    layer's weights train and its beta when that layer's bias trains (BN folds into the layer on device).
    """

    update: str = "full"
    optimizer: str = "sgd"
    batch_size: int = 1
    precision: str = "fp32"
    reorder: bool = False
    micro_batch_size: int | None = None
    recompute: tuple[str, ...] = ()
    sparse_bias_layers: int = 0
    sparse_weights: Mapping[str, float] = field(default_factory=dict, hash=False)  # compared, not hashed
    learning_rate: float = 0.01
    momentum: float = 0.9
    source: str = field(default="plan", compare=False)

    def __post_init__(self) -> None:
        src = self.source
        if not isinstance(self.update, str) or not (
            self.update in _NAMED_POLICIES or self._last_k() is not None
        ):
            raise WorkloadError(
                src,
                "plan.update",
                self.update,
                f"one of {', '.join(UPDATE_POLICIES)} (K a positive integer, at most 6 digits)"
                + did_you_mean(str(self.update), _policy_suggestions(str(self.update))),
            )
        if self.optimizer not in OPTIMIZERS:
            raise WorkloadError(
                src,
                "plan.optimizer",
                self.optimizer,
                f"one of {', '.join(OPTIMIZERS)}{did_you_mean(str(self.optimizer), OPTIMIZERS)}",
            )
        if self.precision not in PRECISIONS:
            raise WorkloadError(
                src,
                "plan.precision",
                self.precision,
                f"one of {', '.join(PRECISIONS)}{did_you_mean(str(self.precision), PRECISIONS)}",
            )
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise WorkloadError(src, "plan.batch_size", self.batch_size, "a positive integer")
        if not isinstance(self.reorder, bool):
            raise WorkloadError(src, "plan.reorder", self.reorder, "true or false")
        micro = self.micro_batch_size
        if micro is not None and (
            isinstance(micro, bool) or not isinstance(micro, int) or micro < 1 or self.batch_size % micro
        ):
            raise WorkloadError(
                src, "plan.micro_batch_size", micro, f"a positive divisor of batch_size ({self.batch_size})"
            )
        if not isinstance(self.recompute, list | tuple) or not all(
            isinstance(n, str) for n in self.recompute
        ):
            raise WorkloadError(src, "plan.recompute", self.recompute, "a list of layer names")
        if (
            isinstance(self.sparse_bias_layers, bool)
            or not isinstance(self.sparse_bias_layers, int)
            or self.sparse_bias_layers < 0
        ):
            raise WorkloadError(
                src, "plan.sparse_bias_layers", self.sparse_bias_layers, "a non-negative integer"
            )
        if not isinstance(self.sparse_weights, Mapping):
            raise WorkloadError(
                src,
                "plan.sparse_weights",
                self.sparse_weights,
                "a table of layer name -> fraction of output channels, e.g. { conv2d_8 = 0.25 }",
            )
        for name, fraction in self.sparse_weights.items():
            if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction <= 1:
                raise WorkloadError(src, f"plan.sparse_weights.{name}", fraction, "a fraction in (0, 1]")
        if self.update == "sparse" and not self.sparse_bias_layers and not self.sparse_weights:
            raise WorkloadError(
                src,
                "plan.sparse_bias_layers",
                0,
                "with update = sparse, a positive count and/or a sparse_weights table (a sparse update of "
                'nothing trains nothing: update = "none" says so)',
            )
        # lr 0 stays allowed here (tests run a step that must not move the weights); a scenario asks > 0
        for key, high, closed, allowed in (
            ("learning_rate", 1000.0, True, "a finite number in [0, 1000]"),
            ("momentum", 1.0, False, "a number in [0, 1) (1 or more makes the velocity diverge)"),
        ):
            value = getattr(self, key)
            numeric = not isinstance(value, bool) and isinstance(value, int | float)
            if not numeric or not (0 <= value <= high if closed else 0 <= value < high):
                raise WorkloadError(src, f"plan.{key}", value, allowed)
        object.__setattr__(self, "sparse_weights", dict(self.sparse_weights))
        object.__setattr__(self, "recompute", tuple(sorted(set(self.recompute))))

    def _last_k(self) -> int | None:
        if not self.update.startswith("last:"):
            return None
        match = _LAST_K.fullmatch(self.update)  # ASCII digits only: "last:²" is not a count
        return int(match.group(1)) if match else None

    @property
    def trains(self) -> bool:
        return self.update != "none"

    @property
    def micro_steps(self) -> int:
        """Forward and backward passes per step: ``batch_size / micro_batch_size`` (1 without it)."""
        return self.batch_size // self.micro_batch_size if self.micro_batch_size else 1

    @property
    def samples_per_pass(self) -> int:
        """Samples one forward or backward pass holds: the micro-batch, else the whole batch."""
        return self.micro_batch_size or self.batch_size

    @property
    def optimizer_state_slots(self) -> int:
        return OPTIMIZER_STATE_SLOTS[self.optimizer] if self.trains else 0

    def to_dict(self) -> dict[str, Any]:
        """The plan as every result's ``--json`` document shows it.

        ``micro_batch_size`` and ``recompute`` appear only when set, so documents of plans that use
        neither are unchanged.
        """
        extra: dict[str, Any] = {}
        if self.micro_batch_size is not None:
            extra["micro_batch_size"] = self.micro_batch_size
        if self.recompute:
            extra["recompute"] = list(self.recompute)
        return {
            "update": self.update,
            "optimizer": self.optimizer,
            "batch_size": self.batch_size,
            "precision": self.precision,
            "reorder": self.reorder,
            "sparse_bias_layers": self.sparse_bias_layers,
            "sparse_weights": dict(self.sparse_weights),
            "learning_rate": self.learning_rate,
            "momentum": self.momentum,
            **extra,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainingPlan:
        """The plan a :meth:`to_dict` document describes (validated as any plan is)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "source"}
        if "recompute" in known:
            known["recompute"] = tuple(known["recompute"])
        return cls(**known)

    def with_changes(self, **changes: Any) -> TrainingPlan:
        """A copy with some fields changed (validated again)."""
        values = {k: getattr(self, k) for k in self.__dataclass_fields__}
        values.update(changes)
        return TrainingPlan(**values)

    def describe(self) -> str:
        """One line: update, optimizer, batch, precision and reorder."""
        update = self.update
        if update == "sparse":
            update = f"sparse(bias last {self.sparse_bias_layers}, weights {len(self.sparse_weights)} layers)"
        extra = ", reorder" if self.reorder else ""
        if self.micro_steps > 1:
            extra += f", micro-batch {self.micro_batch_size} x{self.micro_steps}"
        if self.recompute:
            extra += f", recompute {len(self.recompute)}"
        return f"{update}, {self.optimizer}, batch {self.batch_size}, {self.precision}{extra}"

    def resolve(self, graph: Graph) -> dict[str, LayerTraining]:
        """What each node of ``graph`` trains under this plan (nodes that train nothing are left out).

        Raises
        ------
        WorkloadError
            If the plan names a layer the graph lacks, a layer without weights, or asks for more layers
            than the graph has.
        """
        weighted = [n.name for n in graph.weighted_nodes()]
        result: dict[str, LayerTraining] = {}
        if self.update == "full":
            result = {
                n.name: LayerTraining(1.0 if n.weight_count else 0.0, n.bias_count > 0)
                for n in graph
                if n.param_count
            }
            return result
        if self.update == "bias":
            result = {n.name: LayerTraining(0.0, True) for n in graph if n.bias_count}
            return result
        if self.update == "sparse":
            if self.sparse_bias_layers > len(weighted):
                raise WorkloadError(
                    self.source,
                    "plan.sparse_bias_layers",
                    self.sparse_bias_layers,
                    f"at most {len(weighted)} (the layers with weights in {graph.name})",
                )
            for name, fraction in self.sparse_weights.items():
                if name not in graph or not graph[name].has_weights:
                    raise WorkloadError(
                        self.source,
                        "plan.sparse_weights",
                        name,
                        f"a convolution or dense layer of {graph.name}" + did_you_mean(name, weighted),
                    )
                result[name] = LayerTraining(float(fraction), False)
            biased = weighted[len(weighted) - self.sparse_bias_layers :] if self.sparse_bias_layers else []
            for name in biased:
                old = result.get(name, LayerTraining())
                result[name] = LayerTraining(old.weight_fraction, graph[name].bias_count > 0)
        elif self.update.startswith("last:"):
            k = self._last_k() or 0
            if k > len(weighted):
                raise WorkloadError(
                    self.source,
                    "plan.update",
                    self.update,
                    f"K at most {len(weighted)} (the layers with weights in {graph.name})",
                )
            for name in weighted[len(weighted) - k :]:
                result[name] = LayerTraining(1.0, graph[name].bias_count > 0)
        return self._with_batchnorm(graph, result)

    @staticmethod
    def _with_batchnorm(graph: Graph, trained: dict[str, LayerTraining]) -> dict[str, LayerTraining]:
        """Let each batch-norm follow the weighted layer that feeds it."""
        result = dict(trained)
        for node in graph:
            if node.kind == "batchnorm":
                producer = trained.get(node.inputs[0])
                if producer is not None:
                    bn = LayerTraining(producer.weight_fraction, producer.bias)
                    if bn.trains:
                        result[node.name] = bn
        return {k: v for k, v in result.items() if v.trains}
