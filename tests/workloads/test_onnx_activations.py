"""ONNX activations with layers of their own (LeakyRelu, Sigmoid, Tanh, Elu, HardSigmoid, HardSwish):
imported files compute what onnxruntime computes, train with exact gradients, and keep what their backward
needs in the memory plan."""

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from netref import assert_step_gradients_match_fd, ref_forward  # noqa: E402
from onnx_builder import Model, onnx_input  # noqa: E402
from onnx_export import assert_matches, run_onnxruntime  # noqa: E402

from workloads.network import Network  # noqa: E402
from workloads.onnx_import import import_onnx  # noqa: E402
from workloads.plan import TrainingPlan  # noqa: E402
from workloads.program import lower  # noqa: E402


def _model(path, act_op, **attrs):
    """conv -> act -> maxpool -> flatten -> gemm -> act -> gemm (the keyword-spotter shape)."""
    m = Model((2, 6, 6), seed=3)
    m.conv(2, 4, (3, 3), "conv", pads=[1, 1, 1, 1])
    m.op(act_op, name="act1", **attrs)
    m.op("MaxPool", name="pool", kernel_shape=[2, 2], strides=[2, 2])
    m.op("Flatten", name="flat", axis=1)
    m.gemm(4 * 3 * 3, 5, "fc1")
    m.op(act_op, name="act2", **attrs)
    m.gemm(5, 3, "fc2")
    return m.save(path)


ACTIVATIONS = [
    ("LeakyRelu", {"alpha": 0.2}, "leaky_relu"),
    ("LeakyRelu", {}, "leaky_relu"),
    ("Sigmoid", {}, "sigmoid"),
    ("HardSigmoid", {"alpha": 1 / 6}, "hard_sigmoid"),  # PyTorch's nn.Hardsigmoid
    ("HardSigmoid", {}, "hard_sigmoid"),
    ("HardSwish", {}, "hard_swish"),
    ("Tanh", {}, "tanh"),
    ("Elu", {}, "elu"),
    ("Elu", {"alpha": 0.3}, "elu"),
]
TRAINED = [ACTIVATIONS[i] for i in (0, 2, 3, 5, 6, 8)]


@pytest.mark.parametrize("op,attrs,kind", ACTIVATIONS)
def test_forward_matches_onnxruntime(tmp_path, op, attrs, kind):
    path = _model(tmp_path / "m.onnx", op, **attrs)
    model = import_onnx(path)
    assert model.graph["act1"].kind == kind and model.graph["act2"].kind == kind
    if op in ("LeakyRelu", "HardSigmoid", "Elu"):
        default = {"LeakyRelu": 0.01, "HardSigmoid": 0.2, "Elu": 1.0}[op]
        assert model.graph["act1"].layer.alpha == pytest.approx(attrs.get("alpha", default))
    x = (np.random.default_rng(1).standard_normal((3, 6, 6, 2)) * 2).astype(np.float32)
    ref = run_onnxruntime(path, onnx_input(x))
    assert_matches(Network(model.graph, model.weights).forward(x), ref)
    assert_matches(ref_forward(model.graph, model.weights, x), ref)


@pytest.mark.parametrize("op,attrs,kind", TRAINED)
def test_training_gradients_match_finite_differences(tmp_path, op, attrs, kind):
    model = import_onnx(_model(tmp_path / "m.onnx", op, **attrs))
    net = Network(model.graph, model.weights)
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((2, 6, 6, 2)) * 2).astype(np.float32)
    y = np.array([0, 2])
    state = net.trainer(TrainingPlan(update="full", batch_size=2, learning_rate=0.0))
    net.train_step(x, y, state)
    assert assert_step_gradients_match_fd(model.graph, net, state, x, y, per_tensor=4) >= 20


def test_leaky_relu_keeps_a_one_bit_mask_and_runs_in_place(tmp_path):
    graph = import_onnx(_model(tmp_path / "m.onnx", "LeakyRelu", alpha=0.1)).graph
    program = lower(graph, TrainingPlan(update="full", batch_size=4))
    mask = program.tensors["mask:act1"]
    assert mask.category == "activations_saved"
    assert mask.size_bytes == 4 * 6 * 6 * 4 // 8
    assert "act:act1" not in program.tensors  # in place over the conv output
    frozen = lower(graph, TrainingPlan(update="last:1", batch_size=4))
    assert "mask:act1" not in frozen.tensors  # nothing before it trains: no mask, no backward


@pytest.mark.parametrize(
    "op,attrs,kept",
    [
        ("HardSigmoid", {}, "mask:act1"),
        ("Sigmoid", {}, "act:conv"),
        ("Tanh", {}, "act:conv"),
        ("Elu", {}, "act:conv"),
        ("HardSwish", {}, "act:conv"),
    ],
)
def test_what_each_backward_keeps(tmp_path, op, attrs, kept):
    """hard sigmoid: a 1-bit mask; sigmoid, tanh and ELU: their output (written in place over the conv
    output); hard swish: its input (the conv output, so it cannot run in place)."""
    graph = import_onnx(_model(tmp_path / "m.onnx", op, **attrs)).graph
    program = lower(graph, TrainingPlan(update="full", batch_size=4))
    tensor = program.tensors[kept]
    assert tensor.category == "activations_saved"
    elements = 4 * 6 * 6 * 4
    assert tensor.size_bytes == (elements // 8 if kept.startswith("mask:") else elements * 4)
    backward = [t for t in program.tasks if t.layer == "act1" and t.action == "backward_data"]
    assert len(backward) == 1 and kept in backward[0].reads
    start, end = program.lifetimes[kept]
    assert start < backward[0].index <= end
    assert ("act:act1" in program.tensors) == (op == "HardSwish")


@pytest.mark.parametrize("alpha", [0.0, -1.0])
def test_elu_with_a_slope_that_hides_the_sign_is_refused(tmp_path, alpha):
    from workloads.errors import WorkloadError

    with pytest.raises(WorkloadError, match="alpha"):
        import_onnx(_model(tmp_path / "m.onnx", "Elu", alpha=alpha))
