"""ONNX Pad: a constant zero Pad of the spatial axes folds into the Conv or pool reading it (the imported
graph has no layer for it and computes what onnxruntime computes); everything else is refused by name."""

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

PADS = (1, 2, 0, 3)
"""(top, bottom, left, right) zeros of the Pads under test (uneven on purpose)."""


def _pad(m, form="input", pads=PADS, mode=None, value=None, name="pad"):
    """A Pad of ``m.last`` by (top, bottom, left, right) ``pads`` of an NCHW tensor, written as opset >= 11
    (``input``), opset 18 with ``axes`` (``axes``) or opset < 11 (``attribute``) files write it."""
    t, b, left, r = pads
    onnx_pads = [0, 0, t, left, 0, 0, b, r]
    attrs = {} if mode is None else {"mode": mode}
    if form == "attribute":
        return m.op(
            "Pad", [m.last], name, pads=onnx_pads, **attrs, **({} if value is None else {"value": value})
        )
    inputs = [m.last]
    if form == "axes":
        inputs += [m.const(f"{name}_pads", np.array([t, left, b, r], np.int64))]
    else:
        inputs += [m.const(f"{name}_pads", np.array(onnx_pads, np.int64))]
    if value is not None or form == "axes":
        inputs += [m.const(f"{name}_value", np.array(0.0 if value is None else value, np.float32))]
    if form == "axes":
        inputs += [m.const(f"{name}_axes", np.array([2, 3], np.int64))]
    return m.op("Pad", inputs, name, **attrs)


def _head(m, channels):
    m.op("GlobalAveragePool", name="gap")
    m.op("Flatten", name="flat", axis=1)
    m.gemm(channels, 3, "fc")


def _conv_model(path, form="input", opset=17, **conv_attrs):
    """Pad -> 3x3 conv (its own pads or auto_pad too, if given) -> Relu -> gap -> gemm, on 2 x 6 x 7."""
    m = Model((2, 6, 7), seed=4, opset=opset)
    _pad(m, form)
    m.conv(2, 4, (3, 3), "conv", **conv_attrs)
    m.op("Relu", name="relu")
    _head(m, 4)
    return m.save(path)


def _x(shape, seed=1, batch=3):
    return np.random.default_rng(seed).standard_normal((batch, *shape)).astype(np.float32)


def _check(path, shape, one_d=False):
    model = import_onnx(path)
    x = _x(shape)
    ref = run_onnxruntime(path, onnx_input(x, one_d))
    assert_matches(Network(model.graph, model.weights).forward(x), ref)
    assert_matches(ref_forward(model.graph, model.weights, x), ref)
    return model.graph


