"""A split training step (two concurrent halves, :mod:`workloads.split`) executes the MACs the lowering
counts, phase by phase."""

import numpy as np
import pytest

from workloads.network import Network
from workloads.plan import TrainingPlan
from workloads.program import lower
from workloads.split import SplitStep
from workloads.zoo import build_model


@pytest.mark.parametrize("update", ["full", "sparse"])
def test_split_step_macs_equal_the_lowering(update):
    graph = build_model("mlperf-dscnn")
    batch = 9  # odd: halves of 5 and 4
    rng = np.random.default_rng(0)
    x = rng.random((batch, *graph.input_shape)).astype(np.float32)
    y = rng.integers(0, graph.output.output_shape[0], batch)
    plan = TrainingPlan(
        update=update,
        batch_size=batch,
        sparse_bias_layers=2,
        sparse_weights={graph.weighted_nodes()[-2].name: 0.3},
    )
    net = Network(graph)
    state = net.trainer(plan)
    net.train_step(x, y, state)
    assert isinstance(state.program(batch), SplitStep)
    want = dict.fromkeys(("forward", "backward_data", "backward_weight", "update"), 0)
    for task in lower(graph, plan).tasks:
        if task.action == "update":
            want["update"] += task.param_updates
        elif task.action in want:
            want[task.action] += task.macs
    assert state.macs_by_phase == want
    assert state.macs_by_phase["forward"] == graph.macs * batch
