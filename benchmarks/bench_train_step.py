"""One training step (forward, loss, backward, SGD update of every parameter) of tinyemu vs PyTorch CPU.

Same model (built from the same graph, same weights), same batch, same thread count: PyTorch gets
``torch.set_num_threads`` equal to the BLAS thread count numba's ``np.dot`` uses (threadpoolctl; the
Numba kernels themselves are single-threaded). A step that splits (:mod:`workloads.split`) runs its two
halves in 2 Python threads with BLAS held to 1 thread; the table also times that step run whole (one
program, one Python thread, BLAS threads as configured), the speed without the split. Batch-norm runs in
frozen mode and dropout is the identity in both (PyTorch modules in ``eval()`` mode, which still train
their parameters). Prints the median step time of each and the median ratio to PyTorch over rounds of
alternating blocks of steps (below 1: tinyemu is faster), and tinyemu's process CPU time / wall time
(at most the core count: no oversubscription).

Run: ``python benchmarks/bench_train_step.py [model ...]`` (default: the three models; needs the
``bench`` extra: ``pip install torch==2.13.0``).
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np

MODELS = ("mlperf-dscnn", "mlperf-resnet8", "lenet-digits")
BATCHES = (1, 32)


def _block(step, seconds: float, skip: int = 2) -> tuple[list[float], float, float]:
    """Step times of ``step`` run for ``seconds``, without the first ``skip`` (after a switch of side),
    and the process CPU time and wall time of the timed steps."""
    times: list[float] = []
    cpu = wall = 0.0
    start = time.perf_counter()
    while len(times) < skip + 3 or time.perf_counter() - start < seconds:
        c, t = time.process_time(), time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
        if len(times) > skip:
            cpu += time.process_time() - c
            wall += times[-1]
    return times[skip:], cpu, wall


def _paired_times(sides, rounds: int = 6, seconds: float = 0.25) -> list[tuple[float, float, float]]:
    """Per side: median step time, median of the per-round ratios to the last side, CPU / wall time.

    The sides alternate in blocks of ``seconds`` (not step by step: each side's idle threads spin for a
    while after a call, OpenBLAS's and PyTorch's OpenMP ones alike, and steal the cores from the other
    side's next step), so a burst of other work on a shared machine hits every side, and the first steps
    after each switch are dropped. CPU / wall above the core count would mean oversubscription.
    """
    for step in sides:
        _block(step, 0.0)  # warm up (compile, allocate, caches)
    times: list[list[float]] = [[] for _ in sides]
    ratios: list[list[float]] = [[] for _ in sides]
    cpu, wall = [0.0] * len(sides), [0.0] * len(sides)
    for _ in range(rounds):
        medians = []
        for i, step in enumerate(sides):
            block, c, w = _block(step, seconds)
            times[i] += block
            cpu[i] += c
            wall[i] += w
            medians.append(statistics.median(block))
        for i in range(len(sides)):
            ratios[i].append(medians[i] / medians[-1])
    return [
        (statistics.median(t), statistics.median(r), c / w)
        for t, r, c, w in zip(times, ratios, cpu, wall, strict=True)
    ]


def torch_model(graph, weights):
    """A PyTorch module computing ``graph`` (NCHW) with the same parameters."""
    import torch
    import torch.nn.functional as F

    class GraphModule(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.params = torch.nn.ParameterDict()
            self.buffers_ = {}
            for node in graph:
                w = weights.get(node.name)
                if w is None:
                    continue
                key = node.name
                if node.kind == "conv2d":
                    self.params[key + "_w"] = torch.nn.Parameter(
                        torch.from_numpy(w["weight"].transpose(3, 2, 0, 1).copy())
                    )
                elif node.kind == "dense":
                    self.params[key + "_w"] = torch.nn.Parameter(torch.from_numpy(w["weight"].T.copy()))
                elif node.kind == "batchnorm":
                    self.params[key + "_w"] = torch.nn.Parameter(torch.from_numpy(w["gamma"].copy()))
                    self.buffers_[key] = (
                        torch.from_numpy(w["mean"].copy()),
                        torch.from_numpy(w["var"].copy()),
                    )
                bias = w.get("bias", w.get("beta"))
                if bias is not None:
                    self.params[key + "_b"] = torch.nn.Parameter(torch.from_numpy(bias.copy()))

        def forward(self, x):
            act = {"input": x}
            p = self.params
            for node in graph.nodes[1:]:
                ins = [act[i] for i in node.inputs]
                layer, kind, name = node.layer, node.kind, node.name
                b = p[name + "_b"] if name + "_b" in p else None
                if kind == "conv2d":
                    t, bt, left, r = layer.pads(node.input_shapes)
                    xin, pad = ins[0], (t, left)
                    if (t, left) != (bt, r):
                        xin, pad = F.pad(xin, (left, r, t, bt)), 0
                    y = F.conv2d(
                        xin, p[name + "_w"], b, stride=layer.stride, padding=pad, groups=layer.groups
                    )
                elif kind == "dense":
                    y = F.linear(ins[0], p[name + "_w"], b)
                elif kind == "batchnorm":
                    mean, var = self.buffers_[name]
                    y = F.batch_norm(ins[0], mean, var, p[name + "_w"], b, training=False, eps=1e-5)
                elif kind == "relu":
                    y = F.relu(ins[0])
                elif kind == "relu6":
                    y = F.relu6(ins[0])
                elif kind == "maxpool":
                    y = F.max_pool2d(ins[0], layer.pool, layer.strides)
                elif kind == "avgpool":
                    y = F.avg_pool2d(ins[0], layer.pool, layer.strides)
                elif kind == "global_avg_pool":
                    y = ins[0].mean(dim=(2, 3))
                elif kind == "add":
                    y = ins[0] + ins[1]
                elif kind == "flatten":
                    y = torch.flatten(ins[0], 1)
                elif kind == "dropout":
                    y = ins[0]
                else:
                    raise ValueError(kind)
                act[name] = y
            return act[graph.output.name]

    return GraphModule()


def blas_info() -> tuple[str, int]:
    from threadpoolctl import threadpool_info

    import workloads.kernels  # noqa: F401  (loads numba and SciPy's BLAS)

    rows = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    text = "; ".join(
        f"{i.get('internal_api')} {i.get('version')} ({os.path.basename(i.get('filepath', ''))}) "
        f"threads={i.get('num_threads')} arch={i.get('architecture')}"
        for i in rows
    )
    scipy_blas = [i for i in rows if "scipy" in i.get("filepath", "")] or rows
    return text or "none found", int(scipy_blas[0]["num_threads"]) if scipy_blas else 1


def main() -> None:
    import torch

    from workloads.network import Network
    from workloads.plan import TrainingPlan
    from workloads.split import SPLIT_MIN_BATCH, SPLIT_MIN_CONV_MACS, SplitStep
    from workloads.step import CompiledStep
    from workloads.zoo import build_model

    blas, threads = blas_info()
    torch.set_num_threads(threads)
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    print(f"allocator: LD_PRELOAD={os.environ.get('LD_PRELOAD', '(unset)')}")
    print(f"BLAS in use: {blas}")
    print(
        f"threads: tinyemu whole step = 1 Python thread, {threads} BLAS threads (np.dot in the kernels); "
        f"tinyemu split step (batch >= {SPLIT_MIN_BATCH} and >= {SPLIT_MIN_CONV_MACS:,} conv MACs) = "
        f"2 Python threads x 1 BLAS thread; "
        f"PyTorch = torch.set_num_threads({threads}) -> {torch.get_num_threads()} intra-op threads"
    )
    print(f"cores available: {len(os.sched_getaffinity(0))}; cpu/wall = process CPU time / wall time")
    print(f"torch {torch.__version__}, numpy {np.__version__}; the sides alternate in blocks of steps")
    print(
        f"{'model':16s} {'batch':>5s} {'tinyemu':>11s} {'threads':>9s} {'cpu/wall':>8s} {'pytorch':>11s} "
        f"{'ratio':>6s} {'whole step':>11s} {'ratio':>6s}"
    )
    for name in sys.argv[1:] or MODELS:
        graph = build_model(name)
        classify = graph.loss == "softmax_cross_entropy"
        for batch in BATCHES:
            rng = np.random.default_rng(0)
            x = rng.random((batch, *graph.input_shape)).astype(np.float32)
            if classify:
                y = rng.integers(0, graph.output.output_shape[0], batch)
            else:  # a regression model (the autoencoder): mean squared error against float targets
                y = rng.random((batch, *graph.output.output_shape)).astype(np.float32)
            net = Network(graph, seed=0)
            plan = TrainingPlan(update="full", optimizer="sgd", batch_size=batch, learning_rate=1e-4)
            state = net.trainer(plan)
            split = isinstance(state.program(batch), SplitStep)
            model = torch_model(graph, net.weights())
            opt = torch.optim.SGD(model.parameters(), lr=1e-4)
            tx = torch.from_numpy(x.transpose(0, 3, 1, 2).copy() if x.ndim == 4 else x.copy())
            ty = torch.from_numpy(y)

            loss_fn = torch.nn.functional.cross_entropy if classify else torch.nn.functional.mse_loss

            def tstep(model=model, opt=opt, tx=tx, ty=ty, loss_fn=loss_fn):
                opt.zero_grad(set_to_none=False)
                loss = loss_fn(model(tx), ty)
                loss.backward()
                opt.step()

            sides = [lambda net=net, x=x, y=y, state=state: net.train_step(x, y, state)]
            if split:  # the same step as one program in one thread (what runs without the split)
                whole = CompiledStep(net, batch, state, net.quant)
                sides.append(lambda whole=whole, x=x, y=y: whole.run_step(x, y))
            measured = _paired_times([*sides, tstep])
            (ours, ratio, cpu_wall), theirs = measured[0], measured[-1][0]
            row = (
                f"{name:16s} {batch:5d} {ours * 1e3:8.3f} ms {'2x1' if split else f'1+{threads}':>9s} "
                f"{cpu_wall:8.2f} {theirs * 1e3:8.3f} ms {ratio:5.2f}x"
            )
            if split:
                row += f" {measured[1][0] * 1e3:8.3f} ms {measured[1][1]:5.2f}x"
            print(row + ("" if split else f" {'(same)':>11s}"), flush=True)
            net.close()


if __name__ == "__main__":
    main()
