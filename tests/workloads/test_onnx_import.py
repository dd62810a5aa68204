"""ONNX import round trip: zoo models exported with onnx.helper, imported back, run against onnxruntime.

Tolerance of the forward comparisons: the largest absolute difference is at most 1e-4 times the largest
output magnitude (float32 onnxruntime against a float64 NumPy reference on the imported weights; measured
differences are around 1e-6 relative).
"""

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx_export import assert_matches, export_graph, reference_forward, run_onnxruntime, softmax, to_nchw  # noqa: E402

from workloads.graph import GraphBuilder  # noqa: E402
from workloads.onnx_import import import_onnx  # noqa: E402
from workloads.zoo import build_model  # noqa: E402

ZOO_SMALL = [
    ("lenet-digits", {}),
    ("mlp", {}),
    ("mlperf-resnet8", {}),
    ("mlperf-dscnn", {}),
    ("mlperf-mbv1-vww", {"resolution": 32}),
    ("mlperf-autoencoder", {}),
    ("mbv2-w0.35", {"resolution": 32}),
]


def _folded_bn_params(graph) -> int:
    return sum(n.param_count for n in graph if n.kind == "batchnorm" and graph[n.inputs[0]].kind == "conv2d")


@pytest.mark.parametrize(
    "name", ["mlperf-resnet8", "mlperf-dscnn", "mlperf-mbv1-vww", "mlperf-autoencoder", "mbv2-w0.35"]
)
def test_full_size_zoo_models_keep_shapes_params_and_macs(tmp_path, name):
    graph = build_model(name)
    path = tmp_path / f"{name}.onnx"
    export_graph(graph, path)
    imported = import_onnx(path)
    g = imported.graph
    assert g.input_shape == graph.input_shape
    assert g.macs == graph.macs
    assert g.params == graph.params - _folded_bn_params(graph)  # conv+BN folds; dense+BN stays
    assert g.loss == graph.loss
    kept = [n for n in graph if n.kind != "dropout" and not (n.kind == "batchnorm" and n.name not in g)]
    assert [n.name for n in g] == [n.name for n in kept]
    for node in g:
        assert node.output_shape == graph[node.name].output_shape, node.name
    assert imported.precision == "fp32" and imported.quantization is None


@pytest.mark.parametrize("name,options", ZOO_SMALL)
@pytest.mark.parametrize("flatten,dense", [("Flatten", "Gemm"), ("TransposeReshape", "MatMul")])
def test_zoo_forward_matches_onnxruntime(tmp_path, name, options, flatten, dense):
    graph = build_model(name, **options)
    path = tmp_path / "m.onnx"
    export_graph(graph, path, softmax=False, flatten=flatten, dense=dense, seed=3)
    imported = import_onnx(path)
    x = np.random.default_rng(1).standard_normal((2, *graph.input_shape)).astype(np.float32)
    assert_matches(reference_forward(imported.graph, imported.weights, x), run_onnxruntime(path, to_nchw(x)))


def test_softmax_output_is_dropped_and_the_loss_is_cross_entropy(tmp_path):
    graph = build_model("lenet-digits")
    path = tmp_path / "m.onnx"
    export_graph(graph, path, softmax=True)
    imported = import_onnx(path)
    assert imported.graph.loss == "softmax_cross_entropy"
    assert imported.graph.output.kind == "dense"
    x = np.random.default_rng(2).standard_normal((3, 8, 8, 1)).astype(np.float32)
    logits = reference_forward(imported.graph, imported.weights, x)
    assert_matches(softmax(logits), run_onnxruntime(path, to_nchw(x)))


def _conv_bn_model(path, share_conv_output: bool, eps: float = 1e-3):
    rng = np.random.default_rng(7)
    w = rng.standard_normal((6, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    bn = [rng.uniform(0.5, 2, 6), rng.normal(0, 1, 6), rng.normal(0, 1, 6), rng.uniform(0.1, 2, 6)]
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")]
    inits += [numpy_helper.from_array(t.astype(np.float32), k) for k, t in zip("smgv", bn, strict=True)]
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "s", "m", "g", "v"], ["n"], name="bn", epsilon=eps),
    ]
    out = "n"
    if share_conv_output:
        nodes.append(helper.make_node("Add", ["n", "c"], ["y"], name="skip"))
        out = "y"
    nodes.append(helper.make_node("Relu", [out], ["r"], name="act"))
    graph = helper.make_graph(
        nodes,
        "convbn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, 5, 5])],
        [helper.make_tensor_value_info("r", TensorProto.FLOAT, ["n", 6, 5, 5])],
        inits,
    )
    import onnx

    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return w, b, bn


def test_conv_batchnorm_fold_is_exact(tmp_path):
    path = tmp_path / "convbn.onnx"
    w, b, (gamma, beta, mean, var) = _conv_bn_model(path, share_conv_output=False)
    imported = import_onnx(path)
    assert [n.kind for n in imported.graph] == ["input", "conv2d", "relu"]
    s = gamma / np.sqrt(var + 1e-3)
    expected_w = (w.astype(np.float64) * s[:, None, None, None]).transpose(2, 3, 1, 0)
    np.testing.assert_allclose(imported.weights["conv"]["weight"], expected_w, rtol=1e-6)
    np.testing.assert_allclose(imported.weights["conv"]["bias"], (b - mean) * s + beta, rtol=1e-5, atol=1e-6)
    x = np.random.default_rng(0).standard_normal((2, 5, 5, 3)).astype(np.float32)
    ref = run_onnxruntime(path, to_nchw(x)).transpose(0, 2, 3, 1)
    assert_matches(reference_forward(imported.graph, imported.weights, x), ref)


