"""Batch-norm modes of a trainer: training mode (pretraining) learns the running statistics and back-
propagates through the batch statistics; frozen mode (on-device fine-tuning) never changes them."""

import numpy as np
import pytest
from netref import _conv

from workloads.errors import WorkloadError
from workloads.graph import GraphBuilder
from workloads.network import Network
from workloads.plan import TrainingPlan


def _small_bn_model():
    g = GraphBuilder("bn-digits", (8, 8, 1))
    g.conv(4, 3)
    g.batchnorm()
    g.relu()
    g.global_avg_pool()
    g.dense(3)
    return g.build()


def _digits_like(rng, n):
    """Three classes of 8x8 'strokes' (a row, a column, a diagonal) on an offset, scaled background."""
    y = rng.integers(0, 3, n)
    x = rng.uniform(0.0, 0.2, (n, 8, 8, 1))
    for i, label in enumerate(y):
        k = rng.integers(1, 7)
        if label == 0:
            x[i, k, :, 0] += 1.0
        elif label == 1:
            x[i, :, k, 0] += 1.0
        else:
            x[i, np.arange(8), np.arange(8), 0] += 1.0
    return (3.0 * x + 2.0).astype(np.float32), y


def _train_mode_loss(graph, w, x, y):
    """float64 reference: conv, training-mode batch-norm (biased batch variance), ReLU, mean, dense."""
    conv, bn, dense = (n for n in graph if n.kind in ("conv2d", "batchnorm", "dense"))
    h = _conv(conv, x.astype(np.float64), w[conv.name])
    mean, var = h.mean(axis=(0, 1, 2)), h.var(axis=(0, 1, 2))
    h = (h - mean) / np.sqrt(var + 1e-5) * w[bn.name]["gamma"] + w[bn.name]["beta"]
    z = np.maximum(h, 0).mean(axis=(1, 2)) @ w[dense.name]["weight"] + w[dense.name]["bias"]
    z = z - z.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y]))


def test_training_mode_updates_running_statistics_from_the_batch():
    graph = _small_bn_model()
    rng = np.random.default_rng(0)
    x, y = _digits_like(rng, 16)
    net = Network(graph, seed=0)
    state = net.trainer(TrainingPlan(update="full", batch_size=16, learning_rate=0.05), batchnorm="train")
    bn = next(n for n in graph if n.kind == "batchnorm")
    old_mean, old_var = net.params[bn.name]["mean"].copy(), net.params[bn.name]["var"].copy()
    net.train_step(x, y, state)
    h = state.program(16).act[bn.inputs[0]].reshape(-1, 4).astype(np.float64)  # this step's BN input
    want_mean = 0.9 * old_mean + 0.1 * h.mean(axis=0)
    want_var = 0.9 * old_var + 0.1 * h.var(axis=0, ddof=1)
    np.testing.assert_allclose(net.params[bn.name]["mean"], want_mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(net.params[bn.name]["var"], want_var, rtol=1e-5, atol=1e-6)
    # inference uses the refreshed running statistics: same outputs as a network built from the weights
    np.testing.assert_allclose(net.forward(x), Network(graph, net.weights()).forward(x), rtol=1e-5, atol=1e-6)


def test_pretraining_in_training_mode_learns_the_statistics_then_fine_tuning_keeps_them():
    graph = _small_bn_model()
    rng = np.random.default_rng(1)
    x, y = _digits_like(rng, 96)
    net = Network(graph, seed=0)
    bn = next(n for n in graph if n.kind == "batchnorm").name
    state = net.trainer(TrainingPlan(update="full", batch_size=16, learning_rate=0.1), batchnorm="train")

    def epoch():
        return np.mean([net.train_step(x[i : i + 16], y[i : i + 16], state) for i in range(0, 96, 16)])

    losses = [epoch() for _ in range(16)]
    assert losses[-1] < losses[0]
    # the inputs have mean ~2.3 and a conv of He weights: the learnt statistics left (mean 0, var 1)
    assert np.abs(net.params[bn]["mean"]).max() > 0.1
    assert np.abs(net.params[bn]["var"] - 1.0).max() > 0.1
    assert net.accuracy(x, y) > 0.5
    frozen = net.trainer(TrainingPlan(update="full", batch_size=16, learning_rate=0.1))
    before = {k: v.copy() for k, v in net.params[bn].items()}
    net.train_step(x[:16], y[:16], frozen)
    for key in ("mean", "var", "invstd"):
        assert np.array_equal(net.params[bn][key], before[key]), key
    assert not np.array_equal(net.params[bn]["gamma"], before["gamma"])


def test_training_mode_gradients_match_finite_differences():
    graph = _small_bn_model()
    rng = np.random.default_rng(2)
    x, y = _digits_like(rng, 4)
    net = Network(graph, seed=3)
    state = net.trainer(TrainingPlan(update="full", batch_size=4, learning_rate=0.0), batchnorm="train")
    loss = net.train_step(x, y, state)
    w64 = {k: {p: v.astype(np.float64) for p, v in ps.items()} for k, ps in net.weights().items()}
    assert loss == pytest.approx(_train_mode_loss(graph, w64, x, y), rel=1e-5)
    conv = next(n for n in graph if n.kind == "conv2d").name
    flat, grad = w64[conv]["weight"].reshape(-1), state.grads[conv].weight.reshape(-1)
    for i in np.random.default_rng(5).choice(flat.size, size=8, replace=False):
        old, eps = flat[i], 1e-6
        flat[i] = old + eps
        up = _train_mode_loss(graph, w64, x, y)
        flat[i] = old - eps
        down = _train_mode_loss(graph, w64, x, y)
        flat[i] = old
        assert grad[i] == pytest.approx((up - down) / (2 * eps), rel=2e-3, abs=1e-5)


def test_unknown_batchnorm_mode_is_a_workload_error():
    net = Network(_small_bn_model(), seed=0)
    with pytest.raises(WorkloadError, match="batchnorm"):
        net.trainer(TrainingPlan(update="full", batch_size=2), batchnorm="training")
