"""The graph IR: shape inference, padding, parameter counts, and invalid graphs."""

import pytest

from workloads.errors import WorkloadError
from workloads.graph import GraphBuilder


def test_same_padding_follows_tensorflow_asymmetric_rule():
    g = GraphBuilder("t", (49, 10, 1))
    name = g.conv(4, (10, 4), (2, 2))
    node = g.build()[name]
    assert node.layer.pads(node.input_shapes) == (4, 5, 1, 1)
    assert node.output_shape == (25, 5, 4)


def test_valid_padding_and_pools():
    g = GraphBuilder("t", (9, 9, 2))
    g.conv(3, 3, 2, padding="valid")
    g.maxpool(2)
    g.avgpool(2, padding="same")
    graph = g.build()
    assert [n.output_shape for n in graph][1:] == [(4, 4, 3), (2, 2, 3), (1, 1, 3)]


def test_grouped_conv_counts_weights_per_group():
    g2 = GraphBuilder("t", (4, 4, 8))
    name = g2.conv(16, 3, groups=4)
    node = g2.build()[name]
    assert node.weight_count == 3 * 3 * 2 * 16
    assert node.macs == 4 * 4 * 3 * 3 * 2 * 16


def test_add_requires_equal_shapes():
    g = GraphBuilder("t", (4, 4, 2))
    a = g.conv(2, 1)
    b = g.conv(3, 1, x="input")
    with pytest.raises(WorkloadError, match="equal shapes"):
        g.add(a, b)


def test_concat_joins_the_last_axis_of_inputs_equal_elsewhere():
    g = GraphBuilder("t", (6, 6, 2))
    a = g.conv(3, 1, x="input")
    b = g.conv(5, 3, x="input")
    join = g.concat(a, b, "input")
    node = g.build()[join]
    assert node.output_shape == (6, 6, 3 + 5 + 2)
    assert node.macs == node.param_count == 0
    assert node.elementwise_ops == 6 * 6 * 10
    small = g.conv(2, 3, stride=2, x="input")
    with pytest.raises(WorkloadError, match="equal in all but the last axis"):
        g.concat(a, small)
    with pytest.raises(WorkloadError, match="at least 2 inputs"):
        g.concat(a)
    v = GraphBuilder("v", (4,))
    u, w = v.dense(3, x="input"), v.dense(2, x="input")
    features = v.concat(u, w)
    assert v.build()[features].output_shape == (5,)


def test_dense_requires_vector_input():
    g = GraphBuilder("t", (4, 4, 2))
    with pytest.raises(WorkloadError, match="vector"):
        g.dense(3)


def test_global_avg_pool_and_flatten():
    g = GraphBuilder("t", (4, 4, 6))
    g.global_avg_pool()
    graph = g.build()
    assert graph.output.output_shape == (6,)
    g = GraphBuilder("t", (4, 4, 6))
    g.flatten()
    assert g.build().output.output_shape == (96,)


def test_unknown_input_name_is_rejected():
    g = GraphBuilder("t", (4,))
    with pytest.raises(WorkloadError, match="earlier layer"):
        g.dense(2, x="nope")


def test_loss_must_be_known():
    g = GraphBuilder("t", (4,))
    g.dense(2)
    with pytest.raises(WorkloadError, match="loss"):
        g.build(loss="hinge")


def test_layer_as_narrows_a_node_and_refuses_another_kind():
    from workloads.layers import Conv2d, Dense

    g = GraphBuilder("t", (8, 8, 1))
    conv = g.conv(2, 3)
    g.flatten()
    g.dense(3)
    graph = g.build()
    assert graph[conv].layer_as(Conv2d).out_channels == 2
    with pytest.raises(TypeError, match="conv2d layer, not a Dense"):
        graph[conv].layer_as(Dense)


def test_a_graph_hashes_by_content_once_and_afresh_in_another_process(tmp_path):
    """The hash is cached on the graph but never pickled: string hashes differ between processes, and
    a graph sent to a worker must hash like the same graph built there."""
    import os
    import pickle
    import subprocess
    import sys
    from dataclasses import replace

    from workloads.zoo import build_model

    graph = build_model("lenet-digits")
    assert hash(graph) == hash(build_model("lenet-digits")) == hash((graph.name, graph.nodes, graph.loss))
    assert hash(replace(graph, name="renamed")) == hash(("renamed", graph.nodes, graph.loss))
    blob = tmp_path / "graph.pkl"
    blob.write_bytes(pickle.dumps(graph))
    code = (
        "import pickle, sys; from workloads.zoo import build_model; "
        "g = pickle.loads(open(sys.argv[1], 'rb').read()); "
        "print(hash(g) == hash(build_model('lenet-digits')) and g == build_model('lenet-digits'))"
    )
    for seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code, str(blob)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
        )
        assert out.stdout.strip() == "True", out.stderr


def test_upsample_repeats_pixels_by_integer_scales():
    g = GraphBuilder("t", (3, 4, 2))
    up = g.upsample((2, 3))
    node = g.build()[up]
    assert node.output_shape == (6, 12, 2)
    assert node.macs == node.param_count == 0
    assert node.elementwise_ops == 6 * 12 * 2
    twice = g.upsample(2)
    assert g.build()[twice].output_shape == (12, 24, 2)
    for bad in (0, (2, 0), (1.5, 2), (2, 2, 2)):
        with pytest.raises(WorkloadError, match="positive integers"):
            g.upsample(bad)
    v = GraphBuilder("v", (4,))
    with pytest.raises(WorkloadError, match=r"\(H, W, C\) input"):
        v.upsample(2)
