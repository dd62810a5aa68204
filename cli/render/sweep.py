"""The progress bar and the table of ``tinyemu sweep``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from cli.render import print_table, si

if TYPE_CHECKING:
    from emu.study.sweep_table import SweepRow, SweepTable

YEAR_S = 365.25 * 86400
STATUS_STYLE = {"ok": "green", "infeasible": "red", "error": "bold red"}


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Callable[[int, int], None] | None]:
    """A ``progress(done, total)`` callback drawing a bar with rate and ETA on stderr; ``None`` when
    stderr is not a terminal (or ``enabled`` is false), so that logs and pipes stay clean."""
    err = Console(stderr=True)
    if not enabled or not err.is_terminal:
        yield None
        return
    columns = (
        TextColumn("sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("sweep", total=None, rate="")

        def update(done: int, total: int) -> None:
            elapsed = bar.tasks[0].elapsed or 0.0
            speed = bar.tasks[0].speed
            rate = f"{speed:.3g} points/s" if speed else ""
            bar.update(task, completed=done, total=total, rate=rate if elapsed > 0 else "")

        yield update


def _life(seconds: float) -> str:
    return f"{seconds / YEAR_S:.2f} y" if seconds >= YEAR_S else f"{seconds / 86400:.1f} d"


FIGURES: dict[str, tuple[str, Callable[[Any], str]]] = {
    "peak_sram_bytes": ("SRAM", lambda v: f"{v / 1024:,.1f}K"),
    "flash_used_bytes": ("flash", lambda v: f"{v / 1024:,.1f}K"),
    "step_time_s": ("step", lambda v: si(v, "s")),
    "step_energy_j": ("E/step", lambda v: si(v, "J")),
    "session_energy_j": ("E/session", lambda v: si(v, "J")),
    "lifetime_s": ("lifetime", _life),
    "end_cause": ("ends by", lambda v: str(v).replace("_", " ")),
    "life_energy_j": ("E/life", lambda v: si(v, "J")),
    "score_after": ("score", lambda v: f"{v:.3f}"),
}
"""The answers the table shows (the rest are in --json), with their headers and formats."""


def render_sweep(
    table: SweepTable,
    out: Console,
    front: tuple[SweepRow, ...] | None = None,
    objectives: Sequence[tuple[str, bool]] = (),
) -> None:
    """The points, one row each (``*`` marks the Pareto front, when there is one), then a count of ok /
    infeasible / failed points and the reasons."""
    shown = [c for c in FIGURES if c in table.columns]
    on_front = {row.index for row in front or ()}
    grid = Table(title=f"sweep: {len(table.rows)} points ({', '.join(table.what)})")
    headers = ("#", *table.axes, "status", *(FIGURES[c][0] for c in shown)) + (
        ("front",) if front is not None else ()
    )
    for header in headers:
        grid.add_column(header, justify="left" if header in (*table.axes, "status", "ends by") else "right")
    for row in table.rows:
        mark = ("*" if row.index in on_front else "",) if front is not None else ()
        grid.add_row(
            str(row.index), *(_axis(v) for _, v in row.point), _status(row), *_cells(row, shown), *mark
        )
    print_table(out, grid)
    if front is not None:
        goals = ", ".join(f"{c} {'max' if up else 'min'}" for c, up in objectives)
        out.print(f"Pareto front ({goals}): " + (", ".join(f"#{r.index}" for r in front) or "no ok point"))
    counts = {s: sum(1 for r in table.rows if r.status == s) for s in STATUS_STYLE}
    out.print(
        f"{counts['ok']} ok, {counts['infeasible']} infeasible, {counts['error']} failed"
        + (f"; {table.reused} from the store" if table.reused else "")
    )
    for row in table.rows:
        if row.reason:
            out.print(f"[{STATUS_STYLE[row.status]}]{row.status}[/] #{row.index}: {row.reason}")


def _axis(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _status(row: SweepRow) -> Text:
    return Text(row.status, STATUS_STYLE.get(row.status, ""))


def _cells(row: SweepRow, shown: list[str]) -> list[str]:
    values = dict(row.values)
    return ["-" if values.get(c) is None else FIGURES[c][1](values[c]) for c in shown]
