"""ONNX files the importer refuses: each with a WorkloadError naming the file and what is wrong."""

import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")

from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx_export import export_graph  # noqa: E402

from workloads.errors import WorkloadError  # noqa: E402
from workloads.onnx_import import import_onnx  # noqa: E402
from workloads.zoo import build_model  # noqa: E402


def _save(path, nodes, inputs, outputs, inits=(), opset=17):
    graph = helper.make_graph(nodes, "t", inputs, outputs, list(inits))
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), str(path))
    return path


def _vec(name, features, batch="n"):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, [batch, features])


def test_every_unsupported_op_is_listed_with_names_and_counts(tmp_path):
    w = numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
    lo, hi = (numpy_helper.from_array(np.array(v, np.float32), k) for k, v in (("lo", 0.0), ("hi", 1.0)))
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["a"], name="fc"),
        helper.make_node("Softplus", ["a"], ["b"], name="act_1"),
        helper.make_node("Softsign", ["b"], ["c"], name="squash"),
        helper.make_node("Softplus", ["c"], ["d"], name="act_2"),
        helper.make_node("Clip", ["d", "lo", "hi"], ["e"], name="clip01"),
    ]
    path = _save(tmp_path / "u.onnx", nodes, [_vec("x", 4)], [_vec("e", 4)], [w, lo, hi])
    with pytest.raises(WorkloadError) as info:
        import_onnx(path)
    message = str(info.value)
    assert str(path) in message
    assert "Softplus x2 (act_1, act_2)" in message
    assert "Softsign x1 (squash)" in message
    assert "Clip (not 0..6) x1 (clip01)" in message
    assert "MatMul" not in message.split("tinyemu imports")[0]


def test_truncated_file_is_a_clear_error(tmp_path):
    path = tmp_path / "r8.onnx"
    export_graph(build_model("mlperf-resnet8"), path)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 7, 40):
        path.write_bytes(data[:cut])
        with pytest.raises(WorkloadError, match="truncated or not ONNX|valid ONNX model|no nodes"):
            import_onnx(path)


def test_missing_and_non_onnx_files(tmp_path):
    with pytest.raises(WorkloadError, match="an existing .onnx file"):
        import_onnx(tmp_path / "absent.onnx")
    text = tmp_path / "notes.onnx"
    text.write_text("this is not a protobuf at all\n" * 20)
    with pytest.raises(WorkloadError, match=str(text)):
        import_onnx(text)


def test_dynamic_non_batch_dimension(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="r")]
    path = _save(tmp_path / "d.onnx", nodes, [_vec("x", "features")], [_vec("y", "features")])
    with pytest.raises(WorkloadError, match=r"shape\[1\] = 'features': a fixed positive size"):
        import_onnx(path)


def test_several_inputs_or_outputs(tmp_path):
    nodes = [helper.make_node("Add", ["x", "z"], ["y"], name="sum")]
    path = _save(tmp_path / "two.onnx", nodes, [_vec("x", 3), _vec("z", 3)], [_vec("y", 3)])
    with pytest.raises(WorkloadError, match="exactly one"):
        import_onnx(path)
    nodes = [
        helper.make_node("Relu", ["x"], ["y"], name="r"),
        helper.make_node("Relu", ["y"], ["z"], name="s"),
    ]
    path = _save(tmp_path / "two_out.onnx", nodes, [_vec("x", 3)], [_vec("y", 3), _vec("z", 3)])
    with pytest.raises(WorkloadError, match="exactly one output"):
        import_onnx(path)


def _conv_model(path, **attrs):
    w = numpy_helper.from_array(np.ones((2, 1, 3, 3), np.float32), "w")
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="c", **attrs)]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 9, 9])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2, "h", "w"])
    return _save(path, nodes, [x], [y], [w])


def test_dilated_conv_and_softmax_inside_the_graph_are_refused(tmp_path):
    with pytest.raises(WorkloadError, match=r"Conv 'c' dilations = \[2, 2\]"):
        import_onnx(_conv_model(tmp_path / "dil.onnx", dilations=[2, 2]))
    w = numpy_helper.from_array(np.ones((3, 3), np.float32), "w")
    nodes = [
        helper.make_node("Softmax", ["x"], ["s"], name="early"),
        helper.make_node("MatMul", ["s", "w"], ["y"], name="fc"),
    ]
    path = _save(tmp_path / "sm.onnx", nodes, [_vec("x", 3)], [_vec("y", 3)], [w])
    with pytest.raises(WorkloadError, match="Softmax 'early'.*only as the graph's output"):
        import_onnx(path)


def test_a_transpose_that_is_not_undone_is_refused(tmp_path):
    w = numpy_helper.from_array(np.ones((2, 1, 3, 3), np.float32), "w")
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], name="swap_hw", perm=[0, 1, 3, 2]),
        helper.make_node("Conv", ["t", "w"], ["y"], name="c"),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 9, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2, "h", "w"])
    path = _save(tmp_path / "tr.onnx", nodes, [x], [y], [w])
    with pytest.raises(WorkloadError, match="Conv 'c' input layout"):
        import_onnx(path)


def test_missing_onnx_package_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` raise ImportError
    with pytest.raises(WorkloadError, match=r"pip install 'tinyemu\[onnx\]'"):
        import_onnx(tmp_path / "any.onnx")
