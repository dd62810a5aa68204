"""ONNX Resize and Upsample (nearest, integer scales): imported files compute what onnxruntime computes,
accept exactly the coordinate modes that repeat pixels, train with exact gradients, and plan the upsampled
output as a new tensor with nothing kept for backward; linear modes and fractional scales are refused."""

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import onnx  # noqa: E402
from netref import assert_step_gradients_match_fd, ref_forward  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx_builder import onnx_input, resize_model  # noqa: E402
from onnx_export import run_onnxruntime  # noqa: E402

from workloads.errors import WorkloadError  # noqa: E402
from workloads.network import Network  # noqa: E402
from workloads.onnx_import import import_onnx  # noqa: E402
from workloads.onnx_resize import ROUNDINGS, TRANSFORMS  # noqa: E402
from workloads.plan import TrainingPlan  # noqa: E402
from workloads.program import lower  # noqa: E402

RTOL = 1e-4


def _close(ours, ref):
    if ref.ndim == 4:
        ref = ref.transpose(0, 2, 3, 1)
    assert ours.shape == ref.shape
    assert np.abs(ours - ref).max() <= RTOL * max(1.0, np.abs(ref).max())


def _x(seed=1, batch=3):
    return np.random.default_rng(seed).standard_normal((batch, 8, 8, 3)).astype(np.float32)


ACCEPTED = [
    pytest.param({"transform": "half_pixel", "nearest": "round_prefer_floor"}, (2, 2), id="pytorch-default"),
    pytest.param({"transform": "asymmetric", "nearest": "floor", "scales": (1, 1, 2, 3)}, (2, 3), id="asym"),
    pytest.param(
        {"transform": "pytorch_half_pixel", "nearest": "round_prefer_ceil", "scales": (1, 1, 3, 1)},
        (3, 1),
        id="pytorch-half-pixel",
    ),
    pytest.param({"transform": "asymmetric", "nearest": "round_prefer_floor"}, (2, 2), id="asym-round-x2"),
    pytest.param({"sizes": (1, 4, 8, 12)}, (2, 3), id="sizes"),
    pytest.param({"opset": 10}, (2, 2), id="resize-opset10"),
    pytest.param({"op": "Upsample", "opset": 9, "scales": (1, 1, 2, 3)}, (2, 3), id="upsample-opset9"),
    pytest.param({"op": "Upsample", "opset": 7}, (2, 2), id="upsample-opset7"),
]


@pytest.mark.parametrize("head", ["autoencoder", "classifier"])
@pytest.mark.parametrize("kwargs,scale", ACCEPTED)
def test_nearest_resize_matches_onnxruntime(tmp_path, head, kwargs, scale):
    path = resize_model(tmp_path / "m.onnx", head, **kwargs)
    model = import_onnx(path)
    up = model.graph["up"]
    assert up.kind == "upsample" and up.inputs == ("relu",)
    assert up.layer.scale == scale
    assert up.output_shape == (4 * scale[0], 4 * scale[1], 4)
    if head == "autoencoder" and scale == (2, 2):
        assert model.graph.loss == "mse" and model.graph.output.output_shape == (8, 8, 3)
    x = _x(batch=1 if "sizes" in kwargs else 3)  # constant sizes fix the batch (1 here) too
    ref = run_onnxruntime(path, onnx_input(x))
    _close(Network(model.graph, model.weights).forward(x), ref)
    _close(ref_forward(model.graph, model.weights, x), ref)


