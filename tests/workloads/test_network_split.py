"""Split training steps (two concurrent halves): same maths as one program up to summation order,
bit-for-bit deterministic, the float64 reference and finite differences still hold, the rule is the
documented one, BLAS on one thread while the halves run."""

import threading

import numpy as np
import pytest
from netref import assert_step_gradients_match_fd, ref_loss
from threadpoolctl import threadpool_info

import workloads.split as split
from workloads.errors import WorkloadError
from workloads.graph import GraphBuilder
from workloads.network import Network
from workloads.plan import TrainingPlan
from workloads.split import SplitStep, StepWorkers, splits
from workloads.step import CompiledStep
from workloads.zoo import build_model


def _residual():
    g = GraphBuilder("tiny", (6, 6, 2))
    x = g.conv(3, 3)
    g.batchnorm()
    y = g.relu()
    g.conv(3, 3, x=y)
    g.add(g.last, x)
    g.maxpool(2)
    g.flatten()
    g.dense(4)
    return g.build()


@pytest.fixture
def split_small(monkeypatch):
    """Split the tiny test graphs too (the real rule keeps such small steps whole)."""
    monkeypatch.setattr(split, "SPLIT_MIN_CONV_MACS", 0)


def _net(graph, seed=1, **options):
    net = Network(graph, seed=seed, **options)
    rng = np.random.default_rng(seed)
    for params in net.params.values():
        if "gamma" in params:
            c = params["gamma"].shape
            params["gamma"][:] = rng.uniform(0.5, 1.5, c)
            params["beta"][:] = rng.normal(0, 0.2, c)
            params["mean"][:] = rng.normal(0, 0.2, c)
            params["var"][:] = rng.uniform(0.5, 2, c)
    net.set_weights(net.weights())
    return net


def _data(batch, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, 6, 6, 2)).astype(np.float32), rng.integers(0, 4, batch)


