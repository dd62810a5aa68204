"""dense forward/backward against NumPy einsum references; the reference against finite differences."""

import numpy as np

from workloads.kernels import dense_backward, dense_forward


def dense_ref(x, w, b):
    return np.einsum("nf,fo->no", x.astype(np.float64), w.astype(np.float64)) + b


def dense_ref_backward(gy, x, w):
    gy = gy.astype(np.float64)
    return np.einsum("no,fo->nf", gy, w), np.einsum("nf,no->fo", x.astype(np.float64), gy), gy.sum(0)


def _case(rng, n=4, fin=7, fout=5):
    x = rng.standard_normal((n, fin)).astype(np.float32)
    w = rng.standard_normal((fin, fout)).astype(np.float32)
    b = rng.standard_normal(fout).astype(np.float32)
    return x, w, b, rng.standard_normal((n, fout)).astype(np.float32)


def test_reference_gradient_matches_finite_differences(fd_check):
    r = np.random.default_rng(1)
    x, w, b = r.standard_normal((3, 4)), r.standard_normal((4, 5)), r.standard_normal(5)
    proj = r.standard_normal((3, 5))

    def loss(x, w, b):
        return float((dense_ref(x, w, b) * proj).sum())

    fd_check(loss, [x, w, b], list(dense_ref_backward(proj, x, w)))


def test_forward_backward_match_reference(rng):
    x, w, b, gy = _case(rng)
    np.testing.assert_allclose(dense_forward(x, w, b), dense_ref(x, w, b), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(dense_forward(x, w), dense_ref(x, w, 0.0), rtol=1e-4, atol=1e-5)
    for got, want in zip(dense_backward(gy, x, w), dense_ref_backward(gy, x, w), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_sparse_update_and_flags(rng):
    x, w, b, gy = _case(rng)
    _, rdw, rdb = dense_ref_backward(gy, x, w)
    dx, dw, db = dense_backward(gy, x, w, need_input_grad=False, trained_out_channels=2)
    assert dx is None
    np.testing.assert_allclose(dw[:, :2], rdw[:, :2], rtol=1e-4, atol=1e-5)
    assert not dw[:, 2:].any()
    np.testing.assert_allclose(db, rdb, rtol=1e-5, atol=1e-5)
    provided = np.full(w.shape, 3.0, np.float32)
    dense_backward(
        gy, x, w, need_input_grad=False, need_bias_grad=False, trained_out_channels=3, grad_weight=provided
    )
    assert (provided[:, 3:] == 3.0).all()
    dx, dw, db = dense_backward(gy, None, w, need_input_grad=False, need_weight_grad=False)
    assert dx is None and dw is None
    np.testing.assert_allclose(db, rdb, rtol=1e-5, atol=1e-5)
