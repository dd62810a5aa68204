"""1-D CNNs (accelerometer activity recognition): a rank-3 input (N, C, L), Conv with 1-D kernels and 1-D
pools import as 1 x K 2-D layers, compute what onnxruntime computes and train with exact gradients."""

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from netref import assert_step_gradients_match_fd, ref_forward  # noqa: E402
from onnx_builder import Model, har_model, onnx_input  # noqa: E402
from onnx_export import assert_matches, run_onnxruntime  # noqa: E402

from workloads.errors import WorkloadError  # noqa: E402
from workloads.network import Network  # noqa: E402
from workloads.onnx_import import import_onnx  # noqa: E402
from workloads.plan import TrainingPlan  # noqa: E402

C, L = 3, 32


def _x(rng, n=3):
    return rng.standard_normal((n, 1, L, C)).astype(np.float32)


@pytest.mark.parametrize("head", ["flatten", "mean", "global"])
@pytest.mark.parametrize("pool", ["MaxPool", "AveragePool"])
def test_a_1d_cnn_matches_onnxruntime(tmp_path, head, pool):
    path = har_model(tmp_path / "har.onnx", head, pool)
    model = import_onnx(path)
    g = model.graph
    assert g.input_shape == (1, L, C)
    assert g["conv1"].layer.kernel == (1, 5) and g["conv1"].output_shape == (1, L, 8)
    assert g["dw"].layer.is_depthwise and g["dw"].layer.stride == (1, 2)
    assert g["pool1"].layer.pool == (1, 2)
    # MACs are those of the 1-D network: L_out * K * C_in / groups * C_out per layer
    assert g["conv1"].macs == L * 5 * C * 8 and g["dw"].macs == 7 * 3 * 8 and g["conv3"].macs == 7 * 3 * 8 * 6
    x = _x(np.random.default_rng(1))
    ref = run_onnxruntime(path, onnx_input(x, one_d=True))
    assert_matches(Network(model.graph, model.weights).forward(x), ref)
    assert_matches(ref_forward(model.graph, model.weights, x), ref)


def test_a_1d_cnn_trains_with_exact_gradients(tmp_path):
    model = import_onnx(har_model(tmp_path / "har.onnx", "flatten", "AveragePool"))
    net = Network(model.graph, model.weights)
    rng = np.random.default_rng(4)
    x, y = _x(rng, 2), np.array([1, 3])
    state = net.trainer(TrainingPlan(update="full", batch_size=2, learning_rate=0.0))
    net.train_step(x, y, state)
    assert assert_step_gradients_match_fd(model.graph, net, state, x, y, per_tensor=3) >= 15


def test_a_1d_output_sequence_keeps_onnx_order(tmp_path):
    """A 1-D autoencoder-like output (N, C, L): the loss is MSE and the values are ONNX's."""
    m = Model((C, L), seed=5)
    m.conv(C, 4, (3,), "enc", pads=[1, 1])
    m.op("LeakyRelu", name="act", alpha=0.1)
    m.conv(4, C, (3,), "dec", pads=[1, 1])
    path = m.save(tmp_path / "ae.onnx")
    model = import_onnx(path)
    assert model.graph.loss == "mse"
    x = _x(np.random.default_rng(6))
    ref = run_onnxruntime(path, onnx_input(x, one_d=True))
    ours = Network(model.graph, model.weights).forward(x)
    assert_matches(onnx_input(ours, one_d=True), ref)


def test_1d_errors_name_the_node_and_what_is_allowed(tmp_path):
    m = Model((C, L))
    m.op("ReduceMean", name="mean", axes=[1], keepdims=0)
    with pytest.raises(WorkloadError, match=r"ReduceMean 'mean' axes = \[1\]: the length axis \[2\]"):
        import_onnx(m.save(tmp_path / "p.onnx"))
    m = Model((C, L))
    m.op("Transpose", name="nlc", perm=[0, 2, 1])
    m.conv(L, 4, (1,), "conv")
    with pytest.raises(WorkloadError, match=r"Transpose 'nlc' perm = \[0, 2, 1\]") as info:
        import_onnx(m.save(tmp_path / "t.onnx"))
    assert "t.onnx" in str(info.value)
    m = Model((C, L))
    m.conv(C, 4, (3,), "conv", dilations=[2])
    with pytest.raises(WorkloadError, match=r"Conv 'conv' dilations = \[2\]"):
        import_onnx(m.save(tmp_path / "d.onnx"))