@pytest.mark.parametrize("batch", [8, 9])
def test_split_step_matches_reference_and_finite_differences(split_small, batch):
    graph = _residual()
    net = _net(graph)
    x, y = _data(batch)
    state = net.trainer(TrainingPlan(update="full", batch_size=batch, learning_rate=0.0))
    loss = net.train_step(x, y, state)
    program = state.program(batch)
    assert isinstance(program, SplitStep)
    assert program.sizes == ((batch + 1) // 2, batch // 2)
    w64 = {k: {p: v.astype(np.float64) for p, v in ps.items()} for k, ps in net.weights().items()}
    assert loss == pytest.approx(ref_loss(graph, w64, x, y), rel=1e-5)
    assert assert_step_gradients_match_fd(graph, net, state, x, y, per_tensor=3) >= 15


def _run(graph, plan, x, y, steps, precision="fp32"):
    net = _net(graph, seed=3, precision=precision)
    if precision == "int8":
        net.calibrate([x])
    state = net.trainer(plan)
    losses = [net.train_step(x, y, state) for _ in range(steps)]
    return net, state, losses


PLANS = [
    TrainingPlan(update="full", batch_size=9, learning_rate=0.05, optimizer="sgd-momentum"),
    TrainingPlan(update="sparse", batch_size=9, sparse_weights={"conv2d_1": 0.34}, optimizer="adam"),
    TrainingPlan(update="last:1", batch_size=9, learning_rate=0.1),
]


@pytest.mark.parametrize("plan", PLANS, ids=["full-momentum", "sparse-adam", "last-sgd"])
def test_split_equals_whole_batch_up_to_summation_order(monkeypatch, plan):
    graph = _residual()
    x, y = _data(9, seed=2)
    monkeypatch.setattr(split, "SPLIT_MIN_BATCH", 10**9)
    whole, whole_state, whole_losses = _run(graph, plan, x, y, 3)
    assert isinstance(whole_state.program(9), CompiledStep)
    monkeypatch.setattr(split, "SPLIT_MIN_BATCH", 8)
    monkeypatch.setattr(split, "SPLIT_MIN_CONV_MACS", 0)
    net, state, losses = _run(graph, plan, x, y, 3)
    assert isinstance(state.program(9), SplitStep)
    np.testing.assert_allclose(losses, whole_losses, rtol=1e-6)
    assert losses[-1] != losses[0]  # the steps really trained
    for layer, params in whole.weights().items():
        for key, value in params.items():
            np.testing.assert_allclose(net.params[layer][key], value, rtol=1e-5, atol=1e-7)
    assert state.macs_by_phase == whole_state.macs_by_phase
    assert state.samples == whole_state.samples == 27


def test_split_int8_step_equals_whole_batch(monkeypatch):
    graph = _residual()
    x, y = _data(8, seed=4)
    plan = TrainingPlan(update="full", batch_size=8, precision="int8", learning_rate=0.5)
    monkeypatch.setattr(split, "SPLIT_MIN_BATCH", 10**9)
    whole, whole_state, whole_losses = _run(graph, plan, x, y, 2, "int8")
    monkeypatch.setattr(split, "SPLIT_MIN_BATCH", 8)
    monkeypatch.setattr(split, "SPLIT_MIN_CONV_MACS", 0)
    net, state, losses = _run(graph, plan, x, y, 2, "int8")
    assert isinstance(state.program(8), SplitStep)
    np.testing.assert_allclose(losses, whole_losses, rtol=1e-6)
    for layer, q in whole.quant.layers.items():
        # a gradient within rounding of a half level may round the other way: allow a few weights
        assert np.mean(net.quant.layers[layer].weight_q != q.weight_q) < 0.02, layer
    assert state.macs_by_phase == whole_state.macs_by_phase


def test_split_steps_are_bit_for_bit_deterministic(split_small):
    graph = _residual()
    x, y = _data(9, seed=6)
    plan = PLANS[0]
    runs = [_run(graph, plan, x, y, 4) for _ in range(3)]
    for net, _, losses in runs[1:]:
        assert losses == runs[0][2]
        for layer, params in runs[0][0].params.items():
            for key, value in params.items():
                assert np.array_equal(net.params[layer][key], value), (layer, key)


def test_the_split_rule():
    plan = TrainingPlan(update="full", batch_size=32)
    resnet8 = Network(build_model("mlperf-resnet8")).trainer(plan)
    assert splits(32, resnet8) and splits(split.SPLIT_MIN_BATCH, resnet8)
    assert not splits(split.SPLIT_MIN_BATCH - 1, resnet8)
    assert not splits(32, Network(build_model("mlperf-resnet8")).trainer(plan, batchnorm="train"))
    lenet = Network(build_model("lenet-digits")).trainer(plan)
    conv_macs = sum(n.macs for n in lenet.network.graph if n.kind == "conv2d")
    assert not splits(32, lenet)  # a small step: the thread hand-off would cost more than it saves
    assert splits(-(-split.SPLIT_MIN_CONV_MACS // conv_macs), lenet)
    assert not splits(4096, Network(build_model("mlperf-autoencoder")).trainer(plan))  # no convolution


def test_bad_labels_of_a_split_step_raise_and_change_nothing(split_small):
    graph = _residual()
    net = _net(graph)
    x, y = _data(8)
    state = net.trainer(TrainingPlan(update="full", batch_size=8, learning_rate=0.1))
    before = net.weights()
    with pytest.raises(WorkloadError, match=r"labels.*\(8,\)"):
        net.train_step(x, y[:7], state)
    bad = y.copy()
    bad[-1] = 4
    with pytest.raises(WorkloadError, match=r"labels.*0\.\.3"):
        net.train_step(x, bad, state)
    for layer, params in before.items():
        for key, value in params.items():
            assert np.array_equal(net.params[layer][key], value)
    assert state.steps == 0


def test_close_stops_the_worker_and_a_later_step_restarts_it(split_small):
    graph = _residual()
    net = _net(graph)
    x, y = _data(8)
    state = net.trainer(TrainingPlan(update="full", batch_size=8, learning_rate=0.1))
    first = net.train_step(x, y, state)
    net.close()
    assert net.train_step(x, y, state) < first


def _blas_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_halves_run_in_two_threads_with_blas_on_one_thread():
    import workloads.kernels  # noqa: F401  (loads SciPy's BLAS)

    workers = StepWorkers()
    before = _blas_threads()

    def probe():
        return threading.get_ident(), _blas_threads()

    try:
        (id0, blas0), (id1, blas1) = workers.run_pair(probe, probe)
    finally:
        workers.close()
    assert id0 != id1
    assert blas0 and set(blas0) == set(blas1) == {1}
    assert _blas_threads() == before
