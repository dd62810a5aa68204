"""TensorFlow Lite MEAN (over H and W) and MUL (same shape, or a channel gate): built float files import as
``global_avg_pool`` and ``mul`` and compute what the file computes, against a float64 NumPy reference (and
the interpreter when ai-edge-litert is installed); what has no exact layer is refused."""

import numpy as np
import pytest

pytest.importorskip("tflite")

from test_tflite_activations import interpreter_outputs  # noqa: E402
from tflite_builder import CONV_SAME, Op, T, fc_options, se_model, write_tflite  # noqa: E402

from workloads.errors import WorkloadError  # noqa: E402
from workloads.network import Network  # noqa: E402
from workloads.tflite_import import import_tflite  # noqa: E402


def conv_same(x, w, b):
    """Stride-1 SAME convolution of NHWC ``x`` with OHWI ``w`` (odd kernels), float64."""
    _, kh, kw, _ = w.shape
    n, h, wd, _ = x.shape
    xp = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    out = np.zeros((n, h, wd, w.shape[0]))
    for i in range(kh):
        for j in range(kw):
            out += xp[:, i : i + h, j : j + wd, :] @ w[:, i, j, :].T.astype(np.float64)
    return out + b


def se_reference(x, w, r=lambda name, v: v):
    """The squeeze-excitation file's function, from the ops' definitions; ``r(tensor name, value)`` sees
    (and may round) each computed tensor, for an int8 file's reference."""
    x = r("x", x.astype(np.float64))
    h = r("conv1", conv_same(x, w["conv1_w"], w["conv1_b"]))
    h = r("hswish", h * np.clip(h + 3.0, 0.0, 6.0) / 6.0)
    s = r("squeeze", h.mean(axis=(1, 2)))
    s = r("relu", np.maximum(r("fc1", s @ w["fc1_w"].T.astype(np.float64) + w["fc1_b"]), 0.0))
    g = r("gate", 1.0 / (1.0 + np.exp(-r("fc2", s @ w["fc2_w"].T.astype(np.float64) + w["fc2_b"]))))
    e = r("excited", h * g[:, None, None, :])
    p = r("pooled", r("conv2", conv_same(e, w["conv2_w"], w["conv2_b"])).mean(axis=(1, 2)))
    return r("logits", p @ w["fc3_w"].T.astype(np.float64) + w["fc3_b"])


SE_KINDS = [
    "input",
    "conv2d",
    "hard_swish",
    "global_avg_pool",
    "dense",
    "relu",
    "dense",
    "sigmoid",
    "mul",
    "conv2d",
    "global_avg_pool",
    "dense",
]


@pytest.mark.parametrize("gate", ["reshape", "broadcast"])
def test_a_squeeze_excitation_model_imports_and_computes_the_files_function(gate, tmp_path):
    rng = np.random.default_rng(7)
    path, w = se_model(tmp_path / "se.tflite", rng, gate)
    model = import_tflite(path)
    assert [n.kind for n in model.graph] == SE_KINDS
    assert model.graph.loss == "softmax_cross_entropy"
    mul = model.graph["mul_0"]
    assert mul.inputs == ("hard_swish_0", "sigmoid_0")  # the feature map first, whatever the file's order
    assert model.graph.params == (8 * 27 + 8) + (8 * 4 + 4) + (4 * 8 + 8) + (8 * 6 + 6) + (6 * 3 + 3)
    assert model.graph.macs == 64 * 8 * 27 + 32 + 32 + 64 * 6 * 8 + 18
    x = rng.uniform(-2, 2, (6, 8, 8, 3)).astype(np.float32)
    expected = se_reference(x, w)
    ours = Network(model.graph, model.weights).forward(x)
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(interpreter_outputs(path, x), expected, rtol=1e-5, atol=1e-5)


