"""A slow, obvious float64 NumPy forward of a graph (the reference the Network is tested against)."""

import numpy as np


def _pad(x, pads, value=0.0):
    t, b, left, r = pads
    return np.pad(x, ((0, 0), (t, b), (left, r), (0, 0)), constant_values=value)


def _conv(node, x, p):
    layer = node.layer
    w = p["weight"].astype(np.float64)
    kh, kw, cg, cout = w.shape
    sh, sw = layer.stride
    xp = _pad(x, layer.pads(node.input_shapes))
    oh, ow, _ = node.output_shape
    cog = cout // layer.groups
    y = np.zeros((x.shape[0], oh, ow, cout))
    for g in range(layer.groups):
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, i : i + sh * oh : sh, j : j + sw * ow : sw, g * cg : (g + 1) * cg]
                y[..., g * cog : (g + 1) * cog] += patch @ w[i, j, :, g * cog : (g + 1) * cog]
    return y + p["bias"] if "bias" in p else y


def _pool(node, x, reduce):
    layer = node.layer
    kh, kw = layer.pool
    sh, sw = layer.strides
    xp = _pad(x, layer.pads(node.input_shapes), np.nan)
    oh, ow, _ = node.output_shape
    windows = np.stack(
        [xp[:, i : i + sh * oh : sh, j : j + sw * ow : sw, :] for i in range(kh) for j in range(kw)]
    )
    return reduce(windows, axis=0)


def ref_forward(graph, weights, x):
    """The graph output for ``x`` in float64 (batch-norm frozen, dropout identity)."""
    act = {"input": np.asarray(x, np.float64)}
    for node in graph.nodes[1:]:
        ins = [act[i] for i in node.inputs]
        p = weights.get(node.name, {})
        k = node.kind
        if k == "conv2d":
            y = _conv(node, ins[0], p)
        elif k == "dense":
            y = ins[0] @ p["weight"].astype(np.float64) + (p["bias"] if "bias" in p else 0.0)
        elif k == "batchnorm":
            y = (ins[0] - p["mean"]) / np.sqrt(p["var"].astype(np.float64) + 1e-5) * p["gamma"] + p["beta"]
        elif k == "relu":
            y = np.maximum(ins[0], 0.0)
        elif k == "relu6":
            y = np.clip(ins[0], 0.0, 6.0)
        elif k == "leaky_relu":
            y = np.where(ins[0] > 0, ins[0], node.layer.alpha * ins[0])
        elif k == "sigmoid":
            y = 1.0 / (1.0 + np.exp(-ins[0]))
        elif k == "tanh":
            y = np.tanh(ins[0])
        elif k == "elu":
            y = np.where(ins[0] > 0, ins[0], node.layer.alpha * np.expm1(np.minimum(ins[0], 0.0)))
        elif k == "hard_sigmoid":
            y = np.clip(node.layer.alpha * ins[0] + node.layer.beta, 0.0, 1.0)
        elif k == "hard_swish":
            y = ins[0] * np.clip(ins[0] + 3.0, 0.0, 6.0) / 6.0
        elif k == "maxpool":
            y = _pool(node, ins[0], np.nanmax)
        elif k == "avgpool" and node.layer.count_include_pad:
            y = np.nan_to_num(_pool(node, ins[0], lambda w, axis: w)).mean(axis=0)
        elif k == "avgpool":
            y = _pool(node, ins[0], np.nanmean)
        elif k == "global_avg_pool":
            y = ins[0].mean(axis=(1, 2))
        elif k == "add":
            y = ins[0] + ins[1]
        elif k == "mul" and ins[1].shape != ins[0].shape:
            y = ins[0] * ins[1][:, None, None, :]
        elif k == "mul":
            y = ins[0] * ins[1]
        elif k == "concat":
            y = np.concatenate(ins, axis=-1)
        elif k == "upsample":
            sh, sw = node.layer.scale
            y = np.repeat(np.repeat(ins[0], sh, axis=1), sw, axis=2)
        elif k == "flatten":
            y = ins[0].reshape(len(ins[0]), -1)
        elif k == "dropout":
            y = ins[0]
        else:
            raise AssertionError(k)
        act[node.name] = y
    return act[graph.output.name]


def ref_loss(graph, weights, x, y):
    """Mean softmax cross-entropy (or MSE) of the reference forward, float64."""
    out = ref_forward(graph, weights, x)
    if graph.loss == "mse":
        return float(np.mean((out - y) ** 2))
    shifted = out - out.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean())


def assert_step_gradients_match_fd(graph, net, state, x, y, per_tensor: int, seed: int = 5) -> int:
    """Check the step's parameter gradients (``state.grads``, after ``net.train_step``) against float64
    central finite differences of :func:`ref_loss` at ``per_tensor`` random entries of every trained
    tensor; returns how many entries were checked."""
    import pytest

    w64 = {k: {p: v.astype(np.float64) for p, v in ps.items()} for k, ps in net.weights().items()}
    pick = np.random.default_rng(seed)
    checked = 0
    for layer, grads in state.grads.items():
        keys = ("gamma", "beta") if "gamma" in w64[layer] else ("weight", "bias")
        for key, grad in zip(keys, (grads.weight, grads.bias), strict=True):
            if grad is None:
                continue
            flat = w64[layer][key].reshape(-1)
            for i in pick.choice(flat.size, size=min(per_tensor, flat.size), replace=False):
                old, eps = flat[i], 1e-6
                flat[i] = old + eps
                up = ref_loss(graph, w64, x, y)
                flat[i] = old - eps
                down = ref_loss(graph, w64, x, y)
                flat[i] = old
                assert grad.reshape(-1)[i] == pytest.approx((up - down) / (2 * eps), rel=2e-3, abs=1e-5)
                checked += 1
    return checked
