"""Data-parallel training step: a batch run as two halves in two threads, one update.

At the batch sizes of a training step the im2col + BLAS convolutions are too small for BLAS to use a
second core, and the Numba loops are single-threaded, so one step program uses one core. A batch of at
least :data:`SPLIT_MIN_BATCH` samples therefore runs as two halves (``ceil(B/2)`` and ``floor(B/2)``
samples), each with its own step program (activations, activation gradients, parameter gradients) over
the shared parameters: forward, loss and backward of the halves run at the same time, one in the calling
thread and one in the network's worker thread (the kernels release the GIL), with BLAS held to one thread
meanwhile so that the two never compete for the cores with BLAS's own threads. Each half scales its loss
gradient by its share of the batch (``n_half / B``), so the batch gradient is the sum of the halves',
added in a fixed order (first half + second half); the optimizer then updates once.

Determinism: whether a step splits depends only on the batch size and the batch-norm mode, never on the
machine, its core count or timing, and each half computes into its own buffers, so the same scenario gives
the same numbers bit for bit run after run (across CPUs only as far as their BLAS kernels round alike).
They differ from an unsplit step only by the order of floating-point sums (the weight-gradient sums over
the batch are done per half, then added).

Training-mode batch-norm (pretraining) normalises with statistics of the whole batch, which couples the
halves: such steps never split.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from threadpoolctl import ThreadpoolController

from workloads.errors import WorkloadError
from workloads.layer_ops import ParamGrads
from workloads.step import CompiledStep, TrainState

if TYPE_CHECKING:
    from workloads.micro_batch import MicroBatchStep
    from workloads.network import Network

SPLIT_MIN_BATCH = 2
"""Smallest batch a training step splits into two concurrent halves (smaller: one program, one thread)."""

SPLIT_MIN_CONV_MACS = 8_000_000
"""Smallest forward convolution work of a step (batch x convolution MACs per sample) that splits.

Handing a half to the worker thread costs about 0.1-0.3 ms (a thread wake-up, and both halves' Python
call loops sharing the GIL), which a small step does not win back; and dense layers gain nothing, since
their GEMMs are already large enough for BLAS to use both cores. Measured with
``benchmarks/bench_train_step.py``-style steps on 2 cores (split / whole step time, forward convolution
MACs of the step): mlperf-resnet8 0.78 at batch 2 (25 M), 0.63 at 4, 0.57 at 8; mlperf-dscnn 1.30 at batch
2 (5.3 M), 0.99 at 4 (10.6 M), 0.80 at 6 (16 M), 0.75 at 8; lenet-digits 1.73 at batch 32 (0.74 M), 1.22
at 64, 0.95 at 96 (2.2 M), 0.75 at 192 (4.4 M); the dense-only mlperf-autoencoder 1.62 at batch 32 and
1.08 at 128. The threshold keeps dscnn's batch 2 whole and gives up lenet's wide batches, which models
with many small layers (more calls per step) would not win back.
"""


T = TypeVar("T")


def splits(batch: int, state: TrainState) -> bool:
    """Whether a step of ``batch`` samples under ``state`` runs as two halves.

    Yes when ``batch`` is at least :data:`SPLIT_MIN_BATCH`, the step's forward convolution MACs at least
    :data:`SPLIT_MIN_CONV_MACS` and no batch-norm runs in training mode: a rule on the graph and the
    batch only, never on the machine, so every machine splits the same steps the same way.
    """
    if batch < SPLIT_MIN_BATCH or state.batchnorm == "train":
        return False
    conv_macs = sum(node.macs for node in state.network.graph if node.kind == "conv2d")
    return batch * conv_macs >= SPLIT_MIN_CONV_MACS


def build_step(network: Network, batch: int, state: TrainState) -> CompiledStep | SplitStep | MicroBatchStep:
    """The step of ``batch`` samples: micro-batches when the plan asks for them
    (:mod:`workloads.micro_batch`), two halves when :func:`splits` says so, else one program."""
    from workloads.micro_batch import MicroBatchStep, micro_batches

    if micro_batches(batch, state):
        return MicroBatchStep(network, batch, state)
    if splits(batch, state):
        return SplitStep(network, batch, state)
    return CompiledStep(network, batch, state, network.quant)


class StepWorkers:
    """The worker thread of a network's split steps and the BLAS thread limit around them.

    Owned by one :class:`workloads.network.Network` (made on its first split step, closed with it).
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tinyemu-half")
        # made after the kernels loaded SciPy's BLAS, so it sees that library
        self._blas = ThreadpoolController()

    def run_pair(self, first: Callable[[], T], second: Callable[[], T]) -> tuple[T, T]:
        """``(first(), second())`` run at the same time (``second`` in the worker), BLAS on one thread."""
        with self._blas.limit(limits=1, user_api="blas"):
            future = self._pool.submit(second)
            try:
                result = first()
            finally:
                wait([future])  # never leave the worker running past the BLAS limit or an error
        return result, future.result()

    def close(self) -> None:
        """Stop the worker thread (after the call it runs, if any)."""
        self._pool.shutdown(wait=True)


