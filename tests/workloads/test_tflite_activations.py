"""TensorFlow Lite activations (LOGISTIC, TANH, ELU, LEAKY_RELU, HARD_SWISH): built float files import as
their layers and compute what the file computes, against a float64 NumPy reference of each op's definition
(and the TensorFlow Lite interpreter when ai-edge-litert is installed)."""

import numpy as np
import pytest

pytest.importorskip("tflite")

from tflite_builder import Op, T, fc_options, write_tflite  # noqa: E402

from workloads.errors import WorkloadError  # noqa: E402
from workloads.network import Network  # noqa: E402
from workloads.tflite_import import import_tflite  # noqa: E402


def _hard_swish(x):
    return x * np.minimum(np.maximum(x + 3.0, 0.0), 6.0) / 6.0


# op -> (options of the op, tinyemu kind, float64 reference)
ACTIVATIONS = {
    "LOGISTIC": (None, "sigmoid", lambda x: 1.0 / (1.0 + np.exp(-x))),
    "TANH": (None, "tanh", np.tanh),
    "ELU": (None, "elu", lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))),
    "LEAKY_RELU": (
        {"options": "LeakyReluOptions", "fields": {"Alpha": 0.2}},
        "leaky_relu",
        lambda x: np.where(x > 0, x, np.float64(np.float32(0.2)) * x),
    ),
    "HARD_SWISH": (None, "hard_swish", _hard_swish),
}


def _mlp(path, op, options, rng):
    tensors, ops, weights = mlp_parts(op, options, rng)
    return write_tflite(path, tensors, ops), weights


def mlp_parts(op, options, rng):
    """x (1, 8) -> FULLY_CONNECTED (6 units, bias) -> op -> FULLY_CONNECTED (4 units, no bias)."""
    w1 = rng.standard_normal((6, 8)).astype(np.float32)
    b1 = rng.standard_normal(6).astype(np.float32)
    w2 = rng.standard_normal((4, 6)).astype(np.float32)
    tensors = [
        T("x", (1, 8)),
        T("w1", (6, 8), data=w1),
        T("b1", (6,), data=b1),
        T("h", (1, 6)),
        T("a", (1, 6)),
        T("w2", (4, 6), data=w2),
        T("y", (1, 4)),
    ]
    ops = [
        Op("FULLY_CONNECTED", (0, 1, 2), (3,), **fc_options()),
        Op(op, (3,), (4,), **(options or {})),
        Op("FULLY_CONNECTED", (4, 5, -1), (6,), **fc_options()),
    ]
    return tensors, ops, (w1, b1, w2)


def interpreter_outputs(path, x):
    """The interpreter's output for each sample of ``x`` (skips when ai-edge-litert is absent)."""
    litert = pytest.importorskip("ai_edge_litert.interpreter")
    interpreter = litert.Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    out = []
    for sample in x:
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], sample[None])
        interpreter.invoke()
        out.append(interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0])
    return np.stack(out)


@pytest.mark.parametrize("op", sorted(ACTIVATIONS))
def test_an_activation_imports_as_its_layer_and_computes_the_files_function(op, tmp_path):
    options, kind, reference = ACTIVATIONS[op]
    rng = np.random.default_rng(3)
    path, (w1, b1, w2) = _mlp(tmp_path / f"{op}.tflite", op, options, rng)
    model = import_tflite(path)
    assert [n.kind for n in model.graph] == ["input", "dense", kind, "dense"]
    assert model.graph.params == 6 * 8 + 6 + 4 * 6
    assert model.graph.macs == 6 * 8 + 4 * 6
    assert model.precision == "fp32"
    x = rng.uniform(-2, 2, (16, 8)).astype(np.float32)
    h = x.astype(np.float64) @ w1.T.astype(np.float64) + b1
    assert h.min() < -3 and h.max() > 3  # both sides of every activation's bends are exercised
    expected = reference(h) @ w2.T.astype(np.float64)
    ours = Network(model.graph, model.weights).forward(x)
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(interpreter_outputs(path, x), expected, rtol=1e-5, atol=1e-5)


def test_leaky_relu_keeps_the_files_slope_and_an_absent_option_is_the_schemas_zero(tmp_path):
    rng = np.random.default_rng(5)
    path, _ = _mlp(tmp_path / "l.tflite", "LEAKY_RELU", ACTIVATIONS["LEAKY_RELU"][0], rng)
    assert import_tflite(path).graph["leaky_relu_0"].layer.alpha == pytest.approx(0.2)
    path, (w1, b1, w2) = _mlp(tmp_path / "l0.tflite", "LEAKY_RELU", None, rng)
    model = import_tflite(path)
    assert model.graph["leaky_relu_0"].layer.alpha == 0.0
    x = rng.uniform(-2, 2, (8, 8)).astype(np.float32)
    h = x.astype(np.float64) @ w1.T.astype(np.float64) + b1
    expected = np.maximum(h, 0.0) @ w2.T.astype(np.float64)
    np.testing.assert_allclose(Network(model.graph, model.weights).forward(x), expected, atol=1e-5)
    np.testing.assert_allclose(interpreter_outputs(path, x), expected, atol=1e-5)


def test_a_fused_tanh_is_refused_as_the_interpreter_does_not_apply_it(tmp_path):
    rng = np.random.default_rng(6)
    conv = {"Padding": 1, "StrideH": 1, "StrideW": 1, "FusedActivationFunction": 4}
    tensors = [
        T("x", (1, 3, 3, 2)),
        T("w", (4, 1, 1, 2), data=rng.standard_normal((4, 1, 1, 2)).astype(np.float32)),
        T("b", (4,), data=np.zeros(4, np.float32)),
        T("y", (1, 3, 3, 4)),
    ]
    ops = [Op("CONV_2D", (0, 1, 2), (3,), "Conv2DOptions", conv)]
    path = write_tflite(tmp_path / "f.tflite", tensors, ops)
    with pytest.raises(WorkloadError, match=r"CONV_2D \(fused TANH\) x1 \(y\)"):
        import_tflite(path)


def test_emu_forward_runs_a_tflite_file_in_its_own_nhwc_layout(tmp_path):
    from tflite_builder import se_model

    import emu

    path, _ = se_model(tmp_path / "se.tflite", np.random.default_rng(3))
    x = np.random.default_rng(4).standard_normal((3, 8, 8, 3)).astype(np.float32)
    ours, ref = emu.forward(str(path), x), interpreter_outputs(path, x)
    assert ours.shape == ref.shape and np.abs(ours - ref).max() <= 1e-4 * max(1.0, np.abs(ref).max())
