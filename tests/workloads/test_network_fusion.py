"""Frozen batch-norm + ReLU pairs run fused (one pass each way): the step still matches the float64
reference, finite differences and the MAC counts of the layers run apart."""

import numpy as np
import pytest
from netref import assert_step_gradients_match_fd, ref_forward, ref_loss

from workloads.graph import GraphBuilder
from workloads.network import Network
from workloads.plan import TrainingPlan

C = 6


def _wide():
    g = GraphBuilder("wide", (5, 5, 2))
    g.conv(C, 3)
    g.batchnorm()
    g.relu6()
    g.conv(C, 1)
    g.batchnorm()
    g.relu()
    g.conv(C // 2, 1)
    g.batchnorm()
    g.relu()
    g.global_avg_pool()
    g.dense(3)
    return g.build()


def _net(graph, rng):
    net = Network(graph, seed=2)
    for params in net.params.values():
        if "gamma" in params:
            c = params["gamma"].shape
            params["gamma"][:] = rng.uniform(0.5, 1.5, c)
            params["beta"][:] = rng.normal(0, 0.3, c)
            params["mean"][:] = rng.normal(0, 0.2, c)
            params["var"][:] = rng.uniform(0.5, 2, c)
    net.set_weights(net.weights())
    return net


@pytest.mark.parametrize("update", ["full", "bias"])
def test_fused_step_matches_reference_and_finite_differences(update):
    graph = _wide()
    rng = np.random.default_rng(4)
    net = _net(graph, rng)
    x = rng.standard_normal((2, 5, 5, 2)).astype(np.float32)
    y = np.array([2, 0])
    np.testing.assert_allclose(net.forward(x), ref_forward(graph, net.weights(), x), rtol=1e-4, atol=1e-5)
    state = net.trainer(TrainingPlan(update=update, batch_size=2, learning_rate=0.0))
    loss = net.train_step(x, y, state)
    assert set(state.program(2).fused) == {"relu6_0", "relu_0", "relu_1"}
    w64 = {k: {p: v.astype(np.float64) for p, v in ps.items()} for k, ps in net.weights().items()}
    assert loss == pytest.approx(ref_loss(graph, w64, x, y), rel=1e-5)
    assert assert_step_gradients_match_fd(graph, net, state, x, y, per_tensor=3, seed=1) >= 12


def test_fusion_keeps_the_mac_counts():
    graph = _wide()
    net = _net(graph, np.random.default_rng(0))
    state = net.trainer(TrainingPlan(update="full", batch_size=3, learning_rate=0.0))
    program = state.program(3)
    assert program.fused
    assert program.macs["forward"] == 3 * graph.macs