@pytest.mark.parametrize(
    "form,opset,attrs,own",
    [
        ("input", 17, {}, (0, 0, 0, 0)),
        ("input", 13, {"pads": [1, 1, 1, 1]}, (1, 1, 1, 1)),
        ("axes", 18, {}, (0, 0, 0, 0)),
        ("attribute", 10, {"strides": [2, 2]}, (0, 0, 0, 0)),
        ("input", 17, {"auto_pad": "SAME_UPPER", "strides": [2, 2]}, None),
    ],
)
def test_pad_before_conv_is_one_padded_conv(tmp_path, form, opset, attrs, own):
    graph = _check(_conv_model(tmp_path / "m.onnx", form, opset, **attrs), (6, 7, 2))
    assert [n.kind for n in graph][:3] == ["input", "conv2d", "relu"]
    conv = graph["conv"]
    pads = conv.layer.pads(conv.input_shapes)
    assert conv.input_shapes == ((6, 7, 2),)  # the unpadded tensor: the zeros are the conv's
    if own is not None:
        assert pads == tuple(p + o for p, o in zip(PADS, own, strict=True))
    else:  # SAME_UPPER over the padded input (ONNX's rule), stride 2, the odd zero after
        own = []
        for size in (6 + PADS[0] + PADS[1], 7 + PADS[2] + PADS[3]):
            total = max((-(-size // 2) - 1) * 2 + 3 - size, 0)
            own += [total // 2, total - total // 2]
        assert pads == tuple(p + o for p, o in zip(PADS, own, strict=True))


def test_two_pads_in_a_row_add_up(tmp_path):
    m = Model((2, 6, 7), seed=4)
    _pad(m, name="pad_a")
    _pad(m, pads=(0, 1, 1, 0), name="pad_b")
    m.conv(2, 3, (3, 3), "conv")
    _head(m, 3)
    graph = _check(m.save(tmp_path / "m.onnx"), (6, 7, 2))
    conv = graph["conv"]
    assert conv.layer.pads(conv.input_shapes) == (1, 3, 1, 3)


def test_pad_before_a_sequence_conv(tmp_path):
    m = Model((3, 12), seed=5)
    p = m.const("pad_pads", np.array([0, 0, 2, 0, 0, 1], np.int64))
    m.op("Pad", [m.last, p], "pad")
    m.conv(3, 4, (3,), "conv")
    m.op("ReduceMean", name="gap", axes=[-1], keepdims=0)
    m.gemm(4, 3, "fc")
    graph = _check(m.save(tmp_path / "m.onnx"), (1, 12, 3), one_d=True)
    conv = graph["conv"]
    assert conv.layer.pads(conv.input_shapes) == (0, 0, 2, 1)


@pytest.mark.parametrize("include_pad,own", [(0, None), (1, [1, 0, 1, 1]), (0, [0, 0, 0, 0])])
def test_pad_before_average_pool_counts_its_zeros(tmp_path, include_pad, own):
    m = Model((2, 6, 7), seed=6)
    m.conv(2, 4, (1, 1), "conv")
    _pad(m)
    attrs = {"count_include_pad": include_pad} | ({} if own is None else {"pads": own})
    m.op("AveragePool", name="pool", kernel_shape=[3, 3], strides=[2, 2], **attrs)
    _head(m, 4)
    graph = _check(m.save(tmp_path / "m.onnx"), (6, 7, 2))
    pool = graph["pool"]
    assert pool.kind == "avgpool" and pool.layer.count_include_pad
    assert pool.input_shapes == ((6, 7, 4),)


def test_pad_before_max_pool_of_a_relu(tmp_path):
    m = Model((2, 6, 7), seed=7)
    m.conv(2, 4, (1, 1), "conv")
    m.op("Relu", name="relu")
    _pad(m, pads=(1, 0, 2, 1))
    m.op("MaxPool", name="pool", kernel_shape=[3, 3], strides=[2, 2])
    _head(m, 4)
    graph = _check(m.save(tmp_path / "m.onnx"), (6, 7, 2))
    pool = graph["pool"]
    assert pool.layer.pads(pool.input_shapes) == (1, 0, 2, 1)


def test_folded_pad_trains_with_exact_gradients(tmp_path):
    model = import_onnx(_conv_model(tmp_path / "m.onnx"))
    net = Network(model.graph, model.weights)
    x, y = _x((6, 7, 2), seed=2, batch=2), np.array([0, 2])
    state = net.trainer(TrainingPlan(update="full", batch_size=2, learning_rate=0.0))
    net.train_step(x, y, state)
    assert assert_step_gradients_match_fd(model.graph, net, state, x, y, per_tensor=4) >= 12


@pytest.mark.parametrize("mode", ["reflect", "edge"])
def test_other_modes_are_refused(tmp_path, mode):
    m = Model((2, 6, 7), seed=4)
    _pad(m, mode=mode)
    m.conv(2, 3, (3, 3), "conv")
    _head(m, 3)
    with pytest.raises(WorkloadError, match=rf"Pad 'pad' mode.*{mode}.*constant"):
        import_onnx(m.save(tmp_path / "m.onnx"))


@pytest.mark.parametrize("form,opset", [("input", 17), ("attribute", 10)])
def test_a_non_zero_value_is_refused(tmp_path, form, opset):
    m = Model((2, 6, 7), seed=4, opset=opset)
    _pad(m, form, value=1.5)
    m.conv(2, 3, (3, 3), "conv")
    _head(m, 3)
    with pytest.raises(WorkloadError, match=r"Pad 'pad' constant value.*1\.5.*0 \(a constant zero Pad"):
        import_onnx(m.save(tmp_path / "m.onnx"))


@pytest.mark.parametrize(
    "pads", [[0, 1, 0, 0, 0, 1, 0, 0], [1, 0, 0, 0, 0, 0, 0, 0], [0, 0, -1, 0, 0, 0, 0, 0]]
)
def test_pads_of_batch_or_channel_axes_and_crops_are_refused(tmp_path, pads):
    m = Model((2, 6, 7), seed=4)
    m.op("Pad", [m.last, m.const("pad_pads", np.array(pads, np.int64))], "pad")
    m.op("Relu", name="relu")  # a reader that checks nothing of shape: the Pad's own check speaks
    m.op("GlobalAveragePool", name="gap")
    m.op("Flatten", name="flat", axis=1)
    m.gemm(2 + pads[1] + pads[5], 3, "fc")
    with pytest.raises(WorkloadError, match=r"Pad 'pad' pads"):
        import_onnx(m.save(tmp_path / "m.onnx"))


def test_a_reader_that_is_not_a_conv_or_pool_is_refused(tmp_path):
    m = Model((2, 6, 7), seed=4)
    m.conv(2, 3, (1, 1), "conv")
    _pad(m)
    m.op("Relu", name="relu")
    _head(m, 3)
    with pytest.raises(WorkloadError, match=r"Relu 'relu' input 0.*Pad 'pad'.*folds only into a Conv"):
        import_onnx(m.save(tmp_path / "m.onnx"))


def test_a_max_pool_of_values_that_may_be_negative_is_refused(tmp_path):
    m = Model((2, 6, 7), seed=4)
    m.conv(2, 3, (1, 1), "conv")
    _pad(m)
    m.op("MaxPool", name="pool", kernel_shape=[3, 3], strides=[2, 2])
    _head(m, 3)
    with pytest.raises(WorkloadError, match=r"MaxPool 'pool' input.*Pad 'pad'.*outputs >= 0"):
        import_onnx(m.save(tmp_path / "m.onnx"))


def test_an_average_pool_with_pads_of_its_own_not_counted_is_refused(tmp_path):
    m = Model((2, 6, 7), seed=4)
    m.conv(2, 3, (1, 1), "conv")
    _pad(m)
    m.op("AveragePool", name="pool", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    _head(m, 3)
    with pytest.raises(WorkloadError, match=r"AveragePool 'pool' pads.*count_include_pad=1"):
        import_onnx(m.save(tmp_path / "m.onnx"))
