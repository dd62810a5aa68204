"""Argument checks shared by the public kernel wrappers.

The compiled kernels trust their arguments (no bounds checks), so every public wrapper validates
dtype, shape and contiguity here first and raises :class:`KernelInputError` naming the argument.
"""

from collections.abc import Sequence

import numpy as np

FLOAT = np.dtype(np.float32)


class KernelInputError(ValueError):
    """A kernel was called with an array of the wrong dtype, shape or memory layout."""


def require(
    arr: object, name: str, dtype: np.dtype | type = FLOAT, shape: Sequence[int | None] | None = None
) -> np.ndarray:
    """Check that ``arr`` is a C-contiguous ndarray of ``dtype`` and ``shape`` (None is a wildcard)."""
    if not isinstance(arr, np.ndarray):
        raise KernelInputError(f"{name}: expected a numpy.ndarray, got {type(arr).__name__}")
    if arr.dtype != np.dtype(dtype):
        raise KernelInputError(f"{name}: dtype {arr.dtype} is not allowed, expected {np.dtype(dtype)}")
    if shape is not None:
        ok = arr.ndim == len(shape) and all(
            s is None or s == a for s, a in zip(shape, arr.shape, strict=True)
        )
        if not ok:
            want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
            raise KernelInputError(f"{name}: shape {arr.shape} does not match the expected {want}")
    if not arr.flags.c_contiguous:
        raise KernelInputError(f"{name}: array must be C-contiguous (use numpy.ascontiguousarray)")
    return arr


def output(
    arr: np.ndarray | None,
    name: str,
    shape: Sequence[int],
    dtype: np.dtype | type = FLOAT,
    zero: bool = False,
) -> np.ndarray:
    """Allocate an output array, or check a caller-provided one (and zero it if ``zero``)."""
    if arr is None:
        return np.zeros(tuple(shape), dtype) if zero else np.empty(tuple(shape), dtype)
    require(arr, name, dtype, tuple(shape))
    if not arr.flags.writeable:
        raise KernelInputError(f"{name}: array is read-only")
    if zero:
        arr.fill(0)
    return arr


def pair(value: int | Sequence[int], name: str, minimum: int = 1) -> tuple[int, int]:
    """Normalise an int or a pair of ints (e.g. a stride) to a checked ``(h, w)`` tuple."""
    vals = (value, value) if isinstance(value, int | np.integer) else tuple(value)
    if len(vals) != 2 or any(int(v) != v or v < minimum for v in vals):
        raise KernelInputError(f"{name}: {value!r} is not allowed, expected one or two ints >= {minimum}")
    return int(vals[0]), int(vals[1])


def pads(value: int | Sequence[int], name: str = "padding") -> tuple[int, int, int, int]:
    """Normalise padding to ``(top, bottom, left, right)``; an int pads all four sides."""
    vals = (value,) * 4 if isinstance(value, int | np.integer) else tuple(value)
    if len(vals) != 4 or any(int(v) != v or v < 0 for v in vals):
        raise KernelInputError(
            f"{name}: {value!r} is not allowed, expected (top, bottom, left, right) ints >= 0"
        )
    return int(vals[0]), int(vals[1]), int(vals[2]), int(vals[3])


def channels(k: int | None, total: int, name: str = "trained_out_channels") -> int:
    """Resolve the sparse-update channel count: None means all ``total`` channels."""
    if k is None:
        return total
    if int(k) != k or not 0 < k <= total:
        raise KernelInputError(f"{name}: {k!r} is not allowed, expected an int in 1..{total} or None")
    return int(k)


def window_output(size: int, kernel: int, stride: int, pad_lo: int, pad_hi: int, name: str) -> int:
    """Output length of a sliding window; raises if the padded input is smaller than the window."""
    span = size + pad_lo + pad_hi - kernel
    if span < 0:
        raise KernelInputError(
            f"{name}: padded input {size + pad_lo + pad_hi} is smaller than the window {kernel}"
        )
    return span // stride + 1


def empty(ndim: int, dtype: np.dtype | type = FLOAT) -> np.ndarray:
    """A zero-size placeholder for an output a kernel was told not to compute.

    Kernels take placeholders rather than ``None`` so each keeps one compiled type signature.
    """
    return np.zeros((0,) * ndim, dtype)
