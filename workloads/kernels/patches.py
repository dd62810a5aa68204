"""The column matrix of a convolution: gather input patches into rows (im2col) and scatter them back.

Row ``r`` is one output pixel ``(b, i, j)``; its ``KH*KW*cg`` columns are the input values under the
kernel window, channel-minor, zero where the window reaches into the padding. :func:`patch_rows` and
:func:`scatter_rows` work on a block of rows so that a block can stay in cache between the gather and
its GEMM; :func:`im2col` is the whole matrix of one channel group.
"""

import numpy as np

from workloads.kernels.jit import kernel


@kernel
def patch_rows(
    x: np.ndarray,
    kh: int,
    kw: int,
    sh: int,
    sw: int,
    pt: int,
    pl: int,
    oh: int,
    ow: int,
    r0: int,
    r1: int,
    c0: int,
    cg: int,
    col: np.ndarray,
) -> None:
    """Rows ``r0:r1`` of the column matrix of channels ``c0:c0+cg`` into ``col[: r1 - r0]`` (zeros where
    padded); a column matrix row is one output pixel, ``(KH*KW*cg)`` wide."""
    _, h, wd, _ = x.shape
    for r in range(r0, r1):
        b, rem = r // (oh * ow), r % (oh * ow)
        i, j = rem // ow, rem % ow
        row = r - r0
        for p in range(kh):
            ih = i * sh - pt + p
            for q in range(kw):
                iw = j * sw - pl + q
                base = (p * kw + q) * cg
                if 0 <= ih < h and 0 <= iw < wd:
                    for ch in range(cg):
                        col[row, base + ch] = x[b, ih, iw, c0 + ch]
                else:
                    for ch in range(cg):
                        col[row, base + ch] = 0.0


@kernel
def scatter_rows(
    col: np.ndarray,
    kh: int,
    kw: int,
    sh: int,
    sw: int,
    pt: int,
    pl: int,
    oh: int,
    ow: int,
    r0: int,
    r1: int,
    c0: int,
    cg: int,
    dx: np.ndarray,
) -> None:
    """Add ``col[: r1 - r0]`` back onto channels ``c0:c0+cg`` of ``dx`` (adjoint of :func:`patch_rows`)."""
    _, h, wd, _ = dx.shape
    for r in range(r0, r1):
        b, rem = r // (oh * ow), r % (oh * ow)
        i, j = rem // ow, rem % ow
        row = r - r0
        for p in range(kh):
            ih = i * sh - pt + p
            if ih < 0 or ih >= h:
                continue
            for q in range(kw):
                iw = j * sw - pl + q
                if iw < 0 or iw >= wd:
                    continue
                base = (p * kw + q) * cg
                for ch in range(cg):
                    dx[b, ih, iw, c0 + ch] += col[row, base + ch]


@kernel
def im2col(
    x: np.ndarray,
    kh: int,
    kw: int,
    sh: int,
    sw: int,
    pt: int,
    pl: int,
    oh: int,
    ow: int,
    c0: int,
    cg: int,
    col: np.ndarray,
) -> None:
    """The whole column matrix of channels ``c0:c0+cg`` into ``col`` (N*OH*OW, KH*KW*cg)."""
    patch_rows(x, kh, kw, sh, sw, pt, pl, oh, ow, 0, x.shape[0] * oh * ow, c0, cg, col)