def _onnxruntime_repeats(transform, nearest, scales):
    """Whether onnxruntime's Resize of a 4 x 4 map with these modes is pixel repetition."""
    import onnxruntime as ort

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    inits = [
        numpy_helper.from_array(np.zeros(0, np.float32), "roi"),
        numpy_helper.from_array(np.asarray(scales, np.float32), "scales"),
    ]
    attrs = {"coordinate_transformation_mode": transform, "nearest_mode": nearest}
    node = helper.make_node("Resize", ["x", "roi", "scales"], ["y"], mode="nearest", **attrs)
    graph = helper.make_graph([node], "g", [x], [y], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])
    options = ort.SessionOptions()
    options.log_severity_level = 3  # tf_half_pixel_for_nn is deprecated: onnxruntime warns
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    a = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    (out,) = session.run(None, {"x": a})
    want = np.repeat(np.repeat(a, int(scales[2]), 2), int(scales[3]), 3)
    return out.shape == want.shape and bool(np.array_equal(out, want))


@pytest.mark.parametrize("scales", [(1, 1, 2, 2), (1, 1, 3, 2)])
def test_exactly_the_modes_onnxruntime_computes_as_repetition_are_accepted(tmp_path, scales):
    accepted = 0
    for transform in TRANSFORMS:
        for nearest in ROUNDINGS:
            path = resize_model(tmp_path / "m.onnx", "classifier", transform, nearest, scales, opset=19)
            if _onnxruntime_repeats(transform, nearest, scales):
                accepted += 1
                x = _x(seed=4, batch=2)
                model = import_onnx(path)
                _close(Network(model.graph, model.weights).forward(x), run_onnxruntime(path, onnx_input(x)))
            else:
                with pytest.raises(WorkloadError, match="coordinate_transformation_mode, nearest_mode"):
                    import_onnx(path)
    assert 6 <= accepted < len(TRANSFORMS) * len(ROUNDINGS)


@pytest.mark.parametrize("head", ["autoencoder", "classifier"])
def test_training_gradients_match_finite_differences(tmp_path, head):
    model = import_onnx(resize_model(tmp_path / "m.onnx", head, scales=(1, 1, 2, 2)))
    net = Network(model.graph, model.weights)
    x = _x(seed=2, batch=2)
    y = 1 / (1 + np.exp(-_x(seed=3, batch=2))) if head == "autoencoder" else np.array([0, 2])
    state = net.trainer(TrainingPlan(update="full", batch_size=2, learning_rate=0.0))
    net.train_step(x, y, state)
    assert "down" in state.grads  # the gradient crossed the upsampling
    assert assert_step_gradients_match_fd(model.graph, net, state, x, y, per_tensor=4) >= 14


@pytest.mark.parametrize("update", ["full", "last:1"])
def test_memory_plan_upsample_output_is_new_and_nothing_is_kept(tmp_path, update):
    graph = import_onnx(resize_model(tmp_path / "m.onnx")).graph
    program = lower(graph, TrainingPlan(update=update, batch_size=4))
    forward = next(t for t in program.tasks if t.layer == "up" and t.action == "forward")
    (source,) = forward.reads  # the relu's output (it runs in place over the conv's)
    assert forward.writes == ("act:up",)
    assert program.tensors["act:up"].size_bytes == 4 * 8 * 8 * 4 * 4
    assert program.tensors[source].size_bytes == 4 * 4 * 4 * 4 * 4
    assert program.lifetimes["act:up"][0] == forward.index
    assert program.lifetimes[source][1] == forward.index  # nothing reads it for the backward
    assert not [
        name
        for name in program.tensors
        if name.split(":")[-1] == "up" and name != "act:up" and not name.startswith("grad:")
    ]
    backward = [t for t in program.tasks if t.layer == "up" and t.phase == "backward"]
    if update == "last:1":  # only the last conv trains: no gradient crosses the upsampling
        assert not backward
    else:  # the backward reads only the output gradient and writes a new, smaller gradient
        (task,) = backward
        assert task.reads == ("grad:up",)
        (grad,) = task.writes
        assert grad != "grad:up" and program.tensors[grad].size_bytes == 4 * 4 * 4 * 4 * 4
        assert task.macs == 0 and task.elementwise_ops == 4 * 8 * 8 * 4


