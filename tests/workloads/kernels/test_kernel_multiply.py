"""mul (same shapes and the per-channel gate) against a NumPy reference and finite differences."""

import numpy as np
import pytest

from workloads.kernels import KernelInputError, mul_backward, mul_forward


def mul_ref(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    return a * (b if b.shape == a.shape else b[:, None, None, :])


def mul_ref_backward(gy, a, b):
    gy, a, b = (t.astype(np.float64) for t in (gy, a, b))
    if b.shape == a.shape:
        return gy * b, gy * a
    return gy * b[:, None, None, :], (gy * a).sum(axis=(1, 2))


@pytest.mark.parametrize("gate", [False, True])
def test_forward_and_backward_match_numpy(rng, gate):
    a = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    b = rng.standard_normal((2, 5) if gate else a.shape).astype(np.float32)
    gy = rng.standard_normal(a.shape).astype(np.float32)
    np.testing.assert_allclose(mul_forward(a, b), mul_ref(a, b), rtol=1e-6)
    da, db = mul_backward(gy, a, b)
    want_a, want_b = mul_ref_backward(gy, a, b)
    assert db.shape == b.shape
    np.testing.assert_allclose(da, want_a, rtol=1e-6)
    np.testing.assert_allclose(db, want_b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("gate", [False, True])
def test_reference_gradient_matches_finite_differences(fd_check, gate):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((2, 2, 3, 4))
    b = rng.standard_normal((2, 4) if gate else a.shape)
    proj = rng.standard_normal(a.shape)
    da, db = mul_ref_backward(proj, a, b)
    fd_check(lambda a, b: float((mul_ref(a, b) * proj).sum()), [a, b], [da, db], n_points=8)


def test_wrapper_checks_the_gate_shape(rng):
    a = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    with pytest.raises(KernelInputError, match="one value per channel"):
        mul_forward(a, np.ones((2, 4), np.float32))
    with pytest.raises(KernelInputError, match="dtype float64"):
        mul_forward(a, np.ones((2, 5)))
