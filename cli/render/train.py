"""The output of `tinyemu train`: a progress bar per epoch (stderr) and the results table."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.render import compact, print_table

if TYPE_CHECKING:
    from emu.functional.training import TrainResult

PHASE_LABELS = {
    "forward": "forward MACs",
    "backward_data": "backward (input gradients) MACs",
    "backward_weight": "backward (weight gradients) MACs",
    "update": "parameters updated",
}


COMPILE_NOTE = "first epoch: compiles the Numba kernels if this machine has not yet (a one-time cost, cached)"


def kernel_cache_stamp() -> float:
    """The newest modification time in the kernels' Numba cache (0 when empty): it moves when a kernel
    is compiled and cached, so comparing it before and after a run tells whether the run compiled."""
    import importlib.util

    spec = importlib.util.find_spec("workloads.kernels")
    folders = list(spec.submodule_search_locations or []) if spec else []
    stamps = [f.stat().st_mtime for d in folders for f in (Path(d) / "__pycache__").glob("*.nb[ic]")]
    return max(stamps, default=0.0)


@contextmanager
def epoch_progress(
    total: int, enabled: bool = True, err: Console | None = None
) -> Iterator[Callable[[str, int, int, float], None] | None]:
    """A rich progress bar on stderr advanced once per epoch; yields the callback for ``emu.train``.

    Until the first epoch ends the bar says that the first epoch compiles the Numba kernels; when the run
    did compile (the kernel cache changed), one line on stderr says how long that first epoch took.
    """
    err = err or Console(stderr=True)
    if not enabled or total == 0 or not err.is_terminal:  # no bar in logs and pipes
        yield None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    stamp, start = kernel_cache_stamp(), time.perf_counter()
    first: list[float] = []
    with bar:
        task = bar.add_task(COMPILE_NOTE, total=total, loss="-")

        def advance(stage: str, epoch: int, epochs: int, loss: float) -> None:
            if not first:
                first.append(time.perf_counter() - start)
            bar.update(task, advance=1, description=f"{stage} {epoch}/{epochs}", loss=f"{loss:.4f}")

        yield advance
    if first and kernel_cache_stamp() != stamp:
        err.print(
            f"note: the first epoch compiled the Numba kernels ({first[0]:.0f} s including the epoch); "
            "a one-time cost: later runs load them from the cache",
            highlight=False,
        )


def render_train(result: TrainResult, out: Console) -> None:
    p = result.plan
    out.print(
        f"[bold]{result.model}[/] on [bold]{result.dataset}[/] (device data shift: {result.shift}): "
        f"{p['update']}, {p['optimizer']} lr {p['learning_rate']:g}, batch {p['batch_size']}, "
        f"{p['precision']}"
    )
    label = "Accuracy" if result.metric == "accuracy" else "Mean squared error"
    acc = Table(title=f"{label} (held-out test part, device conditions)")
    acc.add_column("")
    acc.add_column("value", justify="right")
    if result.pretrain_epochs:
        acc.add_row(
            f"pretrained {result.pretrain_epochs} epochs, on the pretrain data",
            f"{result.score_pretrain:.3f}",
        )
    acc.add_row("before fine-tuning", f"{result.score_before:.3f}")
    acc.add_row("after fine-tuning", f"{result.score_after:.3f}")
    acc.add_row("gain" if result.metric == "accuracy" else "reduction", f"{result.gain:+.3f}")
    acc.add_row("device samples (test samples)", f"{result.device_samples} ({result.test_samples})")
    acc.add_row("samples seen", f"{result.samples}")
    print_table(out, acc)
    loss = Table(title="Loss per epoch")
    loss.add_column("epoch", justify="right")
    loss.add_column("loss", justify="right")
    for i, value in enumerate(result.loss_curve, 1):
        loss.add_row(str(i), f"{value:.4f}")
    print_table(out, loss)
    work = Table(title="Work executed in fine-tuning")
    work.add_column("phase")
    work.add_column("count", justify="right")
    work.add_column("", justify="right")
    for key, value in result.macs_by_phase.items():
        work.add_row(PHASE_LABELS.get(key, key), f"{value:,}", compact(value))
    print_table(out, work)
