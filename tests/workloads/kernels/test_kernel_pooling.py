"""max, average and global-average pooling against loop references and finite differences."""

import numpy as np
import pytest

from workloads.kernels import (
    avgpool_backward,
    avgpool_forward,
    global_avg_pool_backward,
    global_avg_pool_forward,
    maxpool_backward,
    maxpool_forward,
)


def windows(shape, k, s, p):
    n, h, w, c = shape
    (kh, kw), (sh, sw), (pt, pb, pl, pr) = k, s, p
    oh, ow = (h + pt + pb - kh) // sh + 1, (w + pl + pr - kw) // sw + 1
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * sh - pt, j * sw - pl
            rows = slice(max(r0, 0), min(r0 + kh, h))
            cols = slice(max(c0, 0), min(c0 + kw, w))
            yield i, j, rows, cols, (oh, ow)


def pool_ref(x, k, s, p, kind, include_pad=False):
    out = None
    for i, j, rows, cols, (oh, ow) in windows(x.shape, k, s, p):
        if out is None:
            out = np.zeros((x.shape[0], oh, ow, x.shape[3]))
        win = x[:, rows, cols, :].astype(np.float64)
        if kind == "max":
            out[:, i, j] = win.max(axis=(1, 2))
        else:
            out[:, i, j] = win.sum(axis=(1, 2)) / (
                k[0] * k[1] if include_pad else win.shape[1] * win.shape[2]
            )
    return out


def pool_ref_backward(gy, x, k, s, p, kind, include_pad=False):
    dx = np.zeros(x.shape)
    for i, j, rows, cols, _ in windows(x.shape, k, s, p):
        win = x[:, rows, cols, :]
        if kind == "max":
            flat = win.reshape(win.shape[0], -1, win.shape[3])
            arg = flat.argmax(axis=1)
            for b in range(x.shape[0]):
                for ch in range(x.shape[3]):
                    r, q = divmod(int(arg[b, ch]), win.shape[2])
                    dx[b, rows.start + r, cols.start + q, ch] += gy[b, i, j, ch]
        else:
            cnt = k[0] * k[1] if include_pad else win.shape[1] * win.shape[2]
            dx[:, rows, cols, :] += gy[:, i, j][:, None, None, :] / cnt
    return dx


GEOMETRIES = [((2, 2), (2, 2), (0, 0, 0, 0)), ((3, 3), (2, 1), (1, 0, 1, 2)), ((3, 2), (1, 2), (0, 1, 1, 0))]


@pytest.mark.parametrize(("k", "s", "p"), GEOMETRIES)
@pytest.mark.parametrize("kind", ["max", "avg", "avg_pad"])
def test_pooling_matches_reference(rng, k, s, p, kind):
    x = rng.permutation(2 * 6 * 7 * 3).reshape(2, 6, 7, 3).astype(np.float32) / 10  # distinct: unique argmax
    include = kind == "avg_pad"
    ref_kind = "max" if kind == "max" else "avg"
    want = pool_ref(x, k, s, p, ref_kind, include)
    if kind == "max":
        y, idx = maxpool_forward(x, kernel_size=k, stride=s, padding=p)
        gy = rng.standard_normal(y.shape).astype(np.float32)
        dx = maxpool_backward(gy, idx, x.shape)
    else:
        y = avgpool_forward(x, kernel_size=k, stride=s, padding=p, count_include_pad=include)
        gy = rng.standard_normal(y.shape).astype(np.float32)
        dx = avgpool_backward(gy, x.shape, kernel_size=k, stride=s, padding=p, count_include_pad=include)
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dx, pool_ref_backward(gy, x, k, s, p, ref_kind, include), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_reference_gradient_matches_finite_differences(fd_check, kind):
    r = np.random.default_rng(3)
    x = r.permutation(1 * 5 * 5 * 2).reshape(1, 5, 5, 2).astype(np.float64)
    k, s, p = (3, 3), (2, 2), (1, 1, 1, 1)
    proj = r.standard_normal(pool_ref(x, k, s, p, kind).shape)

    def loss(x):
        return float((pool_ref(x, k, s, p, kind) * proj).sum())

    fd_check(loss, [x], [pool_ref_backward(proj, x, k, s, p, kind)], n_points=20, eps=1e-4)


def test_global_avg_pool(rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    np.testing.assert_allclose(global_avg_pool_forward(x), x.mean(axis=(1, 2)), rtol=1e-5, atol=1e-6)
    gy = rng.standard_normal((2, 5)).astype(np.float32)
    want = np.broadcast_to(gy[:, None, None, :] / 12, x.shape)
    np.testing.assert_allclose(global_avg_pool_backward(gy, x.shape), want, rtol=1e-6)
    # global average pooling is average pooling with the whole plane as the window
    np.testing.assert_allclose(
        pool_ref(x, (3, 4), (1, 1), (0, 0, 0, 0), "avg")[:, 0, 0], x.mean(axis=(1, 2)), rtol=1e-5
    )
