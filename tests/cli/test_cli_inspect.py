"""`tinyemu inspect` and `tinyemu plan --model x.onnx`: exit codes 0 and 2, the JSON contract."""

import json

import pytest

pytest.importorskip("onnx")

from tests.workloads.onnx_export import export_graph  # noqa: E402
from workloads.zoo import build_model  # noqa: E402

LAYER_KEYS = {"name", "kind", "inputs", "output_shape", "params", "macs", "trains"}


@pytest.fixture
def lenet_onnx(tmp_path):
    path = tmp_path / "lenet.onnx"
    export_graph(build_model("lenet-digits"), path)
    return path


def test_inspect_zoo_model_table(cli):
    run = cli("inspect", "lenet-digits", "--update", "last:1")
    assert run.code == 0, run.err
    assert "lenet-digits (zoo)" in run.out and "last:1" in run.out
    assert "dense_1" in run.out and "weight+bias" in run.out
    assert "3,658 parameters (330 trained)" in run.out


def test_inspect_onnx_json_contract(cli, lenet_onnx):
    run = cli(
        "inspect", str(lenet_onnx), "--update", "sparse", "--set", "plan.sparse_bias_layers=2", "--json"
    )
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    zoo = build_model("lenet-digits")
    assert {"name", "input_shape", "params", "macs", "layers"} <= set(doc)
    assert doc["name"] == "lenet" and doc["input_shape"] == [8, 8, 1]
    assert (doc["params"], doc["macs"]) == (zoo.params, zoo.macs)
    assert doc["model_precision"] == "fp32" and doc["loss"] == "softmax_cross_entropy"
    assert all(set(layer) == LAYER_KEYS for layer in doc["layers"])
    trained = {layer["name"]: layer["trains"] for layer in doc["layers"] if layer["trains"]["bias"]}
    assert sorted(trained) == ["dense_0", "dense_1"]  # the biases of the last two weighted layers
    assert doc["trained_params"] == 32 + 10
    assert sum(layer["params"] for layer in doc["layers"]) == doc["params"]


def test_plan_accepts_an_onnx_model(cli, lenet_onnx):
    run = cli("plan", "--device", "nrf52840", "--model", str(lenet_onnx), "--json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["feasible"] is True


def test_bad_onnx_files_exit_2_with_one_line(cli, lenet_onnx, tmp_path):
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(lenet_onnx.read_bytes()[:500])
    for args in (
        ("inspect", str(broken)),
        ("plan", "--device", "nrf52840", "--model", str(broken)),
        ("inspect", str(tmp_path / "absent.onnx")),
        ("inspect", str(lenet_onnx), "--set", "model.classes=3"),
    ):
        run = cli(*args)
        assert run.code == 2, (args, run.out, run.err)
        assert run.err.startswith("error: ") and "Traceback" not in run.err
        assert len(run.err.strip().splitlines()) == 1
