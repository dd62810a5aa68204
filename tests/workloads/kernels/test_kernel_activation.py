"""relu, relu6, leaky_relu, add and flatten against NumPy references."""

import numpy as np
import pytest

from workloads.kernels import (
    KernelInputError,
    add_backward,
    add_forward,
    flatten_backward,
    flatten_forward,
    leaky_relu_backward,
    leaky_relu_forward,
    relu6_backward,
    relu6_forward,
    relu_backward,
    relu_forward,
)

CASES = [(relu_forward, relu_backward, np.inf), (relu6_forward, relu6_backward, 6.0)]


def clamp_ref(x, hi):
    return np.minimum(np.maximum(x.astype(np.float64), 0.0), hi)


def clamp_ref_backward(gy, x, hi):
    return np.where((x > 0) & (x < hi), gy, 0.0)


@pytest.mark.parametrize(("fwd", "bwd", "hi"), CASES)
def test_forward_and_both_backward_forms(rng, fwd, bwd, hi):
    x = (rng.standard_normal((2, 3, 4, 5)) * 5).astype(np.float32)
    x[0, 0, 0, :3] = [0.0, 6.0, -0.0]
    gy = rng.standard_normal(x.shape).astype(np.float32)
    mask = np.empty(x.shape, bool)
    y = fwd(x, mask=mask)
    np.testing.assert_array_equal(y, clamp_ref(x, hi))
    want = clamp_ref_backward(gy, x, hi)
    np.testing.assert_array_equal(bwd(gy, x), want)
    np.testing.assert_array_equal(bwd(gy, mask), want)


@pytest.mark.parametrize("hi", [np.inf, 6.0])
def test_reference_gradient_matches_finite_differences(fd_check, hi):
    x = np.array([-2.0, -0.3, 0.4, 2.5, 5.5, 6.7, 9.0])
    proj = np.arange(1.0, 8.0)
    fd_check(
        lambda x: float((clamp_ref(x, hi) * proj).sum()), [x], [clamp_ref_backward(proj, x, hi)], n_points=7
    )


def test_add_and_flatten(rng):
    a, b = (
        rng.standard_normal((2, 3, 4, 5)).astype(np.float32),
        rng.standard_normal((2, 3, 4, 5)).astype(np.float32),
    )
    np.testing.assert_array_equal(add_forward(a, b), a + b)
    ga, gb = add_backward(a)
    assert ga is a and gb is a
    f = flatten_forward(a)
    assert f.shape == (2, 60) and f[1, 7] == a[1, 0, 1, 2]
    np.testing.assert_array_equal(flatten_backward(f, a.shape), a)


def leaky_ref(x, alpha):
    x = x.astype(np.float64)
    return np.where(x > 0, x, alpha * x)


def leaky_ref_backward(gy, x, alpha):
    return np.where(x > 0, gy, alpha * gy)


@pytest.mark.parametrize("alpha", [0.01, 0.2, 1.5])
def test_leaky_relu_forward_and_both_backward_forms(rng, alpha):
    x = (rng.standard_normal((2, 3, 4, 5)) * 5).astype(np.float32)
    x[0, 0, 0, :2] = [0.0, -0.0]
    gy = rng.standard_normal(x.shape).astype(np.float32)
    mask = np.empty(x.shape, bool)
    y = leaky_relu_forward(x, alpha, mask=mask)
    np.testing.assert_allclose(y, leaky_ref(x, alpha), rtol=1e-6)
    np.testing.assert_array_equal(mask, x > 0)
    want = leaky_ref_backward(gy, x, alpha)
    np.testing.assert_allclose(leaky_relu_backward(gy, x, alpha), want, rtol=1e-6)
    np.testing.assert_allclose(leaky_relu_backward(gy, mask, alpha), want, rtol=1e-6)


def test_leaky_relu_reference_gradient_matches_finite_differences(fd_check):
    x = np.array([-2.0, -0.3, 0.4, 2.5, -5.5, 6.7, 9.0])
    proj = np.arange(1.0, 8.0)
    fd_check(
        lambda x: float((leaky_ref(x, 0.1) * proj).sum()),
        [x],
        [leaky_ref_backward(proj, x, 0.1)],
        n_points=7,
    )


def test_leaky_relu_wrapper_checks_its_arguments(rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    with pytest.raises(KernelInputError, match="dtype float64"):
        leaky_relu_forward(x.astype(np.float64))
    with pytest.raises(KernelInputError, match="mask"):
        leaky_relu_backward(x, np.ones((3, 2), bool))
