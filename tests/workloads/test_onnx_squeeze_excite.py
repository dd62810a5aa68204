"""MobileNetV3-style squeeze-excitation (ReduceMean -> 1x1 Conv -> Relu -> 1x1 Conv -> HardSigmoid -> Mul
with the branch input) and SiLU (x * Sigmoid(x)): the multiply of two branches imports as a ``mul`` layer,
computes what onnxruntime computes, trains with exact gradients and keeps both operands for its backward."""

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from netref import assert_step_gradients_match_fd, ref_forward  # noqa: E402
from onnx_builder import Model, onnx_input, se_model  # noqa: E402
from onnx_export import assert_matches, run_onnxruntime  # noqa: E402

from workloads.errors import WorkloadError  # noqa: E402
from workloads.network import Network  # noqa: E402
from workloads.onnx_import import import_onnx  # noqa: E402
from workloads.plan import TrainingPlan  # noqa: E402
from workloads.program import lower  # noqa: E402

CASES = [
    {},
    {"gate": "Sigmoid", "pool": "GlobalAveragePool"},
    {"gate_first": True},
    {"silu": True},
]


@pytest.mark.parametrize("options", CASES, ids=["hsigmoid", "sigmoid-gap", "gate-first", "silu"])
def test_squeeze_excitation_matches_onnxruntime(tmp_path, options):
    path = se_model(tmp_path / "se.onnx", **options)
    model = import_onnx(path)
    g = model.graph
    assert g["excite"].kind == "mul" and g["excite"].inputs == ("hswish", "se_gate")
    assert g["se_reduce"].kind == "dense" and g["se_expand"].kind == "dense"
    assert g["excite"].output_shape == (8, 8, 8)
    x = np.random.default_rng(1).standard_normal((3, 8, 8, 3)).astype(np.float32)
    ref = run_onnxruntime(path, onnx_input(x))
    assert_matches(Network(model.graph, model.weights).forward(x), ref)
    assert_matches(ref_forward(model.graph, model.weights, x), ref)


def test_squeeze_excitation_trains_with_exact_gradients(tmp_path):
    model = import_onnx(se_model(tmp_path / "se.onnx", silu=True))
    net = Network(model.graph, model.weights)
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((2, 8, 8, 3)).astype(np.float32), np.array([0, 2])
    state = net.trainer(TrainingPlan(update="full", batch_size=2, learning_rate=0.0))
    net.train_step(x, y, state)
    assert assert_step_gradients_match_fd(model.graph, net, state, x, y, per_tensor=3) >= 18


def test_the_multiply_keeps_both_operands_for_its_backward(tmp_path):
    graph = import_onnx(se_model(tmp_path / "se.onnx")).graph
    program = lower(graph, TrainingPlan(update="full", batch_size=2))
    (task,) = [t for t in program.tasks if t.layer == "excite" and t.action == "backward_data"]

    def output(layer):
        (forward,) = [t for t in program.tasks if t.layer == layer and t.action == "forward"]
        return program.tensors[forward.writes[0]]  # the gate runs in place over the expand conv's output

    branch, gate = output("hswish"), output("se_gate")
    assert {branch.name, gate.name} <= set(task.reads)
    assert branch.category == gate.category == "activations_saved"
    assert gate.size_bytes == 2 * 8 * 4
    # only the last layers train: nothing before the multiply needs a gradient, it keeps nothing
    last = lower(graph, TrainingPlan(update="last:2", batch_size=2))
    assert not [t for t in last.tasks if t.layer == "excite" and t.action == "backward_data"]


def test_a_multiply_of_mismatched_tensors_is_a_clear_error(tmp_path):
    """A spatial attention map (N, 1, H, W) broadcast over the channels has no layer; nor has a constant."""
    m = Model((3, 8, 8))
    x = m.conv(3, 4, (3, 3), "a", pads=[1, 1, 1, 1])
    m.conv(4, 1, (1, 1), "attention")
    m.op("Mul", [x, m.last], "mix")
    path = m.save(tmp_path / "bad.onnx")
    with pytest.raises(WorkloadError, match=r"Mul 'mix' input shapes .*a channel gate") as info:
        import_onnx(path)
    assert "bad.onnx" in str(info.value)
    m = Model((3, 8, 8))
    x = m.conv(3, 4, (3, 3), "a", pads=[1, 1, 1, 1])
    m.op("Mul", [x, m.const("half", np.array(0.5, np.float32))], "scale")
    with pytest.raises(WorkloadError, match=r"Mul 'scale' input 1 = 'half': a computed tensor"):
        import_onnx(m.save(tmp_path / "const.onnx"))
