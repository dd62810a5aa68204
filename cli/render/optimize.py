"""The tables of ``tinyemu optimize``: the chosen plan, the best per micro-batch, the trade-off curve."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cli.render import kib, print_table, si

if TYPE_CHECKING:
    from emu.study.optimization import OptimizeResult, PlanPoint


def _points_table(title: str, points: tuple[PlanPoint, ...], budget: int, chosen: PlanPoint | None) -> Table:
    table = Table(title=title)
    for col in ("micro-batch", "recomputed", "peak SRAM", "step energy", "fits"):
        table.add_column(col, justify="right", no_wrap=True)
    for p in points:
        same = chosen is not None and (p.micro_batch_size, p.recompute) == (
            chosen.micro_batch_size,
            chosen.recompute,
        )
        table.add_row(
            Text(str(p.micro_batch_size), style="bold green" if same else ""),
            str(len(p.recompute)),
            f"{p.peak_sram_bytes / 1024:,.1f} KiB",
            si(p.step_energy_j, "J"),
            Text("yes", "green") if p.peak_sram_bytes <= budget else Text("no", "red"),
        )
    return table


def render_optimize(result: OptimizeResult, out: Console, written: Path | None = None) -> None:
    s, c = result.scenario, result.chosen
    out.print(f"[bold]{s.model.name}[/] on [bold]{s.device.name}[/], budget {kib(result.budget_bytes)}")
    base = result.baseline
    out.print(
        f"given plan: {s.plan.describe()}: peak {kib(base.peak_sram_bytes)}, "
        f"{si(base.step_energy_j, 'J')} per step"
    )
    chosen = next(
        (
            p
            for p in result.pareto
            if p.recompute == c.plan.recompute and p.micro_batch_size == c.plan.samples_per_pass
        ),
        None,
    )
    print_table(
        out, _points_table("Best plan per micro-batch size", result.tried, result.budget_bytes, chosen)
    )
    print_table(
        out, _points_table("Trade-off (peak SRAM against energy)", result.pareto, result.budget_bytes, chosen)
    )
    figures = (
        f"{si(result.step_energy_j, 'J')} and {si(result.step_time_s, 's')} per step, "
        f"peak {kib(result.peak_sram_bytes)}"
    )
    layers = ", ".join(c.plan.recompute) or "none"
    if result.feasible:
        out.print(f"[green]cheapest plan that fits[/]: {c.plan.describe()}: {figures}")
        out.print(f"recompute: {layers}")
        if written is not None:
            out.print(f"written to {written} (tinyemu plan -s {written})")
    else:
        out.print(f"[bold red]nothing fits[/]: the closest plan, {c.plan.describe()}, needs {figures}")
        if result.sram_overflow_bytes:
            out.print(f"[red]SRAM overflows by[/] {kib(result.sram_overflow_bytes)}")
            sram = {k: v for k, v in result.breakdown_bytes.items() if k != "frozen_weights_flash" and v}
            largest = sorted(sram.items(), key=lambda kv: -kv[1])[:3]
            out.print(
                "largest at the peak: "
                + ", ".join(f"{k.replace('_', ' ')} {v / 1024:,.1f} KiB" for k, v in largest)
            )
        if result.flash_overflow_bytes:
            out.print(f"[red]flash overflows by[/] {kib(result.flash_overflow_bytes)}")
        if written is None:
            out.print("no scenario written")
    out.print(f"solved in {result.solve_s:.2f} s ({result.method}, gap {result.gap:.2g})")
