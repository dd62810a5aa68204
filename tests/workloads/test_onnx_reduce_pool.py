"""Global average pooling written as ReduceMean, and padded AveragePool counting the padding (PyTorch's
default): imported files compute what onnxruntime computes, and train with exact gradients."""

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from netref import assert_step_gradients_match_fd, ref_forward  # noqa: E402
from onnx_builder import Model, onnx_input  # noqa: E402
from onnx_export import assert_matches, run_onnxruntime  # noqa: E402

from workloads.errors import WorkloadError  # noqa: E402
from workloads.network import Network  # noqa: E402
from workloads.onnx_import import import_onnx  # noqa: E402
from workloads.plan import TrainingPlan  # noqa: E402


def _mean_model(path, keepdims, opset=17, axes=(2, 3), flatten=True):
    m = Model((3, 6, 5), seed=1, opset=opset)
    m.conv(3, 4, (3, 3), "conv", pads=[1, 1, 1, 1])
    m.op("Relu", name="act")
    if opset >= 18:
        m.op("ReduceMean", [m.last, m.const("axes", np.array(axes, np.int64))], "gap", keepdims=keepdims)
    else:
        m.op("ReduceMean", name="gap", axes=list(axes), keepdims=keepdims)
    if keepdims and flatten:
        m.op("Flatten", name="flat", axis=1)
    if flatten:
        m.gemm(4, 3, "fc")
    return m.save(path)


@pytest.mark.parametrize(
    "keepdims,opset,axes", [(1, 17, (2, 3)), (0, 17, (2, 3)), (1, 18, (-1, -2)), (0, 18, (3, 2))]
)
def test_reduce_mean_over_space_is_the_global_average_pool(tmp_path, keepdims, opset, axes):
    path = _mean_model(tmp_path / "m.onnx", keepdims, opset, axes)
    model = import_onnx(path)
    kinds = [n.kind for n in model.graph]
    assert kinds[:4] == ["input", "conv2d", "relu", "global_avg_pool"]
    assert model.graph.output.kind == "dense"
    x = np.random.default_rng(2).standard_normal((3, 6, 5, 3)).astype(np.float32)
    ref = run_onnxruntime(path, onnx_input(x))
    assert_matches(Network(model.graph, model.weights).forward(x), ref)
    assert_matches(ref_forward(model.graph, model.weights, x), ref)


def test_reduce_mean_with_keepdims_as_the_output(tmp_path):
    path = _mean_model(tmp_path / "m.onnx", 1, flatten=False)
    model = import_onnx(path)
    x = np.random.default_rng(3).standard_normal((2, 6, 5, 3)).astype(np.float32)
    ref = run_onnxruntime(path, onnx_input(x))  # (N, C, 1, 1)
    assert_matches(Network(model.graph, model.weights).forward(x), ref.reshape(2, 4))


@pytest.mark.parametrize("axes", [(1,), (1, 2, 3), (0, 2, 3), (2,)])
def test_reduce_mean_over_other_axes_is_a_clear_error(tmp_path, axes):
    path = _mean_model(tmp_path / "bad.onnx", 0, axes=axes, flatten=False)
    with pytest.raises(WorkloadError, match=r"ReduceMean 'gap' axes .*the spatial axes \[2, 3\]") as info:
        import_onnx(path)
    assert str(path) in str(info.value)


def _padded_avgpool_model(path, include_pad):
    m = Model((2, 7, 6), seed=4)
    m.conv(2, 3, (3, 3), "conv")
    m.op("AveragePool", name="pool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
         count_include_pad=include_pad)  # fmt: skip
    m.op("Flatten", name="flat", axis=1)
    m.gemm(3 * 3 * 2, 4, "fc")
    return m.save(path)


@pytest.mark.parametrize("include_pad", [0, 1])
def test_padded_average_pool_divides_as_the_file_says(tmp_path, include_pad):
    path = _padded_avgpool_model(tmp_path / "m.onnx", include_pad)
    model = import_onnx(path)
    pool = model.graph["pool"].layer
    assert pool.kind == "avgpool" and pool.count_include_pad == bool(include_pad)
    x = np.random.default_rng(5).standard_normal((3, 7, 6, 2)).astype(np.float32)
    ref = run_onnxruntime(path, onnx_input(x))
    assert_matches(Network(model.graph, model.weights).forward(x), ref)
    assert_matches(ref_forward(model.graph, model.weights, x), ref)


def test_padded_average_pool_counting_padding_trains_with_exact_gradients(tmp_path):
    model = import_onnx(_padded_avgpool_model(tmp_path / "m.onnx", 1))
    net = Network(model.graph, model.weights)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 7, 6, 2)).astype(np.float32)
    y = np.array([0, 3])
    state = net.trainer(TrainingPlan(update="full", batch_size=2, learning_rate=0.0))
    net.train_step(x, y, state)
    assert assert_step_gradients_match_fd(model.graph, net, state, x, y, per_tensor=4) >= 12
