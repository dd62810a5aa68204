"""Kernel compile and run times.

Prints, for the whole kernel set:

- cold: compile time with an empty numba cache (a fresh ``NUMBA_CACHE_DIR``, in a subprocess);
- warm: import plus first call of every kernel with that cache filled (a second subprocess);
- steady-state times of a 3x3 conv training step (forward + backward) at batch 1 and 32, and of
  PyTorch CPU for the same step when torch is installed.

Run: ``python benchmarks/bench_kernels.py``.
"""

import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def exercise_all() -> None:
    """Call every public kernel once on small shapes (compiles each signature the tests use)."""
    import workloads.kernels as k

    r = np.random.default_rng(0)

    def f32(*shape):
        return r.standard_normal(shape).astype(np.float32)

    x, w, b = f32(2, 8, 8, 4), f32(3, 3, 4, 8), f32(8)
    for weight, groups, pad in (
        (w, 1, 1),
        (f32(3, 3, 1, 4), 4, 1),
        (f32(1, 1, 4, 8), 1, 0),
        (f32(3, 3, 2, 8), 2, 1),
    ):
        y = k.conv2d_forward(x, weight, b[: weight.shape[3]], padding=pad, groups=groups)
        k.conv2d_backward(y, x, weight, padding=pad, groups=groups, trained_out_channels=2)
    d = k.dense_forward(f32(2, 5), f32(5, 3), f32(3))
    k.dense_backward(d, f32(2, 5), f32(5, 3))
    for training in (True, False):
        c = np.ones(4, np.float32)
        y, mean, inv = k.batchnorm_forward(x, c, c * 0, c * 0, c.copy(), training=training)
        k.batchnorm_backward(y, x, c, mean, inv, training=training)
    mask = np.empty(x.shape, bool)
    k.relu_backward(k.relu_forward(x, mask=mask), mask)
    k.relu6_backward(k.relu6_forward(x), x)
    k.add_backward(k.add_forward(x, x))
    k.flatten_backward(k.flatten_forward(x), x.shape)
    y, idx = k.maxpool_forward(x, kernel_size=2)
    k.maxpool_backward(y, idx, x.shape)
    k.avgpool_backward(k.avgpool_forward(x, kernel_size=3, padding=1), x.shape, kernel_size=3, padding=1)
    k.global_avg_pool_backward(k.global_avg_pool_forward(x), x.shape)
    k.softmax_cross_entropy(f32(2, 5), np.array([1, 3]))
    k.mse_loss(f32(2, 5), f32(2, 5))
    p, g = f32(3, 3, 4, 8), f32(3, 3, 4, 8)
    k.sgd_update(p, g, lr=0.1)
    k.sgd_momentum_update(p, g, np.zeros_like(p), lr=0.1, momentum=0.9)
    k.adam_update(p, g, np.zeros_like(p), np.zeros_like(p), lr=0.1, step=1)
    wq, ws = k.quantize_weight(p)
    k.dequantize_weight(wq, ws)
    xs, zp = k.activation_qparams(x.min(), x.max())
    xq = k.quantize_activation(x, xs, zp)
    k.dequantize_activation(xq, xs, zp)
    qkw = dict(x_scale=xs, x_zero_point=zp, w_scale=ws, y_scale=0.1, y_zero_point=0)
    k.relu_int8(k.conv2d_int8_forward(xq, wq, k.quantize_bias(b, xs, ws), padding=1, **qkw), 0)
    dq, ds = k.quantize_weight(f32(3, 3, 1, 4))
    k.conv2d_int8_forward(xq, dq, None, groups=4, **{**qkw, "w_scale": ds})
    k.dense_int8_forward(
        xq.reshape(2, -1), *k.quantize_weight(f32(256, 3))[:1], None, **{**qkw, "w_scale": ds[:3]}
    )
    k.qas_scale_gradient(g, ws)
    k.sgd_update_int8(wq, ws, g, lr=0.01)


def _timed_child(cache_dir: str) -> float:
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    here = os.path.dirname(os.path.abspath(__file__))
    code = (
        f"import sys, time; t = time.perf_counter(); sys.path.insert(0, {here!r}); import bench_kernels; "
        "bench_kernels.exercise_all(); print(time.perf_counter() - t)"
    )
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(res.stdout.strip().splitlines()[-1])


def _best(fn, repeat: int) -> float:
    fn()
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def conv_step_times() -> None:
    import workloads.kernels as k

    r = np.random.default_rng(0)
    for n in (1, 32):
        x = r.standard_normal((n, 16, 16, 32)).astype(np.float32)
        w = r.standard_normal((3, 3, 32, 32)).astype(np.float32)
        b = np.zeros(32, np.float32)
        ws = np.empty(k.conv2d_workspace_size(x.shape, w.shape, 1, 1), np.float32)
        y = np.empty((n, 16, 16, 32), np.float32)
        gx, gw, gb = np.empty_like(x), np.empty_like(w), np.empty_like(b)

        def step(x=x, w=w, b=b, ws=ws, y=y, gx=gx, gw=gw, gb=gb):
            k.conv2d_forward(x, w, b, padding=1, out=y, workspace=ws)
            k.conv2d_backward(y, x, w, padding=1, grad_input=gx, grad_weight=gw, grad_bias=gb, workspace=ws)

        ours = _best(step, 20)
        line = f"conv3x3 32->32 16x16 batch {n:2d}: fwd+bwd {ours * 1e3:7.3f} ms"
        try:
            import torch
        except ImportError:
            print(line + "   (torch not installed: no PyTorch comparison)")
            continue
        tx = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()).requires_grad_(True)
        tw = torch.from_numpy(w.transpose(3, 2, 0, 1).copy()).requires_grad_(True)
        tb = torch.zeros(32, requires_grad=True)

        def tstep(tx=tx, tw=tw, tb=tb):
            out = torch.nn.functional.conv2d(tx, tw, tb, padding=1)
            out.backward(out.detach())

        theirs = _best(tstep, 20)
        print(line + f"   torch {theirs * 1e3:7.3f} ms   ratio {ours / theirs:5.2f}x")
    if "torch" not in sys.modules:
        return
    print(
        "(one layer called alone, PyTorch with its default threads: the column-matrix blocks are sized for "
        "one core's small-GEMM kernels, so a lone call uses one core; a training step of 2 or more samples "
        "splits the batch across the cores: benchmarks/bench_train_step.py)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        cold = _timed_child(cache)
        warm = _timed_child(cache)
    print(f"all kernels, cold compile (empty cache) : {cold:6.2f} s")
    print(f"all kernels, warm import + first calls  : {warm:6.2f} s")
    conv_step_times()


if __name__ == "__main__":
    main()
