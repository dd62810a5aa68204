"""Numba-compiled forward and backward training kernels (NHWC, float32; int8 forward path)."""

from workloads.kernels.contract import KernelInputError
from workloads.kernels.conv import conv2d_backward, conv2d_forward, conv2d_output_shape, conv2d_workspace_size

__all__ = [
    "KernelInputError",
    "conv2d_backward",
    "conv2d_forward",
    "conv2d_output_shape",
    "conv2d_workspace_size",
]
