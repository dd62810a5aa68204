"""Gradient accumulation: a training step of ``batch`` samples run as micro-batches, then one update.

What firmware short of SRAM does (and what :attr:`workloads.plan.TrainingPlan.micro_batch_size` plans):
the step's forward and backward run on ``micro_batch_size`` samples at a time, each part's parameter
gradients (of its share of the batch's mean loss) are added up, and the optimizer updates once. The
effective batch and its numerics are kept (they differ from a whole-batch step only in the order of
floating-point sums); the activations are those of one micro-batch. A last part of a smaller batch (an
epoch's remainder) is a micro-batch of what is left.

Training-mode batch-norm normalises with statistics of the whole batch, which micro-batches would change:
pretraining (the only place it runs) never micro-batches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from workloads.errors import WorkloadError
from workloads.step import CompiledStep, TrainState

if TYPE_CHECKING:
    from workloads.network import Network


def micro_batches(batch: int, state: TrainState) -> bool:
    """Whether a step of ``batch`` samples under ``state`` runs as micro-batches."""
    size = state.plan.micro_batch_size
    return size is not None and batch > size and state.batchnorm != "train"


class MicroBatchStep:
    """A training step of ``batch`` samples as micro-batches of ``state.plan.micro_batch_size``.

    ``sizes`` are the parts in order; ``macs`` the MACs per phase of the whole step (the parts' sum).
    """

    def __init__(self, network: Network, batch: int, state: TrainState) -> None:
        from workloads.split import grads_like

        size = state.plan.micro_batch_size or batch
        self.network, self.batch, self.state = network, batch, state
        self.sizes = (size,) * (batch // size) + ((batch % size,) if batch % size else ())
        part_grads = grads_like(state.grads)
        self.parts = {
            n: CompiledStep(network, n, state, network.quant, part_grads) for n in sorted(set(self.sizes))
        }
        self.macs = {
            phase: sum(self.parts[n].macs[phase] for n in self.sizes) for phase in self.parts[size].macs
        }
        self.fused = self.parts[size].fused
        self._sums = [
            (total, part)
            for name, g in state.grads.items()
            for total, part in ((g.weight, part_grads[name].weight), (g.bias, part_grads[name].bias))
            if total is not None and part is not None
        ]

    def run_step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One training step on ``(x, y)``; returns the mean loss of the whole batch."""
        y = np.asarray(y)
        if y.shape[:1] != (self.batch,):
            labels = self.parts[self.sizes[0]].labels
            raise WorkloadError(
                self.network.graph.name, "labels", y.shape, f"shape {(self.batch, *labels.shape[1:])}"
            )
        loss, start = 0.0, 0
        for i, n in enumerate(self.sizes):
            part = self.parts[n]
            part.load_labels(y[start : start + n])
            loss += n * part.forward_backward(x[start : start + n], n / self.batch)
            for total, grad in self._sums:  # the first part's gradient starts the sum
                if i == 0:
                    np.copyto(total, grad)
                else:
                    np.add(total, grad, out=total)
            start += n
        self.state.finish_step(self.macs, self.batch)
        return loss / self.batch
