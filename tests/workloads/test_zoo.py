"""Zoo models: shapes, parameter counts and MACs against the published figures."""

import pytest

from workloads.errors import WorkloadError
from workloads.zoo import build_model, model_names

PUBLISHED_MACS = {  # MLPerf Tiny reference models (calibration/mlperf_tiny_inference.csv header)
    "mlperf-resnet8": 12.50e6,
    "mlperf-dscnn": 2.66e6,
    "mlperf-mbv1-vww": 7.49e6,
    "mlperf-autoencoder": 0.264e6,
    "mbv2-w0.35": 20e6,  # Keras applications table: mobilenet_v2_0.35_128, 20 M MACs
}


@pytest.mark.parametrize("name", sorted(PUBLISHED_MACS))
def test_macs_match_published_within_one_percent(name):
    assert build_model(name).macs == pytest.approx(
        PUBLISHED_MACS[name], rel=0.0101 if name != "mbv2-w0.35" else 0.02
    )


@pytest.mark.parametrize(
    ("name", "input_shape", "output_shape"),
    [
        ("mlperf-resnet8", (32, 32, 3), (10,)),
        ("mlperf-dscnn", (49, 10, 1), (12,)),
        ("mlperf-mbv1-vww", (96, 96, 3), (2,)),
        ("mlperf-autoencoder", (640,), (640,)),
        ("mbv2-w0.35", (128, 128, 3), (1000,)),
        ("lenet-digits", (8, 8, 1), (10,)),
        ("mlp", (64,), (10,)),
    ],
)
def test_input_and_output_shapes(name, input_shape, output_shape):
    graph = build_model(name)
    assert graph.input_shape == input_shape
    assert graph.output.output_shape == output_shape


def test_every_zoo_model_builds_with_a_loss():
    for name in model_names():
        graph = build_model(name)
        assert graph.loss in ("softmax_cross_entropy", "mse")
        assert graph.params > 0 and graph.macs > 0


def test_dscnn_first_conv_is_10x4_stride_2_to_25x5x64():
    conv = build_model("mlperf-dscnn")["conv2d_0"]
    assert conv.layer.kernel == (10, 4) and conv.output_shape == (25, 5, 64)
    assert conv.macs == 25 * 5 * 64 * 10 * 4


def test_resnet8_is_a_dag_with_three_residual_adds():
    graph = build_model("mlperf-resnet8")
    adds = [n for n in graph if n.kind == "add"]
    assert len(adds) == 3
    # the first stack's shortcut is the stem's output itself, read by two layers
    assert len(graph.consumers(adds[0].inputs[1])) == 2


def test_mbv2_channels_are_multiples_of_eight_and_head_is_selectable():
    graph = build_model("mbv2-w0.35", classes=10)
    assert graph.output.output_shape == (10,)
    for node in graph.weighted_nodes()[:-1]:
        assert node.output_shape[-1] % 8 == 0
    assert build_model("mbv2-w0.35").params - graph.params == 1280 * 990 + 990


def test_mlp_hidden_layers_are_configurable():
    graph = build_model("mlp", hidden=[16, 16, 16])
    assert [n.output_shape[0] for n in graph.weighted_nodes()] == [16, 16, 16, 10]


def test_depthwise_conv_params_and_macs():
    node = build_model("mlperf-dscnn")["conv2d_1"]
    assert node.layer.is_depthwise
    assert node.weight_count == 3 * 3 * 1 * 64 and node.macs == 25 * 5 * 64 * 9


@pytest.mark.parametrize(
    ("name", "options", "field"),
    [
        ("resnet9", {}, "model.name"),
        ("mlp", {"hiden": [3]}, "model.hiden"),
        ("mlp", {"classes": -1}, "model.classes"),
    ],
)
def test_bad_model_requests_name_the_field(name, options, field):
    with pytest.raises(WorkloadError) as err:
        build_model(name, **options)
    assert err.value.field == field


def test_unknown_model_suggests_the_closest_name():
    with pytest.raises(WorkloadError, match="did you mean 'mlperf-resnet8'"):
        build_model("mlperf-resnet")
