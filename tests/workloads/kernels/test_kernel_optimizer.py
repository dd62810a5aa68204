"""Optimizer updates against the textbook formulas over several steps, and the sparse update."""

import numpy as np

from workloads.kernels import adam_update, sgd_momentum_update, sgd_update


def _state(rng, shape=(3, 3, 2, 4)):
    p = rng.standard_normal(shape).astype(np.float32)
    grads = [rng.standard_normal(shape).astype(np.float32) for _ in range(4)]
    return p, grads


def test_sgd_and_momentum_match_formulas(rng):
    p, grads = _state(rng)
    ref_sgd, ref_mom, vel = p.astype(np.float64), p.astype(np.float64), np.zeros(p.shape)
    mp, v = p.copy(), np.zeros_like(p)
    for g in grads:
        sgd_update(p, g, lr=0.1, weight_decay=0.01)
        sgd_momentum_update(mp, g, v, lr=0.1, momentum=0.9)
        ref_sgd -= 0.1 * (g + 0.01 * ref_sgd)
        vel = 0.9 * vel + g
        ref_mom -= 0.1 * vel
    np.testing.assert_allclose(p, ref_sgd, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mp, ref_mom, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(v, vel, rtol=1e-5, atol=1e-6)


def test_adam_matches_formula(rng):
    p, grads = _state(rng)
    ref, m, v = p.astype(np.float64), np.zeros(p.shape), np.zeros(p.shape)
    em, ev = np.zeros_like(p), np.zeros_like(p)
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 1e-2
    for t, g in enumerate(grads, start=1):
        adam_update(p, g, em, ev, lr=lr, step=t)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g.astype(np.float64) ** 2
        ref -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    np.testing.assert_allclose(p, ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(em, m, rtol=1e-5, atol=1e-6)


def test_sparse_update_touches_only_first_channels(rng):
    p, grads = _state(rng)
    for name in ["sgd", "momentum", "adam"]:
        q = p.copy()
        s1, s2 = np.zeros_like(p), np.zeros_like(p)
        for t, g in enumerate(grads, start=1):
            if name == "sgd":
                sgd_update(q, g, lr=0.1, trained_out_channels=2)
            elif name == "momentum":
                sgd_momentum_update(q, g, s1, lr=0.1, momentum=0.9, trained_out_channels=2)
            else:
                adam_update(q, g, s1, s2, lr=0.1, step=t, trained_out_channels=2)
        assert (q[..., 2:] == p[..., 2:]).all() and not s1[..., 2:].any() and not s2[..., 2:].any()
        assert (q[..., :2] != p[..., :2]).all()
    b = p[0, 0, 0].copy()
    sgd_update(b, np.ones_like(b), lr=1.0)
    np.testing.assert_allclose(b, p[0, 0, 0] - 1)
