"""Quantised ONNX: QDQ weights and activations, and QLinearConv, map to int8 layers with their scales."""

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx_export import export_graph, reference_forward, run_onnxruntime, to_nchw  # noqa: E402

from workloads.onnx_import import import_onnx  # noqa: E402
from workloads.zoo import build_model  # noqa: E402


def _initializers(model) -> dict[str, np.ndarray]:
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def test_qdq_weights_are_dequantised_exactly_and_their_scales_kept(tmp_path):
    graph = build_model("lenet-digits")
    path = tmp_path / "qdq.onnx"
    model = export_graph(graph, path, softmax=False, qdq_weights=True)
    inits = _initializers(model)
    imported = import_onnx(path)
    assert imported.precision == "int8"
    weighted = [n.name for n in imported.graph.weighted_nodes()]
    assert sorted(imported.quantization) == sorted(weighted)
    for name in weighted:
        entry = imported.quantization[name]
        np.testing.assert_array_equal(entry["w_scale"], inits[f"{name}_ws"])
        q, scale = inits[f"{name}_wq"].astype(np.float64), inits[f"{name}_ws"].astype(np.float64)
        if q.ndim == 4:  # OIHW, scales per output channel (axis 0) -> HWIO
            expected = (q * scale[:, None, None, None]).transpose(2, 3, 1, 0)
        else:  # dense as Gemm(transB=1): (out, in) -> (in, out)
            expected = (q * scale[:, None]).T
        if name != "dense_0":  # dense_0 reads a flattened feature map: its rows are permuted
            np.testing.assert_allclose(imported.weights[name]["weight"], expected, rtol=1e-7)
        assert entry["x_scale"] is None and entry["y_scale"] is None  # the file quantises no activation
    x = np.random.default_rng(0).standard_normal((2, 8, 8, 1)).astype(np.float32)
    ref = run_onnxruntime(path, to_nchw(x))
    ours = reference_forward(imported.graph, imported.weights, x)
    assert np.abs(ours - ref).max() <= 1e-4 * np.abs(ref).max()


def test_qdq_activation_scales_are_carried_per_layer(tmp_path):
    graph = build_model("lenet-digits")
    path = tmp_path / "qdq_act.onnx"
    export_graph(graph, path, softmax=False, qdq_weights=True, qdq_activations=True)
    imported = import_onnx(path)
    for name in ("conv2d_0", "conv2d_1", "dense_0", "dense_1"):
        entry = imported.quantization[name]
        assert entry["x_scale"] == pytest.approx(0.05)
        assert entry["x_zero_point"] == 0  # uint8 zero point 128 is int8 zero point 0
    # the activation feeding dense_1 is relu_2 (dense_0's output after its ReLU): dense_0's y scale
    assert imported.quantization["dense_0"]["y_scale"] == pytest.approx(0.05)
    # a conv whose output goes to a max-pool before the next Q/DQ has no output scale in the file
    assert imported.quantization["conv2d_0"]["y_scale"] is None
    # forward: the float graph skips the activation rounding that onnxruntime applies (0.05 steps)
    x = np.random.default_rng(0).uniform(-1, 1, (4, 8, 8, 1)).astype(np.float32)
    ref = run_onnxruntime(path, to_nchw(x))
    ours = reference_forward(imported.graph, imported.weights, x)
    assert np.abs(ours - ref).max() <= 0.1 * np.abs(ref).max()


def test_qlinearconv_maps_to_an_int8_conv(tmp_path):
    rng = np.random.default_rng(3)
    w_q = rng.integers(-127, 128, (4, 2, 3, 3)).astype(np.int8)
    w_scale = rng.uniform(0.005, 0.02, 4).astype(np.float32)
    bias_q = rng.integers(-500, 500, 4).astype(np.int32)
    consts = {
        "xs": np.array(0.02, np.float32),
        "xz": np.array(120, np.uint8),
        "w": w_q,
        "ws": w_scale,
        "wz": np.zeros(4, np.int8),
        "ys": np.array(0.04, np.float32),
        "yz": np.array(100, np.uint8),
        "b": bias_q,
    }
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"], name="quant_in"),
        helper.make_node(
            "QLinearConv",
            ["xq", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"],
            ["yq"],
            name="qconv",
            pads=[1, 1, 1, 1],
        ),
        helper.make_node("DequantizeLinear", ["yq", "ys", "yz"], ["y"], name="dequant_out"),
    ]
    graph = helper.make_graph(
        nodes,
        "qconv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 2, 5, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 4, 5, 5])],
        [numpy_helper.from_array(v, k) for k, v in consts.items()],
    )
    path = tmp_path / "qlinear.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    imported = import_onnx(path)
    assert [n.kind for n in imported.graph] == ["input", "conv2d"]
    assert imported.precision == "int8"
    entry = imported.quantization["qconv"]
    np.testing.assert_array_equal(entry["w_scale"], w_scale)
    assert (entry["x_scale"], entry["x_zero_point"]) == (pytest.approx(0.02), 120 - 128)
    assert (entry["y_scale"], entry["y_zero_point"]) == (pytest.approx(0.04), 100 - 128)
    weights = imported.weights["qconv"]
    expected = (w_q.astype(np.float64) * w_scale[:, None, None, None]).transpose(2, 3, 1, 0)
    np.testing.assert_allclose(weights["weight"], expected, rtol=1e-6)
    np.testing.assert_allclose(weights["bias"], bias_q * 0.02 * w_scale.astype(np.float64), rtol=1e-6)
    # inputs on the quantisation grid: the float conv differs from onnxruntime by output rounding only
    x = ((rng.integers(0, 256, (2, 5, 5, 2)) - 120) * 0.02).astype(np.float32)
    ref = run_onnxruntime(path, to_nchw(x)).transpose(0, 2, 3, 1)
    ours = np.clip(
        reference_forward(imported.graph, imported.weights, x), (0 - 100) * 0.04, (255 - 100) * 0.04
    )
    assert np.abs(ours - ref).max() <= 0.04 / 2 + 1e-5


def test_a_quantised_model_trains_in_int8_with_its_own_scales(tmp_path):
    import emu

    path = tmp_path / "qdq_train.onnx"
    export_graph(build_model("lenet-digits"), path, softmax=False, qdq_weights=True, qdq_activations=True)
    scenario = emu.Scenario.from_dict({"device": {"name": "stm32l4r5"}, "model": {"name": str(path)}})
    assert scenario.plan.precision == "int8"  # the file is quantised: int8 unless the plan says otherwise
    assert scenario.quantization["dense_0"]["x_scale"] == pytest.approx(0.05)
    fp32 = emu.Scenario.from_dict(
        {"device": {"name": "stm32l4r5"}, "model": {"name": str(path)}, "plan": {"precision": "fp32"}}
    )
    assert fp32.plan.precision == "fp32"
    result = emu.train(scenario, epochs=1, samples=32, seed=0)
    assert result.to_dict()["samples"] == 32
    assert 0.0 <= result.to_dict()["accuracy_after"] <= 1.0
