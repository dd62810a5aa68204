"""ONNX Concat (channels of NCHW feature maps and sequences, features of vectors): imported files compute
what onnxruntime computes, count their parameters and MACs, train with exact gradients, and plan the
concat output as a new tensor while both branches stay live; other axes are refused."""

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from netref import assert_step_gradients_match_fd, ref_forward  # noqa: E402
from onnx_builder import Model, inception_model, onnx_input  # noqa: E402
from onnx_export import assert_matches, run_onnxruntime  # noqa: E402

from workloads.errors import WorkloadError  # noqa: E402
from workloads.network import Network  # noqa: E402
from workloads.onnx_import import import_onnx  # noqa: E402
from workloads.plan import TrainingPlan  # noqa: E402
from workloads.program import lower  # noqa: E402


def _x(shape, seed=1, batch=3):
    return np.random.default_rng(seed).standard_normal((batch, *shape)).astype(np.float32)


@pytest.mark.parametrize("head,axis", [("gap", 1), ("gap", -3), ("flatten", 1), ("vectors", 1)])
def test_inception_block_matches_onnxruntime(tmp_path, head, axis):
    path = inception_model(tmp_path / "m.onnx", head, axis)
    model = import_onnx(path)
    join = model.graph["join"]
    assert join.kind == "concat" and join.inputs == ("branch1_relu", "branch3")
    assert join.output_shape == (8, 8, 6)
    assert ("features" in model.graph) == (head == "vectors")
    x = _x((8, 8, 3))
    ref = run_onnxruntime(path, onnx_input(x))
    assert_matches(Network(model.graph, model.weights).forward(x), ref)
    assert_matches(ref_forward(model.graph, model.weights, x), ref)


def test_inception_parameters_and_macs(tmp_path):
    graph = import_onnx(inception_model(tmp_path / "m.onnx")).graph
    positions = 8 * 8
    convs = {"branch1": (1, 3, 4), "branch3": (9, 3, 2), "mix": (9, 6, 5)}  # (KH * KW, C_in, C_out)
    conv_params = sum(k * cin * cout + cout for k, cin, cout in convs.values())
    assert graph.params == conv_params + 5 * 3 + 3
    assert graph.macs == sum(positions * k * cin * cout for k, cin, cout in convs.values()) + 5 * 3
    assert graph["join"].macs == 0 and graph["join"].param_count == 0


def test_concat_of_flattened_maps_keeps_onnx_element_order(tmp_path):
    """Two Flattens of NCHW feature maps list (C, H, W); their Concat's order is both orders in turn."""
    m = Model((2, 4, 4), seed=5)
    a = m.conv(2, 3, (3, 3), "ca", pads=[1, 1, 1, 1])
    fa = m.op("Flatten", [a], "fa", axis=1)
    m.last = "x"
    b = m.conv(2, 2, (1, 1), "cb")
    fb = m.op("Flatten", [b], "fb", axis=1)
    m.op("Concat", [fa, fb], "features", axis=1)
    m.gemm(5 * 16, 3, "fc")
    path = m.save(tmp_path / "m.onnx")
    model = import_onnx(path)
    x = _x((4, 4, 2))
    assert_matches(Network(model.graph, model.weights).forward(x), run_onnxruntime(path, onnx_input(x)))


def test_concat_of_sequences_matches_onnxruntime(tmp_path):
    m = Model((3, 16), seed=6)
    a = m.conv(3, 4, (3,), "ca", pads=[1, 1])
    m.last = "x"
    b = m.conv(3, 2, (1,), "cb")
    m.op("Concat", [a, b], "join", axis=-2)
    m.op("ReduceMean", name="gap", axes=[-1], keepdims=0)
    m.gemm(6, 3, "fc")
    path = m.save(tmp_path / "m.onnx")
    model = import_onnx(path)
    assert model.graph["join"].output_shape == (1, 16, 6)
    x = _x((1, 16, 3))
    ref = run_onnxruntime(path, onnx_input(x, one_d=True))
    assert_matches(Network(model.graph, model.weights).forward(x), ref)


@pytest.mark.parametrize("head", ["gap", "vectors"])
def test_training_gradients_match_finite_differences(tmp_path, head):
    model = import_onnx(inception_model(tmp_path / "m.onnx", head))
    net = Network(model.graph, model.weights)
    x, y = _x((8, 8, 3), seed=2, batch=2), np.array([0, 2])
    state = net.trainer(TrainingPlan(update="full", batch_size=2, learning_rate=0.0))
    net.train_step(x, y, state)
    assert {"branch1", "branch3"} <= set(state.grads)
    assert assert_step_gradients_match_fd(model.graph, net, state, x, y, per_tensor=4) >= 24


