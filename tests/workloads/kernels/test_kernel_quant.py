"""int8 path: quantise/dequantise, int8 conv/dense/relu forward, and QAS for int8-stored weights."""

import numpy as np
import pytest

from workloads.kernels import (
    KernelInputError,
    activation_qparams,
    conv2d_forward,
    conv2d_int8_forward,
    dense_int8_forward,
    dequantize_activation,
    dequantize_weight,
    qas_scale_gradient,
    quantize_activation,
    quantize_bias,
    quantize_weight,
    relu_int8,
    sgd_update,
    sgd_update_int8,
)


def int_conv_ref(xq, zp, wq, bq, stride, pads, groups):
    """Integer accumulator by einsum in int64 (padding is real zero, i.e. x_q - zp = 0)."""
    sh, sw = stride
    pt, pb, pl, pr = pads
    xc = np.pad(xq.astype(np.int64) - zp, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    kh, kw, cg, cout = wq.shape
    cog = cout // groups
    oh, ow = (xc.shape[1] - kh) // sh + 1, (xc.shape[2] - kw) // sw + 1
    acc = np.zeros((xq.shape[0], oh, ow, cout), np.int64) + bq
    for g in range(groups):
        for i in range(oh):
            for j in range(ow):
                patch = xc[:, i * sh : i * sh + kh, j * sw : j * sw + kw, g * cg : (g + 1) * cg]
                acc[:, i, j, g * cog : (g + 1) * cog] += np.einsum(
                    "npqc,pqco->no", patch, wq[..., g * cog : (g + 1) * cog].astype(np.int64)
                )
    return acc


def requant_ref(acc, x_scale, w_scale, y_scale, y_zp, lo=-128):
    mult = x_scale * w_scale.astype(np.float64) / y_scale
    return np.clip(np.rint(acc * mult) + y_zp, lo, 127).astype(np.int8)


def _qcase(rng, shape, wshape):
    x = rng.standard_normal(shape).astype(np.float32)
    w = (rng.standard_normal(wshape) * rng.uniform(0.1, 2.0, wshape[-1])).astype(np.float32)
    b = rng.standard_normal(wshape[-1]).astype(np.float32)
    xs, xzp = activation_qparams(x.min(), x.max())
    wq, ws = quantize_weight(w)
    return x, w, b, xs, xzp, quantize_activation(x, xs, xzp), wq, ws, quantize_bias(b, xs, ws)


def test_quantize_roundtrip_within_half_a_level(rng):
    w = (rng.standard_normal((3, 3, 4, 5)) * np.arange(1, 6)).astype(np.float32)
    wq, ws = quantize_weight(w)
    assert wq.dtype == np.int8 and np.abs(wq).max() == 127 and ws.shape == (5,)
    assert (np.abs(dequantize_weight(wq, ws) - w) <= ws / 2 + 1e-7).all()
    x = rng.uniform(-1.0, 3.0, (2, 4, 4, 3)).astype(np.float32)
    xs, zp = activation_qparams(x.min(), x.max())
    xq = quantize_activation(x, xs, zp)
    assert np.abs(dequantize_activation(xq, xs, zp) - x).max() <= xs / 2 + 1e-6
    assert dequantize_activation(np.array([zp], np.int8), xs, zp)[0] == 0.0


@pytest.mark.parametrize(
    ("cin", "cout", "k", "stride", "pads", "groups"),
    [
        (3, 8, 3, (2, 2), (0, 1, 0, 1), 1),
        (4, 4, 3, (1, 1), (1, 1, 1, 1), 4),
        (4, 6, 1, (1, 1), (0, 0, 0, 0), 2),
    ],
)
def test_int8_conv_is_exact_integer_math_and_close_to_float(rng, cin, cout, k, stride, pads, groups):
    x, w, b, xs, xzp, xq, wq, ws, bq = _qcase(rng, (2, 6, 5, cin), (k, k, cin // groups, cout))
    yf = conv2d_forward(x, w, b, stride=stride, padding=pads, groups=groups)
    ys, yzp = activation_qparams(yf.min(), yf.max())
    kw = dict(x_scale=xs, x_zero_point=xzp, w_scale=ws, y_scale=ys, y_zero_point=yzp)
    yq = conv2d_int8_forward(xq, wq, bq, stride=stride, padding=pads, groups=groups, **kw)
    acc = int_conv_ref(xq, xzp, wq, bq.astype(np.int64), stride, pads, groups)
    np.testing.assert_array_equal(yq, requant_ref(acc, xs, ws, ys, yzp))
    # against the float layer: input, weight, bias and output rounding, a few levels at most
    err = np.abs(dequantize_activation(yq, ys, yzp) - yf)
    assert err.max() < 4 * ys + 0.02 * np.abs(yf).max()
    yr = conv2d_int8_forward(xq, wq, bq, stride=stride, padding=pads, groups=groups, activation="relu", **kw)
    np.testing.assert_array_equal(yr, np.maximum(yq, yzp))
    np.testing.assert_array_equal(relu_int8(yq, yzp), yr)


@pytest.mark.parametrize("cin", [57, 256])
def test_int8_conv_accumulates_exactly_at_extreme_values(rng, cin):
    # every input at the far end from the zero point (x_q - zp = 255) and weights at +-127, so the
    # accumulator is huge; a bias cancels it to a small offset and the unit multiplier outputs that offset,
    # so an accumulation off by one shows. K = 513 sums in float32 (partial sums below 2**24); K = 2304 needs
    # float64 (a float32 BLAS GEMM of these values is off by up to 4)
    xq = np.full((2, 3, 3, cin), 127, np.int8)
    wq = rng.choice(np.array([-127, 127], np.int8), (3, 3, cin, 5), p=[0.05, 0.95])
    offset = rng.integers(-100, 100, 5)
    acc = int_conv_ref(xq, -128, wq, np.zeros(5, np.int64), (1, 1), (0, 0, 0, 0), 1)[0, 0, 0]
    bq = (offset - acc).astype(np.int32)
    ones = np.ones(5, np.float32)
    yq = conv2d_int8_forward(
        xq, wq, bq, x_scale=1.0, x_zero_point=-128, w_scale=ones, y_scale=1.0, y_zero_point=0
    )
    np.testing.assert_array_equal(yq.reshape(2, 5), np.broadcast_to(offset, (2, 5)))


@pytest.mark.parametrize("groups", [1, 2])
def test_int8_conv_column_matrix_in_many_blocks(rng, groups):
    # 64 output channels of a 144-wide column matrix per group: blocks of 108 rows, starting mid-row
    x, w, b, xs, xzp, xq, wq, ws, bq = _qcase(rng, (2, 29, 13, 16 * groups), (3, 3, 16, 64))
    yf = conv2d_forward(x, w, b, padding=1, groups=groups)
    ys, yzp = activation_qparams(yf.min(), yf.max())
    kw = dict(x_scale=xs, x_zero_point=xzp, w_scale=ws, y_scale=ys, y_zero_point=yzp)
    yq = conv2d_int8_forward(xq, wq, bq, padding=1, groups=groups, **kw)
    acc = int_conv_ref(xq, xzp, wq, bq.astype(np.int64), (1, 1), (1, 1, 1, 1), groups)
    np.testing.assert_array_equal(yq, requant_ref(acc, xs, ws, ys, yzp))


def test_int8_dense_matches_integer_reference(rng):
    x, w, b, xs, xzp, xq, wq, ws, bq = _qcase(rng, (5, 12), (12, 7))
    yf = x @ w + b
    ys, yzp = activation_qparams(yf.min(), yf.max())
    yq = dense_int8_forward(
        xq, wq, bq, x_scale=xs, x_zero_point=xzp, w_scale=ws, y_scale=ys, y_zero_point=yzp, activation="relu6"
    )
    acc = (xq.astype(np.int64) - xzp) @ wq.astype(np.int64) + bq
    want = np.clip(requant_ref(acc, xs, ws, ys, yzp), yzp, min(127, yzp + round(6 / ys)))
    np.testing.assert_array_equal(yq, want)


def test_int8_rejects_float_input(rng):
    x, w, b, xs, xzp, xq, wq, ws, bq = _qcase(rng, (1, 4, 4, 2), (3, 3, 2, 2))
    with pytest.raises(KernelInputError):
        conv2d_int8_forward(x, wq, bq, x_scale=xs, x_zero_point=xzp, w_scale=ws, y_scale=1.0, y_zero_point=0)
    with pytest.raises(KernelInputError):
        conv2d_int8_forward(xq, wq, bq, x_scale=xs, x_zero_point=300, w_scale=ws, y_scale=1.0, y_zero_point=0)


def test_qas_makes_the_int8_update_match_fp32(rng):
    w = (rng.standard_normal((3, 3, 2, 4)) * np.array([0.05, 0.5, 2.0, 400.0])).astype(np.float32)
    wq, ws = quantize_weight(w)
    w_real = dequantize_weight(wq, ws)
    grad_w = (rng.standard_normal(w.shape) * 10).astype(np.float32)  # gradient of the real weight
    grad_wq = grad_w * ws  # chain rule through W = s * W_q
    np.testing.assert_allclose(qas_scale_gradient(grad_wq, ws), grad_wq / ws**2, rtol=1e-6)
    lr = 0.05
    fp32 = w_real.copy()
    sgd_update(fp32, grad_w, lr=lr)
    with_qas = wq.copy()
    sgd_update_int8(with_qas, ws, grad_wq, lr=lr)
    # the real-valued step matches fp32 up to rounding to the int8 grid (half a level)
    assert (np.abs(dequantize_weight(with_qas, ws) - fp32) <= ws / 2 + 1e-6)[np.abs(fp32) < 127 * ws].all()
    without = wq.copy()
    sgd_update_int8(without, ws, grad_wq, lr=lr, qas=False)
    step_without = dequantize_weight(without, ws) - w_real
    step_fp32 = fp32 - w_real
    # without QAS the step is off by s**2 per channel: far too small for s < 1, far too large for s > 1
    ratio = np.abs(step_without).sum(axis=(0, 1, 2)) / np.abs(step_fp32).sum(axis=(0, 1, 2))
    assert ratio[0] < 0.1 and ratio[-1] > 10
    sparse = wq.copy()
    sgd_update_int8(sparse, ws, grad_wq, lr=lr, trained_out_channels=2)
    assert (sparse[..., 2:] == wq[..., 2:]).all() and (sparse[..., :2] == with_qas[..., :2]).all()