@pytest.mark.parametrize("precision", ["fp32", "int8"])
def test_executed_macs_equal_the_lowering(tmp_path, precision):
    graph = import_onnx(resize_model(tmp_path / "m.onnx", "classifier")).graph
    net = Network(graph, precision=precision)
    x, y = _x(seed=3, batch=2), np.array([1, 0])
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


@pytest.mark.parametrize(
    "kwargs,field,value,allowed",
    [
        ({"mode": "linear"}, "mode", "linear", "nearest"),
        ({"mode": "cubic"}, "mode", "cubic", "nearest"),
        ({"scales": (1, 1, 1.5, 2)}, "scales", "1.5", "positive integers on the spatial axes"),
        ({"scales": (1, 1, 0.5, 0.5)}, "scales", "0.5", "positive integers on the spatial axes"),
        ({"scales": (1, 2, 2, 2)}, "scales", "2.0", "1 on the batch and channel axes"),
        ({"sizes": (1, 4, 10, 8)}, "sizes", "10", "integer multiples"),
        ({"sizes": (1, 5, 8, 8)}, "sizes", "5", "4 channels"),
        ({"transform": "asymmetric", "nearest": "ceil"}, "coordinate_transformation_mode", "ceil", "floor"),
        ({"transform": "half_pixel", "nearest": "floor"}, "nearest_mode", "floor", "round_prefer_floor"),
        ({"transform": "tf_crop_and_resize"}, "coordinate_transformation_mode", "tf_crop", "asymmetric"),
        ({"op": "Upsample", "opset": 9, "mode": "linear"}, "mode", "linear", "nearest"),
        ({"op": "Upsample", "opset": 9, "scales": (1, 1, 2.5, 2)}, "scales", "2.5", "positive integers"),
    ],
)
def test_other_modes_and_scales_are_refused(tmp_path, kwargs, field, value, allowed):
    path = resize_model(tmp_path / "m.onnx", **kwargs)
    with pytest.raises(WorkloadError) as info:
        import_onnx(path)
    message = str(info.value)
    assert "'up'" in message and field in message and value in message and allowed in message, message
    exact_elsewhere = "batch and channel" in allowed or "channels" in allowed
    assert ('re-export with mode="nearest" and an integer scale_factor' in message) != exact_elsewhere


def test_a_non_constant_scale_is_refused(tmp_path):
    path = resize_model(tmp_path / "m.onnx")
    model = onnx.load(str(path))
    (node,) = [n for n in model.graph.node if n.name == "up"]
    node.input[2] = "relu_out"  # scales computed at run time (well-formed enough for the importer)
    bad = tmp_path / "bad.onnx"
    onnx.save(model, str(bad))
    with pytest.raises(WorkloadError, match=r"Resize 'up'"):
        import_onnx(bad)


def test_resize_of_a_sequence_matches_onnxruntime(tmp_path):
    from onnx_builder import Model

    m = Model((3, 16), seed=6)
    m.conv(3, 4, (3,), "ca", pads=[1, 1])
    roi = m.const("roi", np.zeros(0, np.float32))
    scales = m.const("scales", np.asarray([1, 1, 3], np.float32))
    m.op(
        "Resize",
        [m.last, roi, scales],
        "up",
        mode="nearest",
        coordinate_transformation_mode="asymmetric",
        nearest_mode="floor",
    )
    m.conv(4, 2, (3,), "cb", pads=[1, 1])
    m.op("ReduceMean", name="gap", axes=[-1], keepdims=0)
    m.gemm(2, 3, "fc")
    path = m.save(tmp_path / "m.onnx")
    model = import_onnx(path)
    assert model.graph["up"].layer.scale == (1, 3)
    assert model.graph["up"].output_shape == (1, 48, 4)
    x = np.random.default_rng(1).standard_normal((3, 1, 16, 3)).astype(np.float32)
    ref = run_onnxruntime(path, onnx_input(x, one_d=True))
    _close(Network(model.graph, model.weights).forward(x), ref)