def test_a_tensor_concatenated_with_itself_gets_both_gradients(tmp_path):
    """Concat(a, a, b): the three slices of the output gradient all reach their producers."""
    m = Model((2, 4, 4), seed=8)
    a = m.conv(2, 2, (1, 1), "ca")
    m.last = "x"
    b = m.conv(2, 3, (3, 3), "cb", pads=[1, 1, 1, 1])
    m.op("Concat", [a, a, b], "join", axis=1)
    m.op("GlobalAveragePool", name="gap")
    m.op("Flatten", name="flat", axis=1)
    m.gemm(7, 3, "fc")
    model = import_onnx(m.save(tmp_path / "m.onnx"))
    net = Network(model.graph, model.weights)
    x, y = _x((4, 4, 2), seed=4, batch=2), np.array([1, 2])
    state = net.trainer(TrainingPlan(update="full", batch_size=2, learning_rate=0.0))
    net.train_step(x, y, state)
    assert assert_step_gradients_match_fd(model.graph, net, state, x, y, per_tensor=4) >= 16


@pytest.mark.parametrize("update", ["full", "last:1"])
def test_memory_plan_concat_output_is_new_and_both_branches_live_until_it(tmp_path, update):
    graph = import_onnx(inception_model(tmp_path / "m.onnx")).graph
    program = lower(graph, TrainingPlan(update=update, batch_size=4))
    forward = next(t for t in program.tasks if t.layer == "join" and t.action == "forward")
    (out,) = forward.writes
    assert out == "act:join" and out not in forward.reads
    assert program.tensors[out].size_bytes == 4 * 8 * 8 * 6 * 4
    assert len(forward.reads) == 2
    for branch in forward.reads:
        start, end = program.lifetimes[branch]
        assert start < forward.index <= end
        assert program.tensors[branch].size_bytes < program.tensors[out].size_bytes
    assert program.lifetimes[out][0] == forward.index
    assert not any(name.startswith(("mask:join", "ws:")) and "join" in name for name in program.tensors)
    backward = [t for t in program.tasks if t.layer == "join" and t.phase == "backward"]
    if update == "last:1":  # only the gemm trains: nothing upstream needs a gradient
        assert not backward
        assert all(program.lifetimes[b][1] == forward.index for b in forward.reads)
    else:  # the backward reads only the output gradient and writes one new gradient per branch
        (task,) = backward
        assert task.reads == ("grad:join",)
        assert len(set(task.writes)) == 2 and "grad:join" not in task.writes
        assert task.macs == 0


@pytest.mark.parametrize("axis", [0, 2, 3, -1])
def test_other_axes_are_refused(tmp_path, axis):
    m = Model((2, 8, 8), seed=9)
    a = m.conv(2, 2, (1, 1), "ca")
    m.last = "x"
    b = m.conv(2, 2, (3, 3), "cb", pads=[1, 1, 1, 1])
    m.op("Concat", [a, b], "join", axis=axis)
    m.op("GlobalAveragePool", name="gap")
    m.op("Flatten", name="flat", axis=1)
    m.gemm(2, 3, "fc")
    with pytest.raises(WorkloadError, match=r"Concat 'join' axis.*channel axis") as info:
        import_onnx(m.save(tmp_path / "m.onnx"))
    assert f"got {axis}" in str(info.value) or f"{axis!r}" in str(info.value)


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_executed_macs_equal_the_lowering(tmp_path, precision):
    graph = import_onnx(inception_model(tmp_path / "m.onnx")).graph
    net = Network(graph, precision=precision)
    x, y = _x((8, 8, 3), seed=3, batch=2), np.array([1, 0])
    if precision == "int8":
        net.calibrate([x])
    for update in ("full", "last:2", "bias"):
        plan = TrainingPlan(update=update, batch_size=2, precision=precision)
        state = net.trainer(plan)
        net.train_step(x, y, state)
        want = dict.fromkeys(("forward", "backward_data", "backward_weight", "update"), 0)
        for task in lower(graph, plan).tasks:
            if task.action == "update":
                want["update"] += task.param_updates
            elif task.action in want:
                want[task.action] += task.macs
        assert state.macs_by_phase == want, update
        assert np.isfinite(net.forward(x)).all()
