"""The report of `tinyemu lifetime`: a state-of-charge sparkline, the summary, energy by phase."""

from __future__ import annotations

import importlib.util
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from cli.render import print_table, render_notes, si
from workloads.output_file import atomic_write

if TYPE_CHECKING:
    from emu.deploy.lifetime_result import LifetimeResult

BLOCKS = " ▁▂▃▄▅▆▇█"
DAY_S = 86400.0
YEAR_S = 365.25 * DAY_S


def sparkline(points: list[tuple[float, float]], width: int = 50) -> str:
    """State of charge (0..1) over time as block characters, ``width`` columns evenly spaced in time."""
    if not points:
        return ""
    t0, t1 = points[0][0], points[-1][0]
    if t1 <= t0:
        return BLOCKS[round(points[-1][1] * (len(BLOCKS) - 1))]
    out, i = [], 0
    for col in range(width):
        target = t0 + (t1 - t0) * (col + 0.5) / width
        while i < len(points) - 1 and points[i + 1][0] <= target:
            i += 1
        soc = min(1.0, max(0.0, points[i][1]))
        out.append(BLOCKS[round(soc * (len(BLOCKS) - 1))])
    return "".join(out)


def duration(seconds: float) -> str:
    """``'3.42 years (1,249.1 days)'``, or days/hours for shorter spans."""
    if seconds >= YEAR_S:
        return f"{seconds / YEAR_S:.2f} years ({seconds / DAY_S:,.1f} days)"
    if seconds >= DAY_S:
        return f"{seconds / DAY_S:,.2f} days"
    return f"{seconds / 3600:.2f} h"


CAUSES = {
    "horizon_reached": "still running at the horizon",
    "battery_cutoff": "the battery reached its cut-off",
    "flash_worn_out": "a flash sector wore out",
}


def render_lifetime(result: LifetimeResult, out: Console) -> None:
    d = result.to_dict()
    out.print(f"[bold]{d['scenario']}[/]: {d['model']} on {d['device']}, {d['supply']} ({d['mode']} mode)")
    spark = sparkline([(t, s) for t, s in d["soc_timeline"]])
    out.print(f"state of charge |{spark}| {d['lifetime_s'] / DAY_S:,.1f} days")
    summary = Table(title="Lifetime", show_header=False)
    summary.add_column("")
    summary.add_column("")
    cause = CAUSES.get(d["end_cause"], d["end_cause"])
    summary.add_row("lifetime", duration(d["lifetime_s"]))
    summary.add_row("why it ended", cause + (f": {d['end_detail']}" if d["end_detail"] else ""))
    summary.add_row("training sessions", f"{d['training_sessions']:,} ({d['sessions_skipped']:,} skipped)")
    summary.add_row("samples trained", f"{d['samples_trained']:,} ({d['samples_dropped']:,} dropped)")
    summary.add_row("inferences", f"{d['inferences']:,} ({d['inferences_missed']:,} missed)")
    summary.add_row("downtime", f"{duration(d['downtime_s'])} in {d['brownouts']:,} brown-out(s)")
    summary.add_row("checkpoints", f"{d['checkpoints_written']:,} written, {d['checkpoints_lost']:,} lost")
    summary.add_row("work lost", f"{d['steps_lost']:,} steps, {si(d['work_lost_j'], 'J')}")
    summary.add_row(
        "most worn flash sector",
        f"{d['max_sector_wear']:,} erases"
        + (f" of {d['flash_endurance_cycles']:,}" if d["flash_endurance_cycles"] else ""),
    )
    summary.add_row("final state of charge", f"{100 * (d['final_soc'] or 0):.1f} %")
    print_table(out, summary)
    phases = Table(title="Energy over the whole life (chip side)")
    phases.add_column("phase")
    phases.add_column("energy", justify="right")
    phases.add_column("share", justify="right")
    total = d["chip_energy_j"]
    for name, value in d["energy_by_phase_j"].items():
        phases.add_row(name, si(value, "J"), f"{100 * value / total:.1f} %" if total > 0 else "-")
    phases.add_row("chip total (currents at the chip's rated voltage)", si(total, "J"), "")
    phases.add_row("drawn from the supply (at the cell's own voltage)", si(d["supply_energy_j"], "J"), "")
    print_table(out, phases)
    render_notes(d, out)


PLOT_SUFFIXES = (".png", ".svg", ".pdf")
"""What ``--plot`` writes: the formats matplotlib's Agg backend renders without extra packages."""


@contextmanager
def days_progress(
    enabled: bool, err: Console | None = None
) -> Iterator[Callable[[float, float], None] | None]:
    """A rich progress bar on stderr over simulated days, with the time left estimated as it runs;
    yields the callback for ``emu.lifetime`` (None when disabled or stderr is not a terminal)."""
    err = err or Console(stderr=True)
    if not enabled or not err.is_terminal:
        yield None
        return
    bar = Progress(
        TextColumn("simulating every event"),
        BarColumn(),
        TextColumn("{task.fields[day]} of {task.fields[days]} days"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )
    with bar:
        task = bar.add_task("lifetime", total=None, day="0", days="?")

        def advance(simulated_s: float, horizon_s: float) -> None:
            days = horizon_s / DAY_S
            bar.update(task, total=days, completed=simulated_s / DAY_S)
            bar.update(task, day=f"{simulated_s / DAY_S:,.0f}", days=f"{days:,.0f}")

        yield advance


def plot_available() -> bool:
    """matplotlib (the ``plot`` extra) is installed."""
    return importlib.util.find_spec("matplotlib") is not None


def write_plot(result: LifetimeResult, path: Path) -> None:
    """The state of charge over time as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timeline = result.soc_detail or result.soc_timeline
    days = [t / DAY_S for t, _ in timeline]
    soc = [100 * s for _, s in timeline]
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(days, soc, linewidth=0.8)
    ax.set_xlabel("days")
    ax.set_ylabel("state of charge (%)")
    ax.set_ylim(0, 100)
    ax.set_title(plot_title(result), fontsize=9)
    fig.tight_layout()
    try:
        fmt = path.suffix.lower().lstrip(".")
        atomic_write(path, lambda handle: fig.savefig(handle, format=fmt, dpi=120), "--plot")
    finally:
        plt.close(fig)


def plot_title(result: LifetimeResult) -> str:
    """What was simulated: the device and model on which supply (the battery or harvester), and how it
    ended."""
    what = textwrap.fill(f"{result.model} on {result.device}, {result.supply}", 90)
    return (
        f"{what}\n{result.scenario}: {result.end_cause.replace('_', ' ')} after {duration(result.lifetime_s)}"
    )
