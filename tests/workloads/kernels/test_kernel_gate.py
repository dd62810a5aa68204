"""sigmoid, hard_sigmoid, hard_swish, tanh and ELU against NumPy references and finite differences."""

import numpy as np
import pytest

from workloads.kernels import (
    KernelInputError,
    elu_backward,
    elu_forward,
    hard_sigmoid_backward,
    hard_sigmoid_forward,
    hard_swish_backward,
    hard_swish_forward,
    sigmoid_backward,
    sigmoid_forward,
    tanh_backward,
    tanh_forward,
)


def sigmoid_ref(x):
    return 1.0 / (1.0 + np.exp(-x.astype(np.float64)))


def hard_sigmoid_ref(x, alpha, beta):
    return np.clip(alpha * x.astype(np.float64) + beta, 0.0, 1.0)


def hard_sigmoid_ref_backward(gy, x, alpha, beta):
    t = alpha * x.astype(np.float64) + beta
    return np.where((t > 0) & (t < 1), alpha * gy, 0.0)


def hard_swish_ref(x):
    x = x.astype(np.float64)
    return x * np.clip(x + 3.0, 0.0, 6.0) / 6.0


def hard_swish_ref_backward(gy, x):
    return np.where(x < -3, 0.0, np.where(x <= 3, gy * (x / 3.0 + 0.5), gy))


def test_sigmoid_forward_backward_and_extremes(rng):
    x = (rng.standard_normal((2, 3, 4, 5)) * 6).astype(np.float32)
    x[0, 0, 0, :4] = [0.0, 200.0, -200.0, -88.0]
    y = sigmoid_forward(x)
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y, sigmoid_ref(x), rtol=1e-6, atol=1e-30)
    gy = rng.standard_normal(x.shape).astype(np.float32)
    want = gy * sigmoid_ref(x) * (1 - sigmoid_ref(x))
    np.testing.assert_allclose(sigmoid_backward(gy, y), want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("alpha,beta", [(0.2, 0.5), (1 / 6, 0.5), (0.5, -0.2)])
def test_hard_sigmoid_forward_and_both_backward_forms(rng, alpha, beta):
    x = (rng.standard_normal((2, 3, 4, 5)) * 4).astype(np.float32)
    gy = rng.standard_normal(x.shape).astype(np.float32)
    mask = np.empty(x.shape, bool)
    y = hard_sigmoid_forward(x, alpha, beta, mask=mask)
    np.testing.assert_allclose(y, hard_sigmoid_ref(x, alpha, beta), rtol=1e-6, atol=1e-7)
    want = hard_sigmoid_ref_backward(gy, x, np.float32(alpha), np.float32(beta))
    np.testing.assert_allclose(hard_sigmoid_backward(gy, mask, alpha, beta), want, rtol=1e-6)
    np.testing.assert_allclose(hard_sigmoid_backward(gy, x, alpha, beta), want, rtol=1e-6)


def test_hard_swish_forward_and_backward(rng):
    x = (rng.standard_normal((2, 3, 4, 5)) * 4).astype(np.float32)
    x[0, 0, 0, :4] = [-3.0, 3.0, 0.0, -5.0]
    gy = rng.standard_normal(x.shape).astype(np.float32)
    np.testing.assert_allclose(hard_swish_forward(x), hard_swish_ref(x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(hard_swish_backward(gy, x), hard_swish_ref_backward(gy, x), rtol=1e-6)


def test_reference_gradients_match_finite_differences(fd_check):
    x = np.array([-4.0, -2.9, -1.3, -0.2, 0.4, 1.1, 2.3, 3.3, 7.0])  # away from the kinks
    proj = np.arange(1.0, 10.0)
    s = sigmoid_ref(x)
    fd_check(lambda x: float((sigmoid_ref(x) * proj).sum()), [x], [proj * s * (1 - s)], n_points=9)
    fd_check(
        lambda x: float((hard_sigmoid_ref(x, 0.2, 0.5) * proj).sum()),
        [x],
        [hard_sigmoid_ref_backward(proj, x, 0.2, 0.5)],
        n_points=9,
    )
    fd_check(
        lambda x: float((hard_swish_ref(x) * proj).sum()), [x], [hard_swish_ref_backward(proj, x)], n_points=9
    )


def test_wrappers_check_their_arguments(rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    with pytest.raises(KernelInputError, match="dtype float64"):
        sigmoid_forward(x.astype(np.float64))
    with pytest.raises(KernelInputError, match="y: shape"):
        sigmoid_backward(x, np.ones((3, 2), np.float32))
    with pytest.raises(KernelInputError, match="C-contiguous"):
        hard_swish_forward(np.asfortranarray(np.ones((3, 2), np.float32)))
    with pytest.raises(KernelInputError, match="mask"):
        hard_sigmoid_backward(x, np.ones((3, 2), bool))


def elu_ref(x, alpha):
    x = x.astype(np.float64)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def elu_ref_backward(gy, x, alpha):
    return np.where(x > 0, gy, gy * alpha * np.exp(np.minimum(x, 0.0)))


def test_tanh_forward_backward_and_extremes(rng):
    x = (rng.standard_normal((2, 3, 4, 5)) * 3).astype(np.float32)
    x[0, 0, 0, :3] = [0.0, 60.0, -60.0]
    y = tanh_forward(x)
    np.testing.assert_allclose(y, np.tanh(x.astype(np.float64)), rtol=1e-6, atol=1e-7)
    assert y[0, 0, 0, 1] == 1.0 and y[0, 0, 0, 2] == -1.0
    gy = rng.standard_normal(x.shape).astype(np.float32)
    want = gy * (1 - np.tanh(x.astype(np.float64)) ** 2)
    np.testing.assert_allclose(tanh_backward(gy, y), want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("alpha", [1.0, 0.3, 2.5])
def test_elu_forward_and_backward_from_its_output(rng, alpha):
    x = (rng.standard_normal((2, 3, 4, 5)) * 3).astype(np.float32)
    x[0, 0, 0, :3] = [0.0, -100.0, 1e-8]
    y = elu_forward(x, alpha)
    np.testing.assert_allclose(y, elu_ref(x, alpha), rtol=1e-6, atol=1e-7)
    gy = rng.standard_normal(x.shape).astype(np.float32)
    np.testing.assert_allclose(
        elu_backward(gy, y, alpha), elu_ref_backward(gy, x, alpha), rtol=1e-5, atol=1e-6
    )


def test_smooth_reference_gradients_match_finite_differences(fd_check):
    x = np.array([-4.0, -2.9, -1.3, -0.2, 0.4, 1.1, 2.3, 3.3, 7.0])
    proj = np.arange(1.0, 10.0)
    fd_check(lambda x: float((np.tanh(x) * proj).sum()), [x], [proj * (1 - np.tanh(x) ** 2)], n_points=9)
    fd_check(
        lambda x: float((elu_ref(x, 0.7) * proj).sum()), [x], [elu_ref_backward(proj, x, 0.7)], n_points=9
    )
