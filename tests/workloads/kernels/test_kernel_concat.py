"""concat along the last axis against a NumPy reference and finite differences; the wrapper's checks."""

import numpy as np
import pytest

from workloads.kernels import KernelInputError, concat_backward, concat_forward


def concat_ref(xs):
    """Channel by channel, as slowly and obviously as possible."""
    lead = xs[0].shape[:-1]
    columns = [x[..., k].astype(np.float64) for x in xs for k in range(x.shape[-1])]
    return np.stack(columns, axis=-1).reshape(*lead, len(columns))


def concat_ref_backward(gy, channels):
    grads, start = [], 0
    for c in channels:
        grads.append(gy[..., start : start + c].astype(np.float64))
        start += c
    return grads


@pytest.mark.parametrize("shape", [(2, 3, 4), (3,), (1, 5, 2)])
@pytest.mark.parametrize("channels", [(2, 3), (1, 4, 2)])
def test_forward_and_backward_match_numpy(rng, shape, channels):
    xs = [rng.standard_normal((*shape, c)).astype(np.float32) for c in channels]
    y = concat_forward(xs)
    np.testing.assert_array_equal(y, concat_ref(xs))
    gy = rng.standard_normal(y.shape).astype(np.float32)
    grads = concat_backward(gy, channels)
    assert [g.shape for g in grads] == [x.shape for x in xs]
    for got, want in zip(grads, concat_ref_backward(gy, channels), strict=True):
        np.testing.assert_array_equal(got, want)


def test_forward_writes_a_preallocated_output(rng):
    xs = [rng.standard_normal((2, 3, 3, c)).astype(np.float32) for c in (1, 2)]
    out = np.full((2, 3, 3, 3), np.nan, np.float32)
    assert concat_forward(xs, out=out) is out
    np.testing.assert_array_equal(out, concat_ref(xs))


def test_reference_gradient_matches_finite_differences(fd_check):
    rng = np.random.default_rng(3)
    xs = [rng.standard_normal((2, 2, 3, c)) for c in (2, 3)]
    proj = rng.standard_normal((2, 2, 3, 5))
    grads = concat_ref_backward(proj, (2, 3))
    fd_check(lambda a, b: float((concat_ref([a, b]) * proj).sum()), xs, grads, n_points=8)


def test_wrapper_checks_shapes_dtypes_and_the_split(rng):
    a = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    with pytest.raises(KernelInputError, match="leading axes"):
        concat_forward([a, np.ones((2, 3, 3, 5), np.float32)])
    with pytest.raises(KernelInputError, match="dtype float64"):
        concat_forward([a, np.ones((2, 3, 4, 1))])
    with pytest.raises(KernelInputError, match="at least 2"):
        concat_forward([a])
    with pytest.raises(KernelInputError, match="do not split"):
        concat_backward(a, (2, 2))
    with pytest.raises(KernelInputError, match="out"):
        concat_forward([a, a], out=np.empty((2, 3, 4, 9), np.float32))
