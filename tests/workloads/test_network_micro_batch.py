"""The executor runs a micro-batched plan as micro-batches: the same step as the whole batch, up to the
order of floating-point sums, with buffers of one micro-batch."""

import numpy as np
import pytest

from workloads.micro_batch import MicroBatchStep
from workloads.network import Network
from workloads.plan import TrainingPlan
from workloads.step import CompiledStep
from workloads.zoo import build_model


@pytest.mark.parametrize(
    "model, update, optimizer, batch, micro",
    [
        ("lenet-digits", "full", "sgd-momentum", 8, 2),
        ("lenet-digits", "last:1", "adam", 6, 3),
        ("mlperf-dscnn", "last:2", "sgd", 6, 2),
    ],
)
def test_micro_batches_train_as_the_whole_batch_does(model, update, optimizer, batch, micro):
    graph = build_model(model)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, *graph.nodes[0].output_shape)).astype(np.float32)
    y = rng.integers(0, graph.output.output_shape[0], batch)
    plan = TrainingPlan(update=update, optimizer=optimizer, batch_size=batch, learning_rate=0.05)
    whole, parts = Network(graph, seed=1), Network(graph, seed=1)
    whole_state = whole.trainer(plan)
    parts_state = parts.trainer(plan.with_changes(micro_batch_size=micro))
    for n in (batch, batch, batch - 1):  # the last, an epoch's remainder: micro-batches and what is left
        loss_whole = whole.train_step(x[:n], y[:n], whole_state)
        loss_parts = parts.train_step(x[:n], y[:n], parts_state)
        assert loss_parts == pytest.approx(loss_whole, rel=1e-5)
    remainder = parts_state.program(batch - 1)
    assert isinstance(remainder, MicroBatchStep) and remainder.sizes[-1] == (batch - 1) % micro
    step = parts_state.program(batch)
    assert isinstance(step, MicroBatchStep) and sum(step.sizes) == batch and max(step.sizes) == micro
    assert all(isinstance(p, CompiledStep) and p.batch <= micro for p in step.parts.values())
    assert parts_state.macs_by_phase == whole_state.macs_by_phase
    for layer, params in whole.weights().items():
        for key, value in params.items():
            np.testing.assert_allclose(parts.weights()[layer][key], value, rtol=1e-4, atol=1e-6)
    moved = any(
        not np.array_equal(v, Network(graph, seed=1).weights()[k][p])
        for k, ps in parts.weights().items()
        for p, v in ps.items()
    )
    assert moved  # the steps trained something: the comparison is not of two untouched networks
