"""Fused frozen batch-norm + ReLU/ReLU6: equal to the two kernels run apart, to NumPy, and to finite
differences."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workloads.kernels.activation import _clamp_forward, _mask_backward
from workloads.kernels.norm import _backward, _frozen_backward, _normalise

NO_MASK = np.zeros((0, 0), np.bool_)


def _params(rng, c, dtype=np.float32):
    gamma = rng.uniform(0.5, 1.5, c).astype(dtype)
    beta = rng.standard_normal(c).astype(dtype)
    mean = (rng.standard_normal(c) * 0.3).astype(dtype)
    invstd = rng.uniform(0.5, 2.0, c).astype(dtype)
    return gamma, beta, mean, invstd


def _fused(x2, gy2, params, hi):
    gamma, beta, mean, invstd = params
    y, mask = np.empty_like(x2), np.empty(x2.shape, np.bool_)
    _normalise(x2, gamma, beta, mean, invstd, 0.0, hi, y, mask)
    dx, dg, db = np.empty_like(x2), np.empty_like(gamma), np.empty_like(gamma)
    _frozen_backward(gy2, mask, x2, gamma, mean, invstd, True, True, True, dx, dg, db)
    return y, mask, dx, dg, db


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(1, 40), c=st.integers(1, 70), relu6=st.booleans(), seed=st.integers(0, 2**16))
def test_fused_equals_separate_kernels_and_numpy(rows, c, relu6, seed):
    rng = np.random.default_rng(seed)
    hi = 6.0 if relu6 else np.inf
    x2 = (rng.standard_normal((rows, c)) * 4).astype(np.float32)
    gy2 = rng.standard_normal((rows, c)).astype(np.float32)
    params = _params(rng, c)
    gamma, beta, mean, invstd = params
    y, mask, dx, dg, db = _fused(x2, gy2, params, hi)
    # the two kernels the executor ran before fusion: bit-for-bit the same results
    t, y_ref, m_ref = np.empty_like(x2), np.empty_like(x2), np.empty(x2.shape, np.bool_)
    _normalise(x2, gamma, beta, mean, invstd, -np.inf, np.inf, t, NO_MASK)
    _clamp_forward(t.reshape(-1), 0.0, hi, y_ref.reshape(-1), m_ref.reshape(-1))
    g = np.empty_like(x2)
    _mask_backward(gy2.reshape(-1), m_ref.reshape(-1), g.reshape(-1))
    dx_ref, dg_ref, db_ref = np.empty_like(x2), np.empty_like(gamma), np.empty_like(gamma)
    _backward(g, x2, gamma, mean, invstd, False, True, True, True, dx_ref, dg_ref, db_ref)
    for got, want in ((y, y_ref), (mask, m_ref), (dx, dx_ref), (dg, dg_ref), (db, db_ref)):
        np.testing.assert_array_equal(got, want)
    # and the obvious NumPy formula
    x64 = x2.astype(np.float64)
    z = (x64 - mean) * invstd * gamma + beta
    np.testing.assert_allclose(y, np.clip(z, 0.0, hi), rtol=1e-5, atol=1e-5)
    inside = (z > 0) & (z < hi)
    np.testing.assert_array_equal(
        mask[np.abs(z - np.clip(z, 0, hi)) > 1e-4], inside[np.abs(z - np.clip(z, 0, hi)) > 1e-4]
    )
    g64 = np.where(mask, gy2, 0.0)
    np.testing.assert_allclose(dx, g64 * gamma * invstd, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(db, g64.sum(0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dg, (g64 * (x64 - mean) * invstd).sum(0), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("hi", [np.inf, 6.0])
def test_fused_gradient_matches_finite_differences(fd_check, hi):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((9, 5)) * 3
    gamma, beta, mean, invstd = _params(rng, 5, np.float64)
    gy = rng.standard_normal((9, 5))

    def loss(x, gamma, beta):
        y, mask = np.empty_like(x), np.empty(x.shape, np.bool_)
        _normalise(x, gamma, beta, mean, invstd, 0.0, hi, y, mask)
        return float((y * gy).sum())

    y, mask = np.empty_like(x), np.empty(x.shape, np.bool_)
    _normalise(x, gamma, beta, mean, invstd, 0.0, hi, y, mask)
    dx, dg, db = np.empty_like(x), np.empty_like(gamma), np.empty_like(gamma)
    _frozen_backward(gy, mask, x, gamma, mean, invstd, True, True, True, dx, dg, db)
    fd_check(loss, [x, gamma, beta], [dx, dg, db], n_points=5)


def test_fused_forward_without_mask_and_backward_subsets(rng):
    x2 = rng.standard_normal((6, 4)).astype(np.float32)
    params = _params(rng, 4)
    gamma, beta, mean, invstd = params
    y_full, mask, dx, dg, db = _fused(x2, x2, params, np.inf)
    y = np.empty_like(x2)
    _normalise(x2, gamma, beta, mean, invstd, 0.0, np.inf, y, np.zeros((0, 1), np.bool_))
    np.testing.assert_array_equal(y, y_full)
    db_only = np.empty_like(gamma)
    empty1, empty2 = np.zeros(0, np.float32), np.zeros((0, 0), np.float32)
    _frozen_backward(x2, mask, empty2, gamma, mean, invstd, False, False, True, empty2, empty1, db_only)
    np.testing.assert_array_equal(db_only, db)
