"""Shared fixtures for the kernel tests: a seeded generator and a finite-difference checker."""

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def _fd_check(loss, args, grads, n_points=6, eps=1e-6, rtol=1e-6, atol=1e-8, seed=0):
    """Compare analytical ``grads`` of scalar ``loss(*args)`` with float64 central differences.

    ``args`` and ``grads`` are parallel lists (a None gradient is skipped); a few random entries of
    each argument are perturbed in place and restored.
    """
    pick = np.random.default_rng(seed)
    for a, g in zip(args, grads, strict=True):
        if g is None:
            continue
        assert a.dtype == np.float64 and g.shape == a.shape
        flat, gflat = a.reshape(-1), g.reshape(-1)
        for idx in pick.choice(flat.size, size=min(n_points, flat.size), replace=False):
            old = flat[idx]
            flat[idx] = old + eps
            up = loss(*args)
            flat[idx] = old - eps
            down = loss(*args)
            flat[idx] = old
            np.testing.assert_allclose(gflat[idx], (up - down) / (2 * eps), rtol=rtol, atol=atol)


@pytest.fixture
def fd_check():
    return _fd_check