def test_batchnorm_is_not_folded_when_the_conv_output_has_another_reader(tmp_path):
    path = tmp_path / "convbn_shared.onnx"
    _conv_bn_model(path, share_conv_output=True)
    imported = import_onnx(path)
    assert [n.kind for n in imported.graph] == ["input", "conv2d", "batchnorm", "add", "relu"]
    x = np.random.default_rng(0).standard_normal((2, 5, 5, 3)).astype(np.float32)
    ref = run_onnxruntime(path, to_nchw(x)).transpose(0, 2, 3, 1)
    # the BN epsilon 1e-3 is carried over
    assert_matches(
        reference_forward(imported.graph, imported.weights, x), ref
    )  # BN epsilon 1e-3 carried over


def _flatten_graph():
    g = GraphBuilder("flat", (4, 3, 2))
    g.conv(5, 3)
    g.flatten()
    g.dense(7)
    return g.build()


def test_flatten_after_conv_permutes_the_dense_rows_exactly(tmp_path):
    path = tmp_path / "flat.onnx"
    model = export_graph(_flatten_graph(), path, softmax=False)
    onnx_w = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}["dense_0_w"].T  # (C*H*W, 7)
    imported = import_onnx(path)
    ours = imported.weights["dense_0"]["weight"]  # (H*W*C, 7)
    h, w, c = 4, 3, 5
    for hh in range(h):
        for ww in range(w):
            for cc in range(c):
                assert np.array_equal(ours[(hh * w + ww) * c + cc], onnx_w[cc * h * w + hh * w + ww])
    assert not np.array_equal(ours, onnx_w)  # the order really differs for this shape
    x = np.random.default_rng(0).standard_normal((2, 4, 3, 2)).astype(np.float32)
    assert_matches(reference_forward(imported.graph, imported.weights, x), run_onnxruntime(path, to_nchw(x)))


def test_keras_style_transpose_then_reshape_needs_no_permutation(tmp_path):
    path = tmp_path / "flat_nhwc.onnx"
    model = export_graph(_flatten_graph(), path, softmax=False, flatten="TransposeReshape")
    onnx_w = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}["dense_0_w"].T
    imported = import_onnx(path)
    assert np.array_equal(imported.weights["dense_0"]["weight"], onnx_w)
    assert [n.kind for n in imported.graph] == ["input", "conv2d", "flatten", "dense"]


def test_nhwc_input_with_transpose_and_cancelling_transpose_pairs(tmp_path):
    rng = np.random.default_rng(4)
    w = rng.standard_normal((4, 2, 3, 3)).astype(np.float32)
    nodes = [
        helper.make_node("Transpose", ["x"], ["t0"], name="to_nchw", perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["t0", "w"], ["c"], name="conv", auto_pad="SAME_UPPER", strides=[2, 2]),
        helper.make_node("Transpose", ["c"], ["t1"], name="to_nhwc", perm=[0, 2, 3, 1]),
        helper.make_node("Transpose", ["t1"], ["t2"], name="back", perm=[0, 3, 1, 2]),
        helper.make_node("Relu", ["t2"], ["y"], name="act"),
    ]
    graph = helper.make_graph(
        nodes,
        "nhwc",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 7, 6, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 4, 3])],
        [numpy_helper.from_array(w, "w")],
    )
    import onnx

    path = tmp_path / "nhwc.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    imported = import_onnx(path)
    assert imported.graph.input_shape == (7, 6, 2)
    assert [n.kind for n in imported.graph] == ["input", "conv2d", "relu"]
    x = rng.standard_normal((1, 7, 6, 2)).astype(np.float32)
    ref = run_onnxruntime(path, x).transpose(0, 2, 3, 1)
    assert_matches(reference_forward(imported.graph, imported.weights, x), ref)


def test_network_executor_matches_onnxruntime(tmp_path):
    network = pytest.importorskip("workloads.network")
    graph = build_model("mlperf-resnet8")
    path = tmp_path / "r8.onnx"
    export_graph(graph, path, softmax=False, seed=5)
    imported = import_onnx(path)
    net = network.Network(imported.graph, weights=imported.weights, precision="fp32")
    x = np.random.default_rng(6).standard_normal((2, 32, 32, 3)).astype(np.float32)
    assert_matches(net.forward(x), run_onnxruntime(path, to_nchw(x)))


def test_gemm_alpha_beta_reshape_by_constant_node_identity_and_pool_ceil_mode(tmp_path):
    rng = np.random.default_rng(8)
    w = rng.standard_normal((3, 2 * 2 * 2)).astype(np.float32)
    c = rng.standard_normal((1, 3)).astype(np.float32)
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [1, -1])
    nodes = [
        helper.make_node(
            "MaxPool", ["x"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1
        ),
        helper.make_node("Identity", ["p"], ["i"], name="same"),
        helper.make_node("Constant", [], ["s"], name="target", value=shape),
        helper.make_node("Reshape", ["i", "s"], ["r"], name="reshape"),
        helper.make_node("Gemm", ["r", "w", "c"], ["y"], name="fc", transB=1, alpha=0.5, beta=2.0),
    ]
    graph = helper.make_graph(
        nodes,
        "misc",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(c, "c")],
    )
    import onnx

    path = tmp_path / "misc.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    imported = import_onnx(path)
    assert [n.kind for n in imported.graph] == ["input", "maxpool", "flatten", "dense"]
    np.testing.assert_allclose(imported.weights["fc"]["bias"], 2.0 * c[0], rtol=1e-7)
    x = rng.standard_normal((1, 4, 4, 2)).astype(np.float32)
    assert_matches(reference_forward(imported.graph, imported.weights, x), run_onnxruntime(path, to_nchw(x)))