class SplitStep:
    """A training step of ``batch`` samples as two concurrent halves, gradients summed, one update.

    ``halves`` are the two :class:`workloads.step.CompiledStep` (``ceil(batch/2)`` then ``floor(batch/2)``
    samples); ``macs`` are the MACs per phase of one step (the sum of the halves', equal to those of one
    program of ``batch`` samples); ``fused`` the fused batch-norm + ReLU pairs (the same in both halves).
    """

    def __init__(self, network: Network, batch: int, state: TrainState) -> None:
        self.network, self.batch, self.state = network, batch, state
        first = (batch + 1) // 2
        self.sizes = (first, batch - first)
        half_grads = (grads_like(state.grads), grads_like(state.grads))
        self.halves = tuple(
            CompiledStep(network, n, state, network.quant, grads)
            for n, grads in zip(self.sizes, half_grads, strict=True)
        )
        self.macs = {phase: sum(h.macs[phase] for h in self.halves) for phase in self.halves[0].macs}
        self.fused = self.halves[0].fused
        self._sums = [
            (total, a, b)
            for name, g in state.grads.items()
            for total, a, b in (
                (g.weight, half_grads[0][name].weight, half_grads[1][name].weight),
                (g.bias, half_grads[0][name].bias, half_grads[1][name].bias),
            )
            # the halves' buffers are laid out like the totals (_grads_like): all None or all arrays
            if total is not None and a is not None and b is not None
        ]

    def run_step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One training step on ``(x, y)``; returns the mean loss of the whole batch."""
        batch, (n0, n1) = self.batch, self.sizes
        first, second = self.halves
        y = np.asarray(y)
        if y.shape[:1] != (batch,):
            labels = first.labels
            raise WorkloadError(
                self.network.graph.name,
                "labels",
                y.shape,
                f"shape {(batch, *labels.shape[1:])}, {labels.dtype}",
            )
        first.load_labels(y[:n0])
        second.load_labels(y[n0:])
        loss0, loss1 = self.network.step_workers().run_pair(
            lambda: first.forward_backward(x[:n0], n0 / batch),
            lambda: second.forward_backward(x[n0:], n1 / batch),
        )
        for total, a, b in self._sums:
            np.add(a, b, out=total)
        self.state.finish_step(self.macs, batch)
        return (n0 * loss0 + n1 * loss1) / batch


def grads_like(grads: dict[str, ParamGrads]) -> dict[str, ParamGrads]:
    """Zeroed gradient buffers of the same layout (columns a sparse update skips stay zero)."""
    return {
        name: ParamGrads(
            None if g.weight is None else np.zeros_like(g.weight),
            None if g.bias is None else np.zeros_like(g.bias),
            g.channels,
        )
        for name, g in grads.items()
    }
