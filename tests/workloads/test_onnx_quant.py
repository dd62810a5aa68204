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


def _qlinearconv_reference(x_q, x_zp, x_s, w_q, w_s, b_q, y_s, y_zp, pad):
    """QLinearConv as the ONNX operator defines it: exact int32 accumulation, one rounding (half to even).

    onnxruntime's u8s8 kernel on x86 CPUs without VNNI sums pairs of products in int16 with saturation,
    so full-range int8 weights come out wrong there (error 5.8 on an AVX2-only CPU): the reference here
    does not saturate, so the test holds on every CPU.
    """
    n, c, h, w = x_q.shape
    o, _, kh, kw = w_q.shape
    xp = np.pad(x_q.astype(np.int64) - x_zp, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    acc = np.zeros((n, o, h, w), np.int64)
    for i in range(kh):
        for j in range(kw):
            acc += np.einsum(
                "nchw,oc->nohw", xp[:, :, i : i + h, j : j + w], w_q[:, :, i, j].astype(np.int64)
            )
    acc += b_q[None, :, None, None]
    scale = (np.float64(x_s) * w_s.astype(np.float64) / np.float64(y_s))[None, :, None, None]
    return np.clip(np.rint(acc * scale) + y_zp, 0, 255)


def _qlinearconv_model(tmp_path, w_q, w_scale, bias_q):
    consts = {
        "xs": np.array(0.02, np.float32),
        "xz": np.array(120, np.uint8),
        "w": w_q,
        "ws": w_scale,
        "wz": np.zeros(len(w_q), np.int8),
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
    return path


def test_qlinearconv_maps_to_an_int8_conv(tmp_path):
    rng = np.random.default_rng(3)
    w_q = rng.integers(-127, 128, (4, 2, 3, 3)).astype(np.int8)
    w_scale = rng.uniform(0.005, 0.02, 4).astype(np.float32)
    bias_q = rng.integers(-500, 500, 4).astype(np.int32)
    path = _qlinearconv_model(tmp_path, w_q, w_scale, bias_q)
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
    # inputs on the quantisation grid: the float conv differs from the operator by output rounding only
    x_q = rng.integers(0, 256, (2, 2, 5, 5))
    x = ((x_q - 120) * 0.02).astype(np.float32).transpose(0, 2, 3, 1)
    y_q = _qlinearconv_reference(x_q, 120, 0.02, w_q, w_scale, bias_q, 0.04, 100, pad=1)
    ref = ((y_q - 100) * 0.04).transpose(0, 2, 3, 1)
    ours = np.clip(
        reference_forward(imported.graph, imported.weights, x), (0 - 100) * 0.04, (255 - 100) * 0.04
    )
    assert np.abs(ours - ref).max() <= 0.04 / 2 + 1e-5


def test_the_qlinearconv_reference_agrees_with_onnxruntime_where_it_cannot_saturate(tmp_path):
    """Weights within +-63 keep every int16 pair sum of onnxruntime's x86 kernel in range."""
    rng = np.random.default_rng(4)
    w_q = rng.integers(-63, 64, (4, 2, 3, 3)).astype(np.int8)
    w_scale = rng.uniform(0.005, 0.02, 4).astype(np.float32)
    bias_q = rng.integers(-500, 500, 4).astype(np.int32)
    path = _qlinearconv_model(tmp_path, w_q, w_scale, bias_q)
    x_q = rng.integers(0, 256, (2, 2, 5, 5))
    x = ((x_q - 120) * 0.02).astype(np.float32)
    ref = run_onnxruntime(path, x)
    ours = (_qlinearconv_reference(x_q, 120, 0.02, w_q, w_scale, bias_q, 0.04, 100, pad=1) - 100) * 0.04
    np.testing.assert_allclose(ours, ref, atol=1e-5)


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
