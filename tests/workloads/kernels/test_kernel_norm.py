"""batchnorm in training and frozen mode against a step-by-step NumPy reference."""

import numpy as np
import pytest

from workloads.kernels import batchnorm_backward, batchnorm_forward

EPS = 1e-5


def bn_ref(x, gamma, beta, mean=None, var=None):
    x2 = x.reshape(-1, x.shape[-1]).astype(np.float64)
    if mean is None:
        mean, var = x2.mean(0), x2.var(0)
    return ((x2 - mean) / np.sqrt(var + EPS) * gamma + beta).reshape(x.shape)


def bn_ref_backward(gy, x, gamma, training, mean=None, var=None):
    """Chain rule one intermediate at a time (not the fused formula the kernel uses)."""
    x2 = x.reshape(-1, x.shape[-1]).astype(np.float64)
    g2 = gy.reshape(x2.shape).astype(np.float64)
    m = x2.shape[0]
    if training:
        mean, var = x2.mean(0), x2.var(0)
    inv = 1.0 / np.sqrt(var + EPS)
    xhat = (x2 - mean) * inv
    dxhat = g2 * gamma
    if training:
        dvar = (dxhat * (x2 - mean) * -0.5 * inv**3).sum(0)
        dmean = (-dxhat * inv).sum(0) + dvar * (-2.0 * (x2 - mean)).mean(0)
        dx = dxhat * inv + dvar * 2.0 * (x2 - mean) / m + dmean / m
    else:
        dx = dxhat * inv
    return dx.reshape(x.shape), (g2 * xhat).sum(0), g2.sum(0)


def _case(rng, shape=(3, 4, 5, 6)):
    c = shape[-1]
    x = (rng.standard_normal(shape) * 2 + 1).astype(np.float32)
    gamma = rng.uniform(0.5, 1.5, c).astype(np.float32)
    beta = rng.standard_normal(c).astype(np.float32)
    rm = rng.standard_normal(c).astype(np.float32)
    rv = rng.uniform(0.5, 2.0, c).astype(np.float32)
    return x, gamma, beta, rm, rv, rng.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("training", [True, False])
def test_reference_gradient_matches_finite_differences(fd_check, training):
    r = np.random.default_rng(2)
    x, gamma, beta = r.standard_normal((5, 3)), r.uniform(0.5, 1.5, 3), r.standard_normal(3)
    rm, rv, proj = r.standard_normal(3), r.uniform(0.5, 2, 3), r.standard_normal((5, 3))
    stats = (None, None) if training else (rm, rv)

    def loss(x, gamma, beta):
        return float((bn_ref(x, gamma, beta, *stats) * proj).sum())

    fd_check(
        loss, [x, gamma, beta], list(bn_ref_backward(proj, x, gamma, training, *stats)), atol=1e-6, rtol=1e-5
    )


@pytest.mark.parametrize("shape", [(3, 4, 5, 6), (8, 6)])
def test_training_mode_matches_reference(rng, shape):
    x, gamma, beta, rm, rv, gy = _case(rng, shape)
    rm0, rv0 = rm.copy(), rv.copy()
    y, mean, invstd = batchnorm_forward(x, gamma, beta, rm, rv, training=True, momentum=0.1, eps=EPS)
    np.testing.assert_allclose(y, bn_ref(x, gamma, beta), rtol=1e-4, atol=1e-4)
    x2 = x.reshape(-1, shape[-1]).astype(np.float64)
    np.testing.assert_allclose(rm, 0.9 * rm0 + 0.1 * x2.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv, 0.9 * rv0 + 0.1 * x2.var(0, ddof=1), rtol=1e-5, atol=1e-6)
    grads = batchnorm_backward(gy, x, gamma, mean, invstd, training=True)
    for got, want in zip(grads, bn_ref_backward(gy, x, gamma, True), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_frozen_mode_matches_reference_and_needs_no_input_for_bias(rng):
    x, gamma, beta, rm, rv, gy = _case(rng)
    rm0 = rm.copy()
    y, mean, invstd = batchnorm_forward(x, gamma, beta, rm, rv, training=False, eps=EPS)
    assert (rm == rm0).all()
    np.testing.assert_allclose(y, bn_ref(x, gamma, beta, rm, rv), rtol=1e-4, atol=1e-4)
    grads = batchnorm_backward(gy, x, gamma, mean, invstd, training=False)
    want = bn_ref_backward(gy, x, gamma, False, rm, rv)
    for got, w in zip(grads, want, strict=True):
        np.testing.assert_allclose(got, w, rtol=1e-4, atol=1e-4)
    dx, dg, db = batchnorm_backward(gy, None, gamma, mean, invstd, training=False, need_gamma_grad=False)
    assert dg is None
    np.testing.assert_allclose(dx, want[0], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(db, want[2], rtol=1e-4, atol=1e-4)
