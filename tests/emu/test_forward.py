"""emu.forward: an imported model's output, in the file's own layout, equals what its own runtime computes."""

import numpy as np
import pytest

import emu
from emu.errors import ScenarioError

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from tests.workloads.onnx_builder import har_model, se_model  # noqa: E402
from tests.workloads.onnx_export import assert_matches, run_onnxruntime  # noqa: E402


def test_an_onnx_image_model_takes_and_gives_nchw(tmp_path):
    path = se_model(tmp_path / "se.onnx", silu=True)
    x = np.random.default_rng(0).standard_normal((4, 3, 8, 8)).astype(np.float32)
    assert_matches(emu.forward(str(path), x), run_onnxruntime(path, x))


def test_an_onnx_sequence_model_takes_n_c_l(tmp_path):
    path = har_model(tmp_path / "har.onnx", "mean", "AveragePool", "Tanh")
    x = np.random.default_rng(1).standard_normal((5, 3, 32)).astype(np.float32)
    assert_matches(emu.forward(path, x), run_onnxruntime(path, x))


def test_a_scenario_runs_its_own_weights_and_precision(tmp_path):
    path = se_model(tmp_path / "se.onnx")
    scenario = emu.Scenario.from_dict({"device": {"name": "nrf52840"}, "model": {"name": str(path)}})
    x = np.random.default_rng(2).standard_normal((3, 8, 8, 3))  # a scenario's batch is NHWC
    nchw = np.ascontiguousarray(x.transpose(0, 3, 1, 2)).astype(np.float32)
    assert_matches(emu.forward(scenario, x), run_onnxruntime(path, nchw))
    int8 = emu.forward(scenario, x, precision="int8")  # calibrated on x: near, not equal
    assert int8.shape == (3, 3) and not np.array_equal(int8, emu.forward(scenario, x))
    assert np.abs(int8 - emu.forward(scenario, x)).max() < 0.25 * np.abs(emu.forward(scenario, x)).max()


@pytest.mark.parametrize(
    "x, field",
    [
        (np.zeros((2, 8, 8, 3)), "x.shape"),  # NHWC given to an ONNX model
        (np.zeros((3, 8, 8)), "x.shape"),  # no batch axis
        (np.full((1, 3, 8, 8), np.nan), "x"),
        ("pixels", "x"),
    ],
)
def test_a_batch_of_the_wrong_shape_or_values_names_what_is_expected(tmp_path, x, field):
    path = se_model(tmp_path / "se.onnx")
    with pytest.raises(ScenarioError, match=field) as info:
        emu.forward(str(path), x)
    if field == "x.shape":
        assert "(N, C, H, W) with one sample [3, 8, 8]" in str(info.value)
