"""A graph made executable: parameters, forward, and plan-driven training steps on the Numba kernels.

The training step follows the rules of the cost side (:mod:`workloads.program`, mirrored here because
``workloads`` never imports ``emu``): a layer runs backward only if it or a layer before it trains; the
gradient of an input is computed only where something upstream of that input trains; weight gradients only
for what the plan trains (sparse update: the first ``trained_out_channels``); batch-norm runs in frozen mode
(running statistics, what the device does and the memory planner assumes) unless a trainer asks for
training mode (full pretraining: batch statistics, running statistics updated); dropout is the identity.
The MACs each phase executes are counted from the shapes of the kernel calls
(:attr:`TrainState.macs_by_phase`).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from math import ceil
from pathlib import Path

import numpy as np

from workloads.errors import WorkloadError
from workloads.graph import Graph
from workloads.layer_ops import BN_EPS
from workloads.plan import PRECISIONS, LayerTraining, TrainingPlan
from workloads.quantization import QuantizedLayers
from workloads.split import StepWorkers
from workloads.step import PHASES, CompiledStep, TrainState
from workloads.weights import Weights, check_weights, init_weights, load_weights, save_weights

EVAL_BATCH = 256
"""Samples per call when evaluating many samples (bounds the buffers of inference)."""

BATCHNORM_MODES = ("frozen", "train")
"""How a trainer runs batch-norm: running statistics (the device's fine-tuning) or batch statistics."""

__all__ = ["BATCHNORM_MODES", "BN_EPS", "PHASES", "Network", "TrainState"]


class Network:
    """An executable graph with its parameters.

    Parameters
    ----------
    graph
        The layer graph (NHWC, batch first).
    weights
        Initial parameters in the weights contract (:mod:`workloads.weights`); None draws He-normal
        weights from ``seed``.
    precision
        ``fp32``, or ``int8``: per-channel symmetric int8 weights and int8 activations around every
        convolution and dense layer (int32 accumulation), fp32 gradients on the dequantised tensors and
        QAS-scaled updates of the int8 weights. Call :meth:`calibrate` (or pass ``quantization``) first.
    seed
        Seed of the weight initialisation.
    quantization
        Imported int8 scales per layer (``w_scale``, ``x_scale``, ``x_zero_point``, ``y_scale``,
        ``y_zero_point``), which replace calibration.
    """

    def __init__(
        self,
        graph: Graph,
        weights: Mapping[str, Mapping[str, np.ndarray]] | None = None,
        precision: str = "fp32",
        seed: int = 0,
        quantization: Mapping[str, Mapping[str, object]] | None = None,
    ) -> None:
        if precision not in PRECISIONS:
            raise WorkloadError(graph.name, "precision", precision, f"one of {', '.join(PRECISIONS)}")
        self.graph = graph
        self.precision = precision
        self.params: dict[str, dict[str, np.ndarray]] = {}
        self._inference: dict[int, CompiledStep] = {}
        self._workers: StepWorkers | None = None
        self.quant: QuantizedLayers | None = None  # set_weights below must not requantize yet
        self.set_weights(init_weights(graph, seed) if weights is None else weights, "weights")
        self.quant = QuantizedLayers(graph, self.params) if precision == "int8" else None
        if self.quant is not None and quantization is not None:
            self.quant.set_scales(quantization)

    # -- parameters ----------------------------------------------------------------------------------
    def set_weights(self, weights: Mapping[str, Mapping[str, np.ndarray]], source: str = "weights") -> None:
        """Copy ``weights`` (validated) into the network's parameter arrays, in place."""
        checked = check_weights(self.graph, weights, source)
        for layer, params in checked.items():
            target = self.params.setdefault(layer, {})
            for key, value in params.items():
                if key in target:
                    np.copyto(target[key], value)
                else:
                    target[key] = value
            if "var" in params:
                invstd = (1.0 / np.sqrt(params["var"].astype(np.float64) + BN_EPS)).astype(np.float32)
                if "invstd" in target:
                    np.copyto(target["invstd"], invstd)
                else:
                    target["invstd"] = invstd
        if self.quant is not None:
            self.quant.requantize_weights()

    def weights(self) -> Weights:
        """A copy of the parameters in the weights contract (int8 weights dequantised)."""
        return {
            layer: {k: v.copy() for k, v in params.items() if k != "invstd"}
            for layer, params in self.params.items()
        }

    def save(self, path: str | Path) -> None:
        """Write the parameters to an ``.npz`` file (keys ``"layer/param"``)."""
        save_weights(path, self.weights())

    def load(self, path: str | Path) -> None:
        """Read parameters from an ``.npz`` file; raises WorkloadError naming the file and the key."""
        self.set_weights(load_weights(path, self.graph), str(path))

    # -- int8 ----------------------------------------------------------------------------------------
    def calibrate(self, batches: Iterable[np.ndarray]) -> None:
        """Set the int8 activation scales from the fp32 ranges seen on ``batches`` (int8 networks only)."""
        if self.quant is None:
            raise WorkloadError(self.graph.name, "precision", self.precision, "int8 to calibrate")
        ranges: dict[str, list[float]] = {}
        for x in batches:
            program = self._program(len(x), None, fp32=True)
            program.run_forward(self._input(x))
            for name, (x_lo, x_hi, y_lo, y_hi) in program.ranges().items():
                old = ranges.get(name, [np.inf, -np.inf, np.inf, -np.inf])
                ranges[name] = [min(old[0], x_lo), max(old[1], x_hi), min(old[2], y_lo), max(old[3], y_hi)]
        if not ranges:
            raise WorkloadError(self.graph.name, "calibration data", 0, "at least one batch")
        self.quant.set_ranges(ranges)

    # -- running ---------------------------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """The graph output for the batch ``x`` (a new array)."""
        x = self._input(x)
        outputs = []
        for start in range(0, len(x), EVAL_BATCH):
            chunk = x[start : start + EVAL_BATCH]
            program = self._program(len(chunk), None)
            outputs.append(program.run_forward(chunk).copy())
        return np.concatenate(outputs) if len(outputs) != 1 else outputs[0]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Class indices (argmax of the output) for ``x``."""
        return np.argmax(self.forward(x), axis=1)

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        """Fraction of ``x`` whose predicted class equals ``y``."""
        return float(np.mean(self.predict(x) == np.asarray(y))) if len(x) else 0.0

    def trainer(self, plan: TrainingPlan, batchnorm: str = "frozen") -> TrainState:
        """Training state for ``plan``: gradients and optimizer state for what trains, step programs.

        Parameters
        ----------
        plan
            What trains, with which optimizer, batch size and precision.
        batchnorm
            ``"frozen"`` (default): batch-norm normalises with its running statistics and never changes
            them, as on the device (on-device fine-tuning; what the memory planner and the MAC count
            assume). ``"train"``: batch statistics, and the running statistics move towards them every
            step (momentum 0.1), for full pretraining.
        """
        if batchnorm not in BATCHNORM_MODES:
            raise WorkloadError(plan.source, "batchnorm", batchnorm, " or ".join(BATCHNORM_MODES))
        if (
            self.quant is not None
            and plan.precision != "int8"
            or self.quant is None
            and plan.precision == "int8"
        ):
            raise WorkloadError(
                plan.source, "plan.precision", plan.precision, f"{self.precision} (the network's precision)"
            )
        training = plan.resolve(self.graph) if plan.trains else {}
        channels = {
            name: trained_channels(self.graph[name].output_shape[-1], t) for name, t in training.items()
        }
        return TrainState(self, plan, training, channels, batchnorm)

    def train_step(self, x: np.ndarray, y: np.ndarray, state: TrainState) -> float:
        """One training step on the batch ``(x, y)``: forward, loss, backward, update; returns the loss.

        Large enough steps run as two concurrent halves and one update (:mod:`workloads.split`); the
        returned loss is the mean over the whole batch either way.
        """
        if state.network is not self:
            raise WorkloadError(
                self.graph.name, "train_step state", "another network", "this network's trainer()"
            )
        x = self._input(x)
        program = state.program(len(x))
        return program.run_step(x, y)

    def step_workers(self) -> StepWorkers:
        """The worker thread of split training steps (:mod:`workloads.split`), started on first use and
        stopped by :meth:`close` or when the network is garbage-collected."""
        if self._workers is None:
            self._workers = StepWorkers()
            weakref.finalize(self, self._workers.close)
        return self._workers

    def close(self) -> None:
        """Stop the worker thread of split training steps, if one runs (a later split step restarts it)."""
        if self._workers is not None:
            self._workers.close()
            self._workers = None

    # -- internals -------------------------------------------------------------------------------------
    def _input(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        shape = self.graph.input_shape
        if x.ndim != len(shape) + 1 or tuple(x.shape[1:]) != tuple(shape) or x.shape[0] < 1:
            raise WorkloadError(
                self.graph.name, "input", x.shape, f"a batch of shape (N, {', '.join(map(str, shape))})"
            )
        return np.ascontiguousarray(x, np.float32)

    def _program(self, batch: int, state: TrainState | None, fp32: bool = False) -> CompiledStep:
        if fp32:
            return CompiledStep(self, batch, None, quant=None)
        if batch not in self._inference:
            self._inference[batch] = CompiledStep(self, batch, None, quant=self.quant)
        return self._inference[batch]


def trained_channels(out_channels: int, training: LayerTraining) -> int:
    """Output channels whose weights train (sparse update: a leading fraction, as the cost side counts)."""
    return ceil(training.weight_fraction * out_channels) if training.weight_fraction > 0 else 0
