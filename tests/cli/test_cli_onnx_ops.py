"""`tinyemu inspect`, `plan`, `run` and `train` on ONNX models with the everyday operators: a 1-D CNN
(Conv1d, pools, ReduceMean, with ReLU, Tanh or Elu), squeeze-excitation with HardSwish / HardSigmoid / Mul,
SiLU and LeakyRelu, an inception-like block (two conv branches joined by a Concat), and an autoencoder-like
block and a classifier with a nearest Resize (upsampling)."""

import json

import numpy as np
import pytest

pytest.importorskip("onnx")

from tests.workloads.onnx_builder import har_model, inception_model, resize_model, se_model  # noqa: E402


@pytest.fixture(params=["har", "har-tanh", "har-elu", "se", "inception", "resize-ae", "resize-classifier"])
def model(request, tmp_path):
    if request.param.startswith("har"):
        activation = {"har": "Relu", "har-tanh": "Tanh", "har-elu": "Elu"}[request.param]
        return har_model(tmp_path / "har.onnx", "mean", "AveragePool", activation), (1, 32, 3)
    if request.param == "inception":
        return inception_model(tmp_path / "inception.onnx"), (8, 8, 3)
    if request.param.startswith("resize"):
        head = "autoencoder" if request.param == "resize-ae" else "classifier"
        return resize_model(tmp_path / f"resize-{head}.onnx", head), (8, 8, 3)
    return se_model(tmp_path / "se.onnx", silu=True), (8, 8, 3)


def test_inspect_plan_run_and_train(cli, model, tmp_path):
    path, shape = model
    doc = json.loads(cli("inspect", str(path), "--json").out)
    assert tuple(doc["input_shape"]) == shape
    kinds = {layer["kind"] for layer in doc["layers"]}
    assert kinds & {"mul", "hard_swish", "sigmoid", "hard_sigmoid", "global_avg_pool", "tanh", "elu"}
    assert ("concat" in kinds) == path.name.startswith("inception")
    assert ("upsample" in kinds) == path.name.startswith("resize")
    autoencoder = path.name == "resize-autoencoder.onnx"
    assert (doc["loss"] == "mse") == autoencoder
    args = ("--device", "nrf52840", "--model", str(path))
    plan = cli("plan", *args, "--json")
    assert plan.code == 0, plan.err
    assert json.loads(plan.out)["feasible"] is True
    run = cli("run", *args, "--json")
    assert run.code == 0, run.err
    assert json.loads(run.out)
    rng = np.random.default_rng(0)
    data = tmp_path / "data.npz"
    x = rng.standard_normal((16, *shape)).astype(np.float32)
    y = 1 / (1 + np.exp(-x)) if autoencoder else rng.integers(0, 3, 16)  # a reconstruction: MSE targets
    np.savez(data, x=x, y=y)
    train = cli("train", *args, "--dataset", str(data), "--epochs", "1", "--json")
    assert train.code == 0, train.err
    result = json.loads(train.out)
    assert result["samples"] > 0 and all(np.isfinite(result["loss_curve"]))


def test_pretrain_epochs_on_a_model_with_its_own_weights_is_refused(cli, tmp_path):
    from tests.cli.cli_checks import one_line_error

    path = har_model(tmp_path / "har.onnx", "mean", "AveragePool")
    result = cli("train", "--device", "nrf52840", "--model", str(path), "--pretrain-epochs", "3")
    one_line_error(result, "train.pretrain_epochs", "brings its own weights")
