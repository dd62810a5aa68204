"""Max, average and global-average pooling over NHWC tensors: forward and backward.

Max pooling keeps, per output element, the flat index ``ih * W + iw`` of its maximum (first one on
ties) so the backward is a scatter. Average pooling divides by the number of in-bounds elements
(``count_include_pad=False``, the ONNX default) unless told to count the padding.
"""

from collections.abc import Sequence

import numpy as np

from workloads.kernels import contract as ct
from workloads.kernels.jit import kernel


@kernel
def _max_forward(x, kh, kw, sh, sw, pt, pl, y, idx):
    n, h, wd, c = x.shape
    oh, ow = y.shape[1], y.shape[2]
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    y[b, i, j, ch] = -np.inf
                    idx[b, i, j, ch] = -1
                for p in range(kh):
                    ih = i * sh - pt + p
                    if ih < 0 or ih >= h:
                        continue
                    for q in range(kw):
                        iw = j * sw - pl + q
                        if iw < 0 or iw >= wd:
                            continue
                        for ch in range(c):
                            v = x[b, ih, iw, ch]
                            if v > y[b, i, j, ch] or idx[b, i, j, ch] < 0:
                                y[b, i, j, ch] = v
                                idx[b, i, j, ch] = ih * wd + iw


@kernel
def _max_backward(gy, idx, dx):
    n, oh, ow, c = gy.shape
    wd = dx.shape[2]
    dx[:] = 0.0
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for ch in range(c):
                    f = idx[b, i, j, ch]
                    dx[b, f // wd, f % wd, ch] += gy[b, i, j, ch]


@kernel
def _avg(src, kh, kw, sh, sw, pt, pl, include_pad, forward, dst):
    """Forward (``src`` = x, ``dst`` = y) or backward (``src`` = grad_out, ``dst`` = grad_in)."""
    if forward:
        n, h, wd, c = src.shape
        oh, ow = dst.shape[1], dst.shape[2]
    else:
        n, h, wd, c = dst.shape
        oh, ow = src.shape[1], src.shape[2]
        dst[:] = 0.0
    for b in range(n):
        for i in range(oh):
            i0, i1 = max(i * sh - pt, 0), min(i * sh - pt + kh, h)
            for j in range(ow):
                j0, j1 = max(j * sw - pl, 0), min(j * sw - pl + kw, wd)
                inv = 1.0 / (kh * kw if include_pad else (i1 - i0) * (j1 - j0))
                if forward:
                    for ch in range(c):
                        dst[b, i, j, ch] = 0.0
                    for ih in range(i0, i1):
                        for iw in range(j0, j1):
                            for ch in range(c):
                                dst[b, i, j, ch] += src[b, ih, iw, ch]
                    for ch in range(c):
                        dst[b, i, j, ch] *= inv
                else:
                    for ih in range(i0, i1):
                        for iw in range(j0, j1):
                            for ch in range(c):
                                dst[b, ih, iw, ch] += src[b, i, j, ch] * inv


@kernel
def _global_avg(x, y):
    n, h, wd, c = x.shape
    for b in range(n):
        acc = np.zeros(c, np.float64)
        for ih in range(h):
            for iw in range(wd):
                for ch in range(c):
                    acc[ch] += x[b, ih, iw, ch]
        for ch in range(c):
            y[b, ch] = acc[ch] / (h * wd)


@kernel
def _global_avg_backward(gy, dx):
    n, h, wd, c = dx.shape
    inv = 1.0 / (h * wd)
    for b in range(n):
        for ih in range(h):
            for iw in range(wd):
                for ch in range(c):
                    dx[b, ih, iw, ch] = gy[b, ch] * inv


def _window(
    input_shape: Sequence[int],
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None,
    padding: int | Sequence[int],
) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int, int, int]]:
    n, h, w, c = input_shape
    kh, kw = ct.pair(kernel_size, "kernel_size")
    sh, sw = ct.pair(kernel_size if stride is None else stride, "stride")
    pt, pb, pl, pr = ct.pads(padding)
    if max(pt, pb) >= kh or max(pl, pr) >= kw:
        raise ct.KernelInputError(f"padding: {(pt, pb, pl, pr)} must be smaller than the window {(kh, kw)}")
    oh = ct.window_output(h, kh, sh, pt, pb, "pool height")
    ow = ct.window_output(w, kw, sw, pl, pr, "pool width")
    return (n, oh, ow, c), (kh, kw, sh, sw, pt, pl)


