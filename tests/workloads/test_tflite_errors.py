"""TensorFlow Lite files the importer refuses (one WorkloadError naming the file), and small built files
whose operators (SAME-padded pools, a fused ReLU6) must compute what the interpreter computes."""

import sys

import numpy as np
import pytest

pytest.importorskip("tflite")

from tflite_builder import Op, T, fc_options, unsupported_model, write_tflite  # noqa: E402

from workloads.errors import WorkloadError  # noqa: E402
from workloads.network import Network  # noqa: E402
from workloads.tflite_import import import_tflite  # noqa: E402


def test_every_unsupported_op_is_listed_with_names_and_counts(tmp_path):
    path = unsupported_model(tmp_path / "u.tflite")
    with pytest.raises(WorkloadError) as info:
        import_tflite(path)
    message = str(info.value)
    assert str(path) in message
    assert "EXP x2 (t1, t3)" in message
    assert "SIN x1 (t2)" in message
    assert "FULLY_CONNECTED (fused TANH) x1 (t4)" in message


def test_without_the_tflite_package_the_error_says_what_to_install(tmp_path, monkeypatch):
    path = unsupported_model(tmp_path / "u.tflite")
    monkeypatch.setitem(sys.modules, "tflite", None)  # import tflite now raises ImportError
    with pytest.raises(WorkloadError, match=r"install '\.\[tflite\]'"):
        import_tflite(path)


def test_missing_truncated_and_foreign_files(tmp_path):
    with pytest.raises(WorkloadError, match="an existing .tflite file"):
        import_tflite(tmp_path / "absent.tflite")
    other = tmp_path / "other.tflite"
    other.write_bytes(b"PK\x03\x04 not a flatbuffer at all")
    with pytest.raises(WorkloadError, match="no TFL3 identifier"):
        import_tflite(other)
    data = unsupported_model(tmp_path / "u.tflite").read_bytes()
    cut = tmp_path / "cut.tflite"
    for size in (len(data) // 3, len(data) // 2, 12):
        cut.write_bytes(data[:size])
        with pytest.raises(WorkloadError, match="truncated or corrupt|TFL3|unsupported TFLite ops"):
            import_tflite(cut)


def test_a_partly_quantised_file_is_an_import_error_with_the_fix(tmp_path):
    """int8 weights and input, float output: neither an int8 nor a float model."""
    w = np.arange(-16, 16, dtype=np.int8).reshape(4, 8)
    tensors = [
        T("x", (1, 8), np.int8, scale=(0.1,), zero_point=(3,)),
        T("w", (4, 8), np.int8, data=w, scale=(0.02,)),
        T("y", (1, 4)),
    ]
    path = write_tflite(
        tmp_path / "p.tflite", tensors, [Op("FULLY_CONNECTED", (0, 1, -1), (2,), **fc_options())]
    )
    with pytest.raises(WorkloadError, match="fully integer-quantised model") as info:
        import_tflite(path)
    assert str(path) in str(info.value) and "'y'" in str(info.value)


def _pool_model(path, rng):
    conv_w = rng.standard_normal((6, 3, 3, 2)).astype(np.float32)
    fc_w = rng.standard_normal((5, 2 * 2 * 6)).astype(np.float32)
    tensors = [
        T("x", (1, 7, 7, 2)),
        T("conv_w", (6, 3, 3, 2), data=conv_w),
        T("conv_b", (6,), data=rng.standard_normal(6).astype(np.float32)),
        T("conv", (1, 4, 4, 6)),  # SAME, stride 2, fused ReLU6
        T("avg", (1, 4, 4, 6)),  # 3x3 SAME average, stride 1: border windows are partial
        T("max", (1, 2, 2, 6)),  # 3x3 SAME max, stride 2
        T("fc_w", (5, 24), data=fc_w),
        T("y", (1, 5)),
    ]
    conv = {"Padding": 0, "StrideH": 2, "StrideW": 2, "FusedActivationFunction": 3}
    conv.update(DilationHFactor=1, DilationWFactor=1)
    pool = {"Padding": 0, "FilterHeight": 3, "FilterWidth": 3}
    ops = [
        Op("CONV_2D", (0, 1, 2), (3,), "Conv2DOptions", conv),
        Op("AVERAGE_POOL_2D", (3,), (4,), "Pool2DOptions", {**pool, "StrideH": 1, "StrideW": 1}),
        Op("MAX_POOL_2D", (4,), (5,), "Pool2DOptions", {**pool, "StrideH": 2, "StrideW": 2}),
        Op("FULLY_CONNECTED", (5, 6, -1), (7,), **fc_options()),  # reads the feature map: flattens it
    ]
    return write_tflite(path, tensors, ops)


def test_same_padded_pools_fused_relu6_and_an_implicit_flatten_match_the_interpreter(tmp_path):
    litert = pytest.importorskip("ai_edge_litert.interpreter")
    rng = np.random.default_rng(4)
    path = _pool_model(tmp_path / "pools.tflite", rng)
    model = import_tflite(path)
    kinds = [n.kind for n in model.graph]
    assert kinds == ["input", "conv2d", "relu6", "avgpool", "maxpool", "flatten", "dense"]
    x = rng.uniform(-3, 3, (3, 7, 7, 2)).astype(np.float32)
    interpreter = litert.Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    ref = []
    for sample in x:
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], sample[None])
        interpreter.invoke()
        ref.append(interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0])
    ours = Network(model.graph, model.weights).forward(x)
    np.testing.assert_allclose(ours, np.stack(ref), rtol=1e-5, atol=1e-5)
