"""A QDQ model from onnxruntime's ``quantize_static``: the ReLU (or Clip) after each conv is removed and
folded into the output quantiser (zero point at the bottom of the range). The importer must turn that
clamping quantiser back into an activation: the forward (fp32 and int8) and the backward honour it."""

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx_export import run_onnxruntime, to_nchw  # noqa: E402
from onnxruntime.quantization import (  # noqa: E402
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_static,
)

from workloads.network import Network  # noqa: E402
from workloads.onnx_import import import_onnx  # noqa: E402
from workloads.plan import TrainingPlan  # noqa: E402

DEAD = 1  # conv1's channel whose bias keeps it below zero on every input: its ReLU passes no gradient


def _float_model(path, rng, clip_max=6.0):
    w1 = (rng.standard_normal((4, 2, 3, 3)) * 0.5).astype(np.float32)
    b1 = (rng.standard_normal(4) * 0.1).astype(np.float32)
    b1[DEAD] = -20.0
    w2 = (rng.standard_normal((4, 4, 3, 3)) * 0.3).astype(np.float32)
    b2 = (rng.standard_normal(4) * 0.1).astype(np.float32)
    w3 = (rng.standard_normal((4 * 6 * 6, 3)) * 0.2).astype(np.float32)
    consts = {"w1": w1, "b1": b1, "w2": w2, "b2": b2, "w3": w3}
    consts |= {"lo": np.array(0, np.float32), "hi": np.array(clip_max, np.float32)}
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Clip", ["c2", "lo", "hi"], ["r2"], name="clip2"),
        helper.make_node("Flatten", ["r2"], ["f"], name="flat"),
        helper.make_node("MatMul", ["f", "w3"], ["y"], name="fc"),
    ]
    graph = helper.make_graph(
        nodes,
        "qdq_relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 2, 6, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3])],
        [numpy_helper.from_array(v, k) for k, v in consts.items()],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


class _Samples(CalibrationDataReader):
    def __init__(self, samples):
        self.samples = iter([{"x": s[None]} for s in samples])

    def get_next(self):
        return next(self.samples, None)


@pytest.fixture(params=[QuantType.QUInt8, QuantType.QInt8], ids=["uint8", "int8"])
def qdq(request, tmp_path):
    rng = np.random.default_rng(0)
    float_path = _float_model(tmp_path / "float.onnx", rng)
    calibration = rng.uniform(-1, 1, (16, 2, 6, 6)).astype(np.float32)
    path = tmp_path / "qdq.onnx"
    quantize_static(
        str(float_path),
        str(path),
        _Samples(calibration),
        quant_format=QuantFormat.QDQ,
        activation_type=request.param,
        weight_type=QuantType.QInt8,
    )
    kinds = [n.op_type for n in onnx.load(str(path)).graph.node]
    assert "Relu" not in kinds and "Clip" not in kinds  # the quantiser folded them (the case under test)
    return float_path, path


def test_a_clamping_quantiser_is_an_activation_of_the_graph(qdq):
    _, path = qdq
    graph = import_onnx(path).graph
    for conv in ("conv1", "conv2"):
        (reader,) = graph.consumers(conv)
        assert graph[reader].kind == "relu", (conv, reader)


def test_fp32_and_int8_forward_compute_the_file(qdq):
    float_path, path = qdq
    model = import_onnx(path)
    x = np.random.default_rng(1).uniform(-1, 1, (8, 6, 6, 2)).astype(np.float32)
    float_ref = run_onnxruntime(float_path, to_nchw(x))  # the function the file was quantised from
    qdq_ref = run_onnxruntime(path, to_nchw(x))
    fp32 = Network(model.graph, model.weights).forward(x)
    assert np.abs(fp32 - float_ref).max() <= 0.05 * np.abs(float_ref).max()
    int8 = Network(model.graph, model.weights, "int8", quantization=model.quantization)
    int8.calibrate([x])  # the scales the file does not give (none here: every activation is quantised)
    ours = int8.forward(x)
    y_scale = model.quantization["fc"]["y_scale"]
    assert np.abs(ours - qdq_ref).max() <= 2 * y_scale + 0.02 * np.abs(qdq_ref).max()


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_the_backward_passes_no_gradient_where_the_quantiser_clamps(qdq, precision):
    """conv1's channel DEAD is below zero everywhere: behind a ReLU, no step can move its weights."""
    _, path = qdq
    model = import_onnx(path)
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (4, 6, 6, 2)).astype(np.float32)
    y = rng.integers(0, 3, 4)
    net = Network(model.graph, model.weights, precision, quantization=model.quantization)
    if precision == "int8":
        net.calibrate([x])
    state = net.trainer(TrainingPlan(update="full", optimizer="sgd", batch_size=4, precision=precision))
    before = {k: v.copy() for k, v in net.params["conv1"].items()}
    for _ in range(5):
        net.train_step(x, y, state)
    after = net.params["conv1"]
    np.testing.assert_array_equal(after["weight"][..., DEAD], before["weight"][..., DEAD])
    assert after["bias"][DEAD] == before["bias"][DEAD]
    live = [c for c in range(4) if c != DEAD]
    assert not np.array_equal(after["weight"][..., live], before["weight"][..., live])  # the others train


def test_a_quantiser_whose_range_ends_at_six_is_a_relu6(tmp_path):
    """Calibrated on inputs that saturate the Clip(0, 6), its quantiser spans exactly 0..6."""
    rng = np.random.default_rng(0)
    float_path = _float_model(tmp_path / "float.onnx", rng)
    calibration = rng.uniform(-60, 60, (16, 2, 6, 6)).astype(np.float32)
    path = tmp_path / "qdq6.onnx"
    quantize_static(str(float_path), str(path), _Samples(calibration), quant_format=QuantFormat.QDQ)
    graph = import_onnx(path).graph
    kinds = {conv: graph[graph.consumers(conv)[0]].kind for conv in ("conv1", "conv2")}
    assert kinds == {"conv1": "relu", "conv2": "relu6"}
    x = rng.uniform(-60, 60, (4, 6, 6, 2)).astype(np.float32)
    model = import_onnx(path)
    ref = run_onnxruntime(float_path, to_nchw(x))
    ours = Network(model.graph, model.weights).forward(x)
    assert np.abs(ours - ref).max() <= 0.05 * np.abs(ref).max()
