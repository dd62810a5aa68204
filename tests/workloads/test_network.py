"""Network: forward against a float64 NumPy reference, gradients against finite differences, what a
step may change, int8 against fp32, weights files."""

import numpy as np
import pytest
from netref import assert_step_gradients_match_fd, ref_forward, ref_loss

from workloads import kernels
from workloads.errors import WorkloadError
from workloads.graph import GraphBuilder
from workloads.network import Network
from workloads.plan import TrainingPlan
from workloads.weights import save_weights


def _every_kind():
    g = GraphBuilder("kinds", (9, 9, 3))
    a = g.conv(4, 3, 2)
    g.batchnorm()
    b = g.relu6()
    g.depthwise(3)
    g.relu()
    c = g.conv(4, 1)
    g.add(c, b)
    g.conv(6, 3, padding="valid", groups=2)
    g.maxpool(2, padding="same")
    g.avgpool(2, 1, padding="same")
    g.dropout(0.3)
    g.global_avg_pool()
    g.dense(5)
    del a
    return g.build()


def _residual():
    g = GraphBuilder("tiny", (6, 6, 2))
    x = g.conv(3, 3)
    g.batchnorm()
    y = g.relu()
    g.conv(3, 3, x=y)
    g.add(g.last, x)
    g.maxpool(2)
    g.flatten()
    g.dense(4)
    return g.build()


def _random_bn(net, rng):
    for params in net.params.values():
        if "gamma" in params:
            c = params["gamma"].shape
            params["gamma"][:] = rng.uniform(0.5, 1.5, c)
            params["beta"][:] = rng.normal(0, 0.2, c)
            params["mean"][:] = rng.normal(0, 0.2, c)
            params["var"][:] = rng.uniform(0.5, 2, c)
    net.set_weights(net.weights())  # recompute the frozen inverse standard deviations


def test_forward_matches_numpy_reference():
    graph = _every_kind()
    rng = np.random.default_rng(3)
    net = Network(graph, seed=7)
    _random_bn(net, rng)
    x = rng.standard_normal((3, 9, 9, 3)).astype(np.float32)
    np.testing.assert_allclose(net.forward(x), ref_forward(graph, net.weights(), x), rtol=1e-4, atol=1e-5)


def test_step_gradients_match_finite_differences():
    graph = _residual()
    rng = np.random.default_rng(0)
    net = Network(graph, seed=1)
    _random_bn(net, rng)
    x = rng.standard_normal((2, 6, 6, 2)).astype(np.float32)
    y = np.array([1, 3])
    state = net.trainer(TrainingPlan(update="full", batch_size=2, learning_rate=0.0))
    loss = net.train_step(x, y, state)
    w64 = {k: {p: v.astype(np.float64) for p, v in ps.items()} for k, ps in net.weights().items()}
    assert loss == pytest.approx(ref_loss(graph, w64, x, y), rel=1e-5)
    assert assert_step_gradients_match_fd(graph, net, state, x, y, per_tensor=4) >= 20


def test_only_trained_parameters_change():
    graph = _residual()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 6, 2)).astype(np.float32)
    y = np.array([0, 2])
    for plan in (
        TrainingPlan(update="last:1", batch_size=2, learning_rate=0.1),
        TrainingPlan(
            update="sparse",
            batch_size=2,
            sparse_bias_layers=1,
            sparse_weights={"conv2d_1": 0.34},
            optimizer="adam",
        ),
    ):
        net = Network(graph, seed=2)
        before = net.weights()
        state = net.trainer(plan)
        net.train_step(x, y, state)
        after = net.weights()
        training = plan.resolve(graph)
        for layer, params in before.items():
            for key, old in params.items():
                new = after[layer][key]
                t = training.get(layer)
                trains_weight = t is not None and t.weight_fraction > 0 and key in ("weight", "gamma")
                trains_bias = t is not None and t.bias and key in ("bias", "beta")
                if trains_bias:
                    assert not np.array_equal(old, new), (layer, key)
                elif trains_weight:
                    k = state.channels[layer]
                    assert not np.array_equal(old[..., :k], new[..., :k]), (layer, key)
                    assert np.array_equal(old[..., k:], new[..., k:]), (layer, key)
                else:
                    assert np.array_equal(old, new), (layer, key)


def test_int8_forward_is_close_to_fp32():
    graph = _residual()
    rng = np.random.default_rng(4)
    x = rng.standard_normal((16, 6, 6, 2)).astype(np.float32)
    fp32 = Network(graph, seed=3)
    int8 = Network(graph, fp32.weights(), precision="int8")
    int8.calibrate([x[:8], x[8:]])
    ref, got = fp32.forward(x), int8.forward(x)
    assert np.abs(got - ref).max() < 0.05 * np.abs(ref).max()
    assert not np.array_equal(got, ref)  # it really ran on the int8 grid