def maxpool_forward(
    x: np.ndarray,
    *,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    out: np.ndarray | None = None,
    indices: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Max pooling forward.

    Parameters
    ----------
    x : ndarray, float32, (N, H, W, C)
    kernel_size : int or (kh, kw)
    stride : int or (sh, sw), optional
        Defaults to ``kernel_size``.
    padding : int or (top, bottom, left, right)
        Each side smaller than the window; padded positions never win.
    out : ndarray, float32, (N, OH, OW, C), optional
    indices : ndarray, int32, (N, OH, OW, C), optional

    Returns
    -------
    (y, indices)
        The pooled output and the int32 flat index ``ih * W + iw`` of each maximum.
    """
    ct.require(x, "x", shape=(None, None, None, None))
    yshape, geo = _window(x.shape, kernel_size, stride, padding)
    y = ct.output(out, "out", yshape)
    idx = ct.output(indices, "indices", yshape, np.int32)
    _max_forward(x, *geo, y, idx)
    return y, idx


def maxpool_backward(
    grad_out: np.ndarray, indices: np.ndarray, input_shape: Sequence[int], *, out: np.ndarray | None = None
) -> np.ndarray:
    """Max pooling backward: scatter ``grad_out`` to the argmax positions in ``indices``."""
    ct.require(grad_out, "grad_out", shape=(None, None, None, None))
    ct.require(indices, "indices", np.int32, grad_out.shape)
    n, h, w, c = input_shape
    if (n, c) != (grad_out.shape[0], grad_out.shape[3]):
        raise ct.KernelInputError(f"input_shape: {tuple(input_shape)} does not fit grad_out {grad_out.shape}")
    gx = ct.output(out, "out", (n, h, w, c))
    if indices.size and (indices.min() < 0 or indices.max() >= h * w):
        raise ct.KernelInputError(f"indices: values must lie in 0..{h * w - 1}")
    _max_backward(grad_out, indices, gx)
    return gx


def avgpool_forward(
    x: np.ndarray,
    *,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    count_include_pad: bool = False,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Average pooling forward; arguments as in :func:`maxpool_forward`. Returns (N, OH, OW, C)."""
    ct.require(x, "x", shape=(None, None, None, None))
    yshape, geo = _window(x.shape, kernel_size, stride, padding)
    y = ct.output(out, "out", yshape)
    _avg(x, *geo, bool(count_include_pad), True, y)
    return y


def avgpool_backward(
    grad_out: np.ndarray,
    input_shape: Sequence[int],
    *,
    kernel_size: int | Sequence[int],
    stride: int | Sequence[int] | None = None,
    padding: int | Sequence[int] = 0,
    count_include_pad: bool = False,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Average pooling backward: spread each output gradient evenly over its window."""
    yshape, geo = _window(tuple(input_shape), kernel_size, stride, padding)
    ct.require(grad_out, "grad_out", shape=yshape)
    gx = ct.output(out, "out", tuple(input_shape))
    _avg(grad_out, *geo, bool(count_include_pad), False, gx)
    return gx


def global_avg_pool_forward(x: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
    """Mean over H and W: (N, H, W, C) -> (N, C)."""
    ct.require(x, "x", shape=(None, None, None, None))
    y = ct.output(out, "out", (x.shape[0], x.shape[3]))
    _global_avg(x, y)
    return y


def global_avg_pool_backward(
    grad_out: np.ndarray, input_shape: Sequence[int], *, out: np.ndarray | None = None
) -> np.ndarray:
    """Gradient of the global mean: ``grad_out / (H * W)`` broadcast over (N, H, W, C)."""
    n, h, w, c = input_shape
    ct.require(grad_out, "grad_out", shape=(n, c))
    gx = ct.output(out, "out", (n, h, w, c))
    _global_avg_backward(grad_out, gx)
    return gx
