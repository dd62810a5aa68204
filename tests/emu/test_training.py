"""Functional training: MACs equal the lowering's, determinism, a real accuracy gain, clear input errors."""

import numpy as np
import pytest

import emu
from emu.errors import ScenarioError
from emu.scenario.scenario import Scenario
from hw_models.loader import load_device
from workloads.datasets import load_dataset
from workloads.errors import WorkloadError
from workloads.network import Network
from workloads.plan import TrainingPlan
from workloads.program import lower
from workloads.zoo import build_model


def _scenario(model="lenet-digits", **plan):
    return Scenario.from_dict(
        {"device": {"name": "stm32l4r5"}, "model": {"name": model}, "plan": {"batch_size": 8, **plan}}
    )


def _lowered(graph, plan):
    counts = dict.fromkeys(("forward", "backward_data", "backward_weight", "update"), 0)
    for task in lower(graph, plan).tasks:
        if task.action == "update":
            counts["update"] += task.param_updates
        elif task.action in counts:
            counts[task.action] += task.macs
    return counts


@pytest.mark.parametrize("model", ["lenet-digits", "mlperf-resnet8", "mlperf-dscnn", "mlperf-autoencoder"])
@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_executed_macs_equal_the_lowering(model, precision):
    graph = build_model(model)
    rng = np.random.default_rng(0)
    x = rng.random((2, *graph.input_shape)).astype(np.float32)
    y = x if graph.loss == "mse" else rng.integers(0, graph.output.output_shape[0], 2)
    net = Network(graph, precision=precision)
    if precision == "int8":
        net.calibrate([x])
    second_last = graph.weighted_nodes()[-2].name
    for update in ("full", "last:2", "bias", "sparse"):
        plan = TrainingPlan(
            update=update,
            batch_size=2,
            precision=precision,
            optimizer="adam",
            sparse_bias_layers=2,
            sparse_weights={second_last: 0.3},
        )
        state = net.trainer(plan)
        net.train_step(x, y, state)
        assert state.macs_by_phase == _lowered(graph, plan), update
        assert state.macs_by_phase["forward"] == graph.macs * 2


def test_train_is_deterministic_and_reports_the_contract_keys():
    s = _scenario(update="last:2", optimizer="sgd-momentum")
    a = emu.train(s, epochs=2, pretrain_epochs=2, seed=3).to_dict()
    b = emu.train(s, epochs=2, pretrain_epochs=2, seed=3).to_dict()
    assert a == b
    for key in (
        "accuracy_before",
        "accuracy_after",
        "loss_curve",
        "samples",
        "macs_by_phase",
        "epochs",
        "seed",
    ):
        assert key in a
    assert len(a["loss_curve"]) == 2
    assert a["samples"] == 2 * a["device_samples"]
    c = emu.train(s, epochs=2, pretrain_epochs=2, seed=4).to_dict()
    assert c["loss_curve"] != a["loss_curve"]


def test_full_training_learns_digits():
    graph = build_model("lenet-digits")
    data = load_dataset("digits", graph, seed=0)
    net = Network(graph, seed=0)
    state = net.trainer(
        TrainingPlan(update="full", batch_size=16, optimizer="sgd-momentum", learning_rate=0.05)
    )
    order = np.random.default_rng(0)
    assert net.accuracy(data.test.x, data.test.y) < 0.3
    for _ in range(3):
        idx = order.permutation(len(data.pretrain))
        for i in range(0, len(idx), 16):
            net.train_step(data.pretrain.x[idx[i : i + 16]], data.pretrain.y[idx[i : i + 16]], state)
    assert net.accuracy(data.test.x, data.test.y) > 0.8


def test_personalisation_gains_accuracy_on_the_shifted_device_data(tmp_path):
    r = emu.train(_scenario(update="full", learning_rate=0.05), epochs=3, pretrain_epochs=5, shift="shift")
    assert r.score_pretrain > 0.8  # the pretrained model is good on its own data ...
    assert r.score_before < r.score_pretrain - 0.2  # ... worse on the device's ...
    assert r.score_after > r.score_before + 0.2  # ... and fine-tuning recovers it
    out = tmp_path / "tuned.npz"
    again = emu.train(
        _scenario(update="none"),
        epochs=1,
        weights=None,
        pretrain_epochs=5,
        shift="shift",
        weights_out=str(out),
    )
    assert again.score_after == again.score_before
    loaded = emu.train(_scenario(update="none"), epochs=1, weights=str(out), shift="shift")
    assert loaded.score_before == again.score_after and loaded.pretrain_epochs == 0


def test_bad_train_settings_and_datasets(tmp_path):
    s = _scenario()
    with pytest.raises(ScenarioError, match="train.epochs"):
        emu.train(s, epochs=0)
    with pytest.raises(WorkloadError, match="train.shift"):
        emu.train(s, shift="tilt")
    bad = tmp_path / "data.npz"
    np.savez(bad, x=np.zeros((10, 8, 8), np.float32), y=np.zeros(10, np.int64))
    with pytest.raises(WorkloadError, match=r"data\.npz: x .*\(N, 8, 8, 1\)"):
        emu.train(s, dataset=str(bad))
    np.savez(bad, x=np.zeros((10, 8, 8, 1), np.float32))
    with pytest.raises(WorkloadError, match="'y'"):
        emu.train(s, dataset=str(bad))
    np.savez(bad, x=np.zeros((10, 8, 8, 1), np.float32), y=np.full(10, 12))
    with pytest.raises(WorkloadError, match=r"0\.\.9"):
        emu.train(s, dataset=str(bad))
    with pytest.raises(WorkloadError, match="digits"):
        emu.train(_scenario("mlperf-dscnn"))


def test_a_regression_model_reports_its_mean_squared_error_by_name(tmp_path):
    graph = build_model("mlperf-autoencoder")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, *graph.input_shape)).astype(np.float32)
    np.savez(tmp_path / "data.npz", x=x, y=x)
    s = emu.Scenario(load_device("nrf52840"), graph, TrainingPlan(update="last:1", batch_size=4))
    result = emu.train(s, dataset=str(tmp_path / "data.npz"), epochs=2, pretrain_epochs=1).to_dict()
    assert result["metric"] == "mse" and not any(k.startswith("accuracy") for k in result)
    assert result["mse_before"] > 0 and result["mse_after"] > 0
    assert result["mse_reduction"] == pytest.approx(result["mse_before"] - result["mse_after"])
