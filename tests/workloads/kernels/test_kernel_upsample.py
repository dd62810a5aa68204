"""Nearest-neighbour upsampling against a NumPy reference and finite differences; the wrapper's checks."""

import numpy as np
import pytest

from workloads.kernels import KernelInputError, upsample_backward, upsample_forward


def upsample_ref(x, sh, sw):
    """Output pixel by output pixel, as slowly and obviously as possible."""
    n, h, w, c = x.shape
    y = np.zeros((n, h * sh, w * sw, c))
    for i in range(h * sh):
        for j in range(w * sw):
            y[:, i, j, :] = x[:, i // sh, j // sw, :]
    return y


def upsample_ref_backward(gy, sh, sw):
    n, oh, ow, c = gy.shape
    dx = np.zeros((n, oh // sh, ow // sw, c))
    for i in range(oh):
        for j in range(ow):
            dx[:, i // sh, j // sw, :] += gy[:, i, j, :]
    return dx


@pytest.mark.parametrize("scale", [(2, 2), (1, 3), (3, 1), (2, 3), (1, 1)])
@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (1, 1, 6, 2), (3, 2, 2, 1)])
def test_forward_and_backward_match_numpy(rng, shape, scale):
    x = rng.standard_normal(shape).astype(np.float32)
    y = upsample_forward(x, scale)
    np.testing.assert_array_equal(y, upsample_ref(x, *scale))
    gy = rng.standard_normal(y.shape).astype(np.float32)
    dx = upsample_backward(gy, scale)
    assert dx.shape == x.shape
    np.testing.assert_allclose(dx, upsample_ref_backward(gy, *scale), rtol=1e-6, atol=1e-6)


def test_one_int_scales_both_axes_and_outputs_can_be_preallocated(rng):
    x = rng.standard_normal((2, 3, 3, 2)).astype(np.float32)
    out = np.full((2, 6, 6, 2), np.nan, np.float32)
    assert upsample_forward(x, 2, out=out) is out
    np.testing.assert_array_equal(out, upsample_ref(x, 2, 2))
    gx = np.full(x.shape, np.nan, np.float32)  # the backward writes every element (no stale values)
    assert upsample_backward(out, 2, out=gx) is gx
    np.testing.assert_allclose(gx, 4 * x, rtol=1e-6)


def test_reference_gradient_matches_finite_differences(fd_check):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 2, 3))
    proj = rng.standard_normal((2, 6, 6, 3))
    grad = upsample_ref_backward(proj, 2, 3)
    fd_check(lambda a: float((upsample_ref(a, 2, 3) * proj).sum()), [x], [grad], n_points=10)


def test_kernel_gradient_matches_finite_differences_of_the_kernel(rng):
    """The float32 kernels themselves: <upsample(x + e d), g> - <upsample(x - e d), g> = 2 e <d, dx>."""
    x = rng.standard_normal((1, 3, 4, 2)).astype(np.float32)
    g = rng.standard_normal((1, 6, 12, 2)).astype(np.float32)
    d = rng.standard_normal(x.shape).astype(np.float32)
    eps = np.float32(1e-2)
    up = float((upsample_forward(x + eps * d, (2, 3)).astype(np.float64) * g).sum())
    down = float((upsample_forward(x - eps * d, (2, 3)).astype(np.float64) * g).sum())
    want = float((upsample_backward(g, (2, 3)).astype(np.float64) * d).sum())
    assert abs((up - down) / (2 * eps) - want) <= 1e-3 * max(1.0, abs(want))


def test_wrapper_checks_shapes_dtypes_and_scales(rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    with pytest.raises(KernelInputError, match="dtype float64"):
        upsample_forward(x.astype(np.float64), 2)
    with pytest.raises(KernelInputError, match="shape"):
        upsample_forward(x[0], 2)
    with pytest.raises(KernelInputError, match="scale"):
        upsample_forward(x, 0)
    with pytest.raises(KernelInputError, match="scale"):
        upsample_forward(x, (2, 1.5))
    with pytest.raises(KernelInputError, match="out"):
        upsample_forward(x, 2, out=np.empty((2, 6, 8, 4), np.float32))
    with pytest.raises(KernelInputError, match="C-contiguous"):
        upsample_forward(np.asfortranarray(x), 2)
    with pytest.raises(KernelInputError, match="blocks"):
        upsample_backward(x, (2, 2))
