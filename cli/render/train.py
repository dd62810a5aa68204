"""The output of `tinyemu train`: a progress bar per epoch (stderr) and the results table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


@contextmanager
def epoch_progress(
    total: int, enabled: bool = True
) -> Iterator[Callable[[str, int, int, float], None] | None]:
    """A rich progress bar on stderr advanced once per epoch; yields the callback for ``emu.train``."""
    err = Console(stderr=True)
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
    with bar:
        task = bar.add_task("training", total=total, loss="-")

        def advance(stage: str, epoch: int, epochs: int, loss: float) -> None:
            bar.update(task, advance=1, description=f"{stage} {epoch}/{epochs}", loss=f"{loss:.4f}")

        yield advance


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
