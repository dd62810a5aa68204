"""`tinyemu inspect`, `plan`, `run` and `train` on TensorFlow Lite files (the MLPerf Tiny KWS model, and a
built squeeze-excitation model with HARD_SWISH, MEAN, LOGISTIC and MUL)."""

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tflite")

from tests.workloads.tflite_builder import se_model, se_parts, unsupported_model, write_tflite  # noqa: E402
from tests.workloads.tflite_quant_builder import quantise  # noqa: E402
from workloads.tflite_import import import_tflite  # noqa: E402

KWS = Path(__file__).resolve().parents[1] / "data" / "mlperf_tiny" / "kws_ref_model.tflite"
KWS_FLOAT = KWS.with_name("kws_ref_model_float32.tflite")


def test_inspect_an_int8_tflite(cli):
    run = cli("inspect", str(KWS), "--json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["model_precision"] == "int8" and doc["plan"].endswith("int8")
    assert doc["input_shape"] == [49, 10, 1] and doc["macs"] == 2_656_768
    assert doc["loss"] == "softmax_cross_entropy"
    table = cli("inspect", str(KWS_FLOAT))
    assert table.code == 0, table.err
    assert "kws_ref_model_float32" in table.out and "2,656,768 MACs" in table.out


def test_plan_and_run_a_tflite(cli):
    plan = cli("plan", "--device", "nrf52840", "--model", str(KWS), "--update", "last:2", "--json")
    assert plan.code == 0, plan.err
    assert json.loads(plan.out)["feasible"] is True
    run = cli("run", "--device", "nrf52840", "--model", str(KWS), "--update", "last:2", "--json")
    assert run.code == 0, run.err
    assert json.loads(run.out)


def test_train_fine_tunes_the_files_own_weights_in_int8(cli, tmp_path):
    rng = np.random.default_rng(0)
    data = tmp_path / "kws.npz"
    np.savez(data, x=rng.normal(0, 20, (40, 49, 10, 1)).astype(np.float32), y=rng.integers(0, 12, 40))
    out = tmp_path / "tuned.npz"
    args = ("--device", "nrf52840", "--model", str(KWS), "--dataset", str(data), "--update", "last:1")
    run = cli("train", *args, "--epochs", "1", "--save-weights", str(out), "--json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["samples"] > 0 and doc["loss_curve"]
    file_weights = import_tflite(KWS).weights
    tuned = np.load(out)
    # frozen layers keep the file's weights (on its int8 grid); the trained last layer moved from them
    np.testing.assert_allclose(tuned["conv2d_0/weight"], file_weights["conv2d_0"]["weight"], rtol=1e-6)
    assert not np.allclose(tuned["dense_0/weight"], file_weights["dense_0"]["weight"])


def test_bad_tflite_files_exit_2_with_one_line(cli, tmp_path):
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(KWS.read_bytes()[:3000])
    unsupported = unsupported_model(tmp_path / "exp.tflite")
    for args, words in (
        (("inspect", str(broken)), "broken.tflite"),
        (("plan", "--device", "nrf52840", "--model", str(unsupported)), "EXP x2"),
        (("inspect", str(tmp_path / "absent.tflite")), "an existing .tflite file"),
        (("inspect", str(KWS), "--set", "model.classes=3"), "no options for a .tflite model file"),
    ):
        run = cli(*args)
        assert run.code == 2, (args, run.out, run.err)
        assert run.err.startswith("error: ") and "Traceback" not in run.err and words in run.err
        assert len(run.err.strip().splitlines()) == 1


def test_a_scenario_names_a_tflite_beside_it_and_runs_in_int8_with_its_scales(tmp_path):
    from emu.scenario.scenario import Scenario

    (tmp_path / "kws.tflite").write_bytes(KWS.read_bytes())
    path = tmp_path / "s.toml"
    path.write_text('[device]\nname = "nrf52840"\n[model]\nname = "kws.tflite"\n[plan]\nupdate = "last:1"\n')
    scenario = Scenario.from_toml(path)
    assert scenario.plan.precision == "int8"  # a quantised file runs in int8 unless the plan says otherwise
    assert scenario.quantization["conv2d_0"]["y_zero_point"] == -128
    assert scenario.model.macs == 2_656_768


def test_plan_run_and_train_a_squeeze_excitation_tflite(cli, tmp_path):
    path, _ = se_model(tmp_path / "se.tflite", np.random.default_rng(0))
    doc = json.loads(cli("inspect", str(path), "--json").out)
    assert {"hard_swish", "global_avg_pool", "sigmoid", "mul"} <= {layer["kind"] for layer in doc["layers"]}
    args = ("--device", "nrf52840", "--model", str(path))
    plan = cli("plan", *args, "--json")
    assert plan.code == 0, plan.err
    assert json.loads(plan.out)["feasible"] is True
    run = cli("run", *args, "--json")
    assert run.code == 0, run.err
    assert json.loads(run.out)
    rng = np.random.default_rng(1)
    data = tmp_path / "data.npz"
    np.savez(data, x=rng.standard_normal((16, 8, 8, 3)).astype(np.float32), y=rng.integers(0, 3, 16))
    out = tmp_path / "tuned.npz"
    train = cli("train", *args, "--dataset", str(data), "--epochs", "1", "--save-weights", str(out), "--json")
    assert train.code == 0, train.err
    result = json.loads(train.out)
    assert result["samples"] > 0 and all(np.isfinite(result["loss_curve"]))
    tuned, file_weights = np.load(out), import_tflite(path).weights
    assert not np.allclose(tuned["dense_2/weight"], file_weights["dense_2"]["weight"])  # it trained


def test_an_int8_squeeze_excitation_tflite_plans_and_trains_in_int8(cli, tmp_path):
    tensors, ops, _ = se_parts(np.random.default_rng(0))
    int8_tensors, _, _ = quantise(tensors, ops, defaultdict(lambda: (-4.0, 4.0)))
    path = write_tflite(tmp_path / "se8.tflite", int8_tensors, ops)
    doc = json.loads(cli("inspect", str(path), "--json").out)
    assert doc["model_precision"] == "int8" and doc["plan"].endswith("int8")
    args = ("--device", "nrf52840", "--model", str(path))
    plan = cli("plan", *args, "--json")
    assert plan.code == 0, plan.err
    rng = np.random.default_rng(1)
    data = tmp_path / "data.npz"
    np.savez(data, x=rng.standard_normal((16, 8, 8, 3)).astype(np.float32), y=rng.integers(0, 3, 16))
    train = cli("train", *args, "--dataset", str(data), "--epochs", "1", "--json")
    assert train.code == 0, train.err
    result = json.loads(train.out)
    assert result["samples"] > 0 and all(np.isfinite(result["loss_curve"]))
