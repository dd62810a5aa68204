"""conv2d forward/backward against a slow NumPy reference; the reference against finite differences."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workloads.kernels import KernelInputError, conv2d_backward, conv2d_forward, conv2d_workspace_size


def conv_ref(x, w, b, stride, pads, groups):
    sh, sw = stride
    pt, pb, pl, pr = pads
    xp = np.pad(x.astype(np.float64), ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    n, h, wd, _ = xp.shape
    kh, kw, cg, cout = w.shape
    cog = cout // groups
    oh, ow = (h - kh) // sh + 1, (wd - kw) // sw + 1
    y = np.zeros((n, oh, ow, cout))
    for g in range(groups):
        wg = w[..., g * cog : (g + 1) * cog].astype(np.float64)
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, i * sh : i * sh + kh, j * sw : j * sw + kw, g * cg : (g + 1) * cg]
                y[:, i, j, g * cog : (g + 1) * cog] = np.einsum("npqc,pqco->no", patch, wg)
    return y if b is None else y + b


def conv_ref_backward(gy, x, w, stride, pads, groups):
    sh, sw = stride
    pt, pb, pl, pr = pads
    xp = np.pad(x.astype(np.float64), ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    dxp = np.zeros_like(xp)
    kh, kw, cg, cout = w.shape
    cog = cout // groups
    dw = np.zeros(w.shape)
    for g in range(groups):
        go, gc = slice(g * cog, (g + 1) * cog), slice(g * cg, (g + 1) * cg)
        for i in range(gy.shape[1]):
            for j in range(gy.shape[2]):
                rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
                gyo = gy[:, i, j, go].astype(np.float64)
                dw[..., go] += np.einsum("npqc,no->pqco", xp[:, rows, cols, gc], gyo)
                dxp[:, rows, cols, gc] += np.einsum("no,pqco->npqc", gyo, w[..., go])
    dx = dxp[:, pt : pt + x.shape[1], pl : pl + x.shape[2], :]
    return dx, dw, gy.sum(axis=(0, 1, 2), dtype=np.float64)


def _case(rng, n, h, wd, cin, cout, k, stride, pads, groups):
    x = rng.standard_normal((n, h, wd, cin)).astype(np.float32)
    w = rng.standard_normal((k[0], k[1], cin // groups, cout)).astype(np.float32)
    b = rng.standard_normal(cout).astype(np.float32)
    return x, w, b


def _check(x, w, b, stride, pads, groups, rng, k_out=None):
    y = conv2d_forward(x, w, b, stride=stride, padding=pads, groups=groups)
    np.testing.assert_allclose(y, conv_ref(x, w, b, stride, pads, groups), rtol=1e-4, atol=1e-4)
    gy = rng.standard_normal(y.shape).astype(np.float32)
    dx, dw, db = conv2d_backward(
        gy, x, w, stride=stride, padding=pads, groups=groups, trained_out_channels=k_out
    )
    rdx, rdw, rdb = conv_ref_backward(gy, x, w, stride, pads, groups)
    np.testing.assert_allclose(dx, rdx, rtol=1e-4, atol=1e-4)
    k = w.shape[3] if k_out is None else k_out
    np.testing.assert_allclose(dw[..., :k], rdw[..., :k], rtol=1e-4, atol=1e-4)
    assert not dw[..., k:].any()
    np.testing.assert_allclose(db, rdb, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    ("stride", "pads", "groups", "cin", "cout"),
    [((2, 1), (1, 0, 2, 1), 1, 3, 4), ((1, 2), (1, 1, 0, 1), 2, 4, 6)],
)
def test_reference_gradient_matches_finite_differences(fd_check, stride, pads, groups, cin, cout):
    r = np.random.default_rng(0)
    x = r.standard_normal((2, 5, 6, cin))
    w = r.standard_normal((3, 2, cin // groups, cout))
    b = r.standard_normal(cout)
    proj = r.standard_normal(conv_ref(x, w, b, stride, pads, groups).shape)
    grads = conv_ref_backward(proj, x, w, stride, pads, groups)

    def loss(x, w, b):
        return float((conv_ref(x, w, b, stride, pads, groups) * proj).sum())

    fd_check(loss, [x, w, b], list(grads))


def test_standard_same_padding_asymmetric(rng):
    x, w, b = _case(rng, 2, 7, 6, 3, 5, (3, 3), (2, 2), (0, 1, 1, 1), 1)
    _check(x, w, b, (2, 2), (0, 1, 1, 1), 1, rng)


def test_depthwise_and_pointwise_paths(rng):
    x, w, b = _case(rng, 2, 6, 5, 4, 4, (3, 3), (1, 1), (1, 1, 1, 1), 4)
    _check(x, w, b, (1, 1), (1, 1, 1, 1), 4, rng)
    _check(x, w, b, (2, 1), (1, 1, 0, 2), 4, rng, k_out=2)
    # depthwise past ROW_RUN_MAX_CHANNELS: the per-pixel loops at stride 1 too
    x, w, b = _case(rng, 2, 5, 4, 40, 40, (3, 3), (1, 1), (1, 1, 1, 1), 40)
    _check(x, w, b, (1, 1), (1, 1, 1, 1), 40, rng, k_out=7)
    x, w, b = _case(rng, 2, 4, 3, 5, 6, (1, 1), (1, 1), (0, 0, 0, 0), 1)
    _check(x, w, b, (1, 1), (0, 0, 0, 0), 1, rng)
    _check(x, w, b, (1, 1), (0, 0, 0, 0), 1, rng, k_out=3)


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(1, 2),
    hw=st.tuples(st.integers(1, 7), st.integers(1, 7)),
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    pads=st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2), st.integers(0, 2)),
    kind=st.sampled_from(["standard", "grouped", "depthwise"]),
    width=st.integers(1, 3),
    k_frac=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
)
def test_conv_matches_reference_property(n, hw, kernel, stride, pads, kind, width, k_frac, seed):
    r = np.random.default_rng(seed)
    groups = {"standard": 1, "grouped": 2, "depthwise": 2 * width}[kind]
    cin = 2 * width
    cout = cin if kind == "depthwise" else 2 * (width + 1)
    h, wd = hw[0] + kernel[0], hw[1] + kernel[1]
    x, w, b = _case(r, n, h, wd, cin, cout, kernel, stride, pads, groups)
    _check(x, w, b, stride, pads, groups, r, k_out=max(1, round(k_frac * cout)))


@pytest.mark.parametrize("stride, pads, k_out", [((1, 1), (1, 1, 1, 1), None), ((2, 1), (0, 2, 1, 0), 40)])
def test_column_matrix_in_many_blocks_matches_reference(rng, stride, pads, k_out):
    # 64 output channels of a 144-wide column matrix: blocks of 108 rows (the small-GEMM size), which
    # start mid-image and mid-row, so every block boundary of the gather, the scatter and the summed
    # weight gradient is crossed
    x, w, b = _case(rng, 2, 29, 13, 16, 64, (3, 3), stride, pads, 1)
    rows = conv2d_forward(x, w, b, stride=stride, padding=pads).shape[:3]
    assert np.prod(rows) > 3 * (1_000_000 // (3 * 3 * 16 * 64))
    _check(x, w, b, stride, pads, 1, rng, k_out=k_out)


def test_flags_bias_only_and_preallocated(rng):
    x, w, b = _case(rng, 2, 5, 5, 3, 4, (3, 3), (1, 1), (1, 1, 1, 1), 1)
    gy = rng.standard_normal((2, 5, 5, 4)).astype(np.float32)
    dx, dw, db = conv2d_backward(gy, None, w, padding=1, need_input_grad=False, need_weight_grad=False)
    assert dx is None and dw is None
    np.testing.assert_allclose(db, gy.sum((0, 1, 2)), rtol=1e-5)
    dx, dw, db = conv2d_backward(
        gy, None, w, padding=1, need_weight_grad=False, need_bias_grad=False, input_shape=x.shape
    )
    np.testing.assert_allclose(
        dx, conv_ref_backward(gy, x, w, (1, 1), (1, 1, 1, 1), 1)[0], rtol=1e-4, atol=1e-4
    )
    sentinel = np.full(w.shape, 7.0, np.float32)
    ws = np.empty(conv2d_workspace_size(x.shape, w.shape, 1, 1), np.float32)
    _, dw, _ = conv2d_backward(
        gy, x, w, padding=1, trained_out_channels=1, grad_weight=sentinel, workspace=ws
    )
    assert dw is sentinel and (dw[..., 1:] == 7.0).all()
    out = np.empty((2, 5, 5, 4), np.float32)
    assert conv2d_forward(x, w, b, padding=1, out=out, workspace=ws) is out


def test_wrapper_rejects_bad_input(rng):
    x, w, b = _case(rng, 1, 5, 5, 3, 4, (3, 3), (1, 1), (1, 1, 1, 1), 1)
    bad = [
        dict(x=x.astype(np.float64)),
        dict(x=np.asfortranarray(x)),
        dict(w=w[:, :, :2]),
        dict(b=b[:3]),
        dict(groups=2),
    ]
    for case in bad:
        try:
            conv2d_forward(case.get("x", x), case.get("w", w), case.get("b", b), groups=case.get("groups", 1))
        except KernelInputError:
            continue
        raise AssertionError(f"accepted {list(case)}")
