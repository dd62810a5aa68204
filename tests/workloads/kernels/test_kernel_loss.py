"""softmax cross-entropy and MSE against NumPy references and finite differences."""

import numpy as np

from workloads.kernels import mse_loss, softmax_cross_entropy


def xent_ref(logits, labels):
    z = logits - logits.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    return -logp[np.arange(len(labels)), labels].mean()


def xent_ref_grad(logits, labels):
    e = np.exp(logits - logits.max(1, keepdims=True))
    g = e / e.sum(1, keepdims=True)
    g[np.arange(len(labels)), labels] -= 1
    return g / len(labels)


def test_cross_entropy_matches_reference(rng, fd_check):
    logits = (rng.standard_normal((6, 10)) * 4).astype(np.float32)
    labels = rng.integers(0, 10, 6)
    loss, grad = softmax_cross_entropy(logits, labels)
    l64 = logits.astype(np.float64)
    np.testing.assert_allclose(loss, xent_ref(l64, labels), rtol=1e-5)
    np.testing.assert_allclose(grad, xent_ref_grad(l64, labels), rtol=1e-4, atol=1e-6)
    fd_check(lambda z: xent_ref(z, labels), [l64.copy()], [xent_ref_grad(l64, labels)], n_points=10)
    big = np.array([[1000.0, 0.0, -1000.0]], np.float32)  # no overflow
    loss, grad = softmax_cross_entropy(big, np.array([1], np.int32))
    np.testing.assert_allclose(loss, 1000.0, rtol=1e-6)
    assert np.isfinite(grad).all()


def test_mse_matches_reference(rng, fd_check):
    pred = rng.standard_normal((4, 3)).astype(np.float32)
    target = rng.standard_normal((4, 3)).astype(np.float32)
    loss, grad = mse_loss(pred, target)
    p64, t64 = pred.astype(np.float64), target.astype(np.float64)
    np.testing.assert_allclose(loss, ((p64 - t64) ** 2).mean(), rtol=1e-6)
    want = 2 * (p64 - t64) / p64.size
    np.testing.assert_allclose(grad, want, rtol=1e-5)
    fd_check(lambda p: float(((p - t64) ** 2).mean()), [p64.copy()], [want])