def test_a_mul_of_two_equal_shapes_and_a_gate_from_a_1x1_feature_map(tmp_path):
    """x (3, 3, 2): a 3x3 VALID conv to (1, 1, 4) -> LOGISTIC gates a 1x1 conv of x; then SiLU (the
    product of a tensor and its LOGISTIC) with a fused RELU, and a FULLY_CONNECTED of the map."""
    rng = np.random.default_rng(8)
    wv, w1, wf = (rng.standard_normal(s).astype(np.float32) for s in ((4, 3, 3, 2), (4, 1, 1, 2), (2, 36)))
    zeros = np.zeros(4, np.float32)
    tensors = [
        T("x", (1, 3, 3, 2)),
        T("wv", (4, 3, 3, 2), data=wv),
        T("b0", (4,), data=zeros),
        T("v", (1, 1, 1, 4)),
        T("g", (1, 1, 1, 4)),
        T("w1", (4, 1, 1, 2), data=w1),  # 5
        T("b1", (4,), data=zeros),
        T("f", (1, 3, 3, 4)),
        T("gated", (1, 3, 3, 4)),
        T("s", (1, 3, 3, 4)),
        T("silu", (1, 3, 3, 4)),  # 10
        T("wf", (2, 36), data=wf),
        T("y", (1, 2)),
    ]
    ops = [
        Op("CONV_2D", (0, 1, 2), (3,), "Conv2DOptions", {**CONV_SAME, "Padding": 1}),
        Op("LOGISTIC", (3,), (4,)),
        Op("CONV_2D", (0, 5, 6), (7,), "Conv2DOptions", CONV_SAME),
        Op("MUL", (4, 7), (8,), "MulOptions", {}),
        Op("LOGISTIC", (8,), (9,)),
        Op("MUL", (8, 9), (10,), "MulOptions", {"FusedActivationFunction": 1}),
        Op("FULLY_CONNECTED", (10, 11, -1), (12,), **fc_options()),
    ]
    path = write_tflite(tmp_path / "m.tflite", tensors, ops)
    model = import_tflite(path)
    kinds = [n.kind for n in model.graph]
    assert kinds == ["input", "conv2d", "sigmoid", "conv2d", "flatten", "mul"] + [
        "sigmoid",
        "mul",
        "relu",
        "flatten",
        "dense",
    ]
    assert model.graph["mul_0"].inputs == ("conv2d_1", "flatten_0")
    x = rng.uniform(-2, 2, (5, 3, 3, 2)).astype(np.float64)
    v = np.einsum("nhwc,ohwc->no", x, wv.astype(np.float64))
    gate = 1.0 / (1.0 + np.exp(-v))
    gated = (x @ w1[:, 0, 0, :].T.astype(np.float64)) * gate[:, None, None, :]
    silu = np.maximum(gated / (1.0 + np.exp(-gated)), 0.0)
    expected = silu.reshape(5, -1) @ wf.T.astype(np.float64)
    ours = Network(model.graph, model.weights).forward(x.astype(np.float32))
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        interpreter_outputs(path, x.astype(np.float32)), expected, rtol=1e-5, atol=1e-5
    )


def _one_op(path, op, second, out_shape, options=None):
    """x (1, 4, 4, 3) -> op(x, second) -> FULLY_CONNECTED."""
    n = int(np.prod(out_shape[1:]))
    tensors = [
        T("x", (1, 4, 4, 3)),
        second,
        T("out", out_shape),
        T("w", (2, n), data=np.ones((2, n), np.float32)),
    ]
    ops = [Op(op, (0, 1), (2,), **(options or {})), Op("FULLY_CONNECTED", (2, 3, -1), (4,), **fc_options())]
    return write_tflite(path, [*tensors, T("y", (1, 2))], ops)


@pytest.mark.parametrize(
    ("op", "second", "out_shape", "words"),
    [
        ("MUL", T("c", (1, 1, 1, 3), data=np.ones((1, 1, 1, 3), np.float32)), (1, 4, 4, 3), "a constant"),
        ("MEAN", T("axes", (1,), np.int32, data=np.array([3], np.int32)), (1, 4, 4), "the spatial axes"),
        ("MEAN", T("axes", (1,), np.int32, data=np.array([1], np.int32)), (1, 4, 3), "the spatial axes"),
        ("MEAN", T("axes", (2,), np.int32, data=np.array([1, 1], np.int32)), (1, 4, 3), "the spatial axes"),
    ],
)
def test_what_has_no_exact_layer_is_refused_naming_the_op(op, second, out_shape, words, tmp_path):
    path = _one_op(tmp_path / "r.tflite", op, second, out_shape)
    with pytest.raises(WorkloadError, match=words) as info:
        import_tflite(path)
    assert str(path) in str(info.value) and f"{op} 0 ('out')" in str(info.value)


def test_a_mul_whose_shapes_do_not_gate_is_refused(tmp_path):
    rng = np.random.default_rng(9)
    tensors = [
        T("x", (1, 4, 4, 3)),
        T("w", (3, 48), data=rng.standard_normal((3, 48)).astype(np.float32)),
        T("v", (1, 3)),
        T("w2", (4, 4, 4, 3), data=rng.standard_normal((4, 4, 4, 3)).astype(np.float32)),
        T("b2", (4,), data=np.zeros(4, np.float32)),
        T("m", (1, 4, 4, 4)),
        T("out", (1, 4, 4, 4)),
    ]
    ops = [
        Op("FULLY_CONNECTED", (0, 1, -1), (2,), **fc_options()),
        Op("CONV_2D", (0, 3, 4), (5,), "Conv2DOptions", CONV_SAME),
        Op("MUL", (5, 2), (6,), "MulOptions", {}),
    ]
    path = write_tflite(tmp_path / "s.tflite", tensors, ops)
    with pytest.raises(WorkloadError, match=r"MUL 2 \('out'\) input shapes.*channel gate"):
        import_tflite(path)
