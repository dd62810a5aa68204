"""Numba-compiled forward and backward training kernels.

Layout NHWC, batch first, float32; conv weights HWIO, dense weights (F_in, F_out); the output
channel is always the last axis. Every public function checks dtype, shape and contiguity and
raises :class:`KernelInputError`; outputs may be preallocated with ``out=``-style arguments.
Importing this package is the only place numba is imported.
"""

from workloads.kernels.activation import (
    leaky_relu_backward,
    leaky_relu_forward,
    relu6_backward,
    relu6_forward,
    relu_backward,
    relu_forward,
)
from workloads.kernels.concat import concat_backward, concat_forward
from workloads.kernels.contract import KernelInputError
from workloads.kernels.conv import conv2d_backward, conv2d_forward, conv2d_output_shape, conv2d_workspace_size
from workloads.kernels.dense import dense_backward, dense_forward
from workloads.kernels.elementwise import add_backward, add_forward, flatten_backward, flatten_forward
from workloads.kernels.gate import (
    hard_sigmoid_backward,
    hard_sigmoid_forward,
    hard_swish_backward,
    hard_swish_forward,
    sigmoid_backward,
    sigmoid_forward,
)
from workloads.kernels.loss import mse_loss, softmax_cross_entropy
from workloads.kernels.multiply import mul_backward, mul_forward
from workloads.kernels.norm import batchnorm_backward, batchnorm_forward
from workloads.kernels.optimizer import adam_update, sgd_momentum_update, sgd_update
from workloads.kernels.pooling import (
    avgpool_backward,
    avgpool_forward,
    global_avg_pool_backward,
    global_avg_pool_forward,
    maxpool_backward,
    maxpool_forward,
)
from workloads.kernels.qlinear import conv2d_int8_forward, dense_int8_forward, relu_int8
from workloads.kernels.quant import (
    activation_qparams,
    dequantize_activation,
    dequantize_weight,
    qas_scale_gradient,
    quantize_activation,
    quantize_bias,
    quantize_weight,
    sgd_update_int8,
)
from workloads.kernels.smooth import elu_backward, elu_forward, tanh_backward, tanh_forward
from workloads.kernels.upsample import upsample_backward, upsample_forward

__all__ = [
    "KernelInputError",
    "activation_qparams",
    "adam_update",
    "add_backward",
    "add_forward",
    "avgpool_backward",
    "avgpool_forward",
    "batchnorm_backward",
    "batchnorm_forward",
    "concat_backward",
    "concat_forward",
    "conv2d_backward",
    "conv2d_forward",
    "conv2d_int8_forward",
    "conv2d_output_shape",
    "conv2d_workspace_size",
    "dense_backward",
    "dense_forward",
    "dense_int8_forward",
    "dequantize_activation",
    "dequantize_weight",
    "elu_backward",
    "elu_forward",
    "flatten_backward",
    "flatten_forward",
    "global_avg_pool_backward",
    "global_avg_pool_forward",
    "hard_sigmoid_backward",
    "hard_sigmoid_forward",
    "hard_swish_backward",
    "hard_swish_forward",
    "leaky_relu_backward",
    "leaky_relu_forward",
    "maxpool_backward",
    "maxpool_forward",
    "mse_loss",
    "mul_backward",
    "mul_forward",
    "qas_scale_gradient",
    "quantize_activation",
    "quantize_bias",
    "quantize_weight",
    "relu6_backward",
    "relu6_forward",
    "relu_backward",
    "relu_forward",
    "relu_int8",
    "sgd_momentum_update",
    "sgd_update",
    "sgd_update_int8",
    "sigmoid_backward",
    "sigmoid_forward",
    "softmax_cross_entropy",
    "tanh_backward",
    "tanh_forward",
    "upsample_backward",
    "upsample_forward",
]