def test_int8_layers_compute_exactly_the_public_int8_kernels():
    # the executor runs each int8 layer as one compiled call; its outputs are those of the public kernels
    # chained: quantise the input, int8 convolution / dense with the quantised bias, dequantise
    graph = _residual()
    rng = np.random.default_rng(5)
    x = rng.standard_normal((5, 6, 6, 2)).astype(np.float32)
    net = Network(graph, seed=3, precision="int8")
    net.calibrate([x])
    net.forward(x)
    act = net._program(5, None).act
    for node in graph:
        if node.kind not in ("conv2d", "dense"):
            continue
        q, params = net.quant.layers[node.name], net.params[node.name]
        xq = kernels.quantize_activation(act[node.inputs[0]], q.x_scale, q.x_zero_point)
        scales = dict(x_scale=q.x_scale, x_zero_point=q.x_zero_point, w_scale=q.w_scale)
        scales |= dict(y_scale=q.y_scale, y_zero_point=q.y_zero_point)
        bq = kernels.quantize_bias(params["bias"], q.x_scale, q.w_scale)
        if node.kind == "conv2d":
            pads = node.layer.pads(node.input_shapes)
            yq = kernels.conv2d_int8_forward(
                xq, q.weight_q, bq, stride=node.layer.stride, padding=pads, **scales
            )
        else:
            yq = kernels.dense_int8_forward(xq, q.weight_q, bq, **scales)
        want = kernels.dequantize_activation(yq, q.y_scale, q.y_zero_point)
        np.testing.assert_array_equal(act[node.name], want, err_msg=node.name)


def test_int8_needs_calibration_or_imported_scales():
    graph = _residual()
    net = Network(graph, precision="int8")
    with pytest.raises(WorkloadError, match="calibrate"):
        net.forward(np.zeros((1, 6, 6, 2), np.float32))
    scales = {
        n.name: {"w_scale": 0.01, "x_scale": 0.05, "x_zero_point": 0, "y_scale": 0.05, "y_zero_point": 0}
        for n in graph.weighted_nodes()
    }
    imported = Network(graph, precision="int8", quantization=scales)
    assert imported.forward(np.ones((1, 6, 6, 2), np.float32)).shape == (1, 4)


@pytest.mark.parametrize("key", ["x_scale", "y_zero_point"])
def test_imported_scales_that_are_not_numbers_name_layer_and_key(key):
    graph = _residual()
    scales = {
        n.name: {"w_scale": 0.01, "x_scale": 0.05, "x_zero_point": 0, "y_scale": 0.05, "y_zero_point": 0}
        for n in graph.weighted_nodes()
    }
    first = graph.weighted_nodes()[0].name
    scales[first][key] = "big"
    with pytest.raises(WorkloadError, match=f"{first}/{key}"):
        Network(graph, precision="int8", quantization=scales)


def test_int8_sgd_step_moves_trained_int8_weights():
    graph = _residual()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6, 6, 2)).astype(np.float32)
    net = Network(graph, precision="int8", seed=1)
    net.calibrate([x])
    q = net.quant.layers["dense_0"]
    before = q.weight_q.copy()
    state = net.trainer(TrainingPlan(update="last:1", batch_size=4, precision="int8", learning_rate=0.5))
    net.train_step(x, np.array([0, 1, 2, 3]), state)
    assert not np.array_equal(before, q.weight_q)
    np.testing.assert_array_equal(net.params["dense_0"]["weight"], q.weight_q * q.w_scale)


def test_weights_round_trip(tmp_path):
    graph = _residual()
    net = Network(graph, seed=9)
    path = tmp_path / "w.npz"
    net.save(path)
    other = Network(graph, seed=10)
    other.load(path)
    x = np.random.default_rng(0).standard_normal((2, 6, 6, 2)).astype(np.float32)
    np.testing.assert_array_equal(net.forward(x), other.forward(x))


def test_bad_weights_files_name_file_key_and_shape(tmp_path):
    graph = _residual()
    weights = Network(graph).weights()
    weights["dense_0"]["weight"] = np.zeros((3, 4), np.float32)
    bad = tmp_path / "bad.npz"
    save_weights(bad, weights)
    with pytest.raises(WorkloadError, match=r"bad\.npz.*dense_0/weight.*\(27, 4\)"):
        Network(graph).load(bad)
    del weights["dense_0"]["bias"]
    weights["dense_0"]["weight"] = np.zeros((27, 4), np.float32)
    save_weights(bad, weights)
    with pytest.raises(WorkloadError, match=r"dense_0/bias"):
        Network(graph).load(bad)
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(WorkloadError, match="junk.npz"):
        Network(graph).load(tmp_path / "junk.npz")
    with pytest.raises(WorkloadError, match="missing.npz"):
        Network(graph).load(tmp_path / "missing.npz")
