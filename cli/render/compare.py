"""The table of ``tinyemu compare``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cli.render import print_table, si

if TYPE_CHECKING:
    from emu.study.comparison import PlanComparison

YEAR_S = 365.25 * 86400


def _life(seconds: float) -> str:
    return f"{seconds / YEAR_S:.2f} y" if seconds >= YEAR_S else f"{seconds / 86400:.1f} d"


def render_comparison(result: PlanComparison, out: Console) -> None:
    print_table(out, _table(result))
    best = result.best
    if best is None or best.lifetime_s is None:
        out.print("[bold red]no plan fits[/]: see tinyemu plan for what overflows and what would fit")
    elif result.best_by in ("accuracy", "mse"):
        pick = "most accurate" if result.best_by == "accuracy" else "lowest-error"
        whole = all(p.end_cause == "horizon_reached" for p in result.fitting)
        why = f"every plan that fits lives the whole {_life(best.lifetime_s)}" if whole else "as asked"
        out.print(
            f"{pick} plan that fits: [bold]{best.label}[/] ({result.best_by} {best.score_after:.3f}; {why})"
        )
    elif result.best_by == "pareto":
        metric = best.metric
        front = ", ".join(p.label for p in result.pareto)
        out.print(
            f"Pareto choice of lifetime and {metric}: [bold]{best.label}[/] ({_life(best.lifetime_s)}, "
            f"{metric} {best.score_after:.3f}; the smallest worst shortfall against the longest life and the "
            f"best {metric}; the front: {front}; --objective lifetime or {metric} picks by one)"
        )
    else:
        ties = sum(1 for p in result.fitting if p.lifetime_s == best.lifetime_s)
        why = f"{_life(best.lifetime_s)}" + (
            ", the least energy of the plans that live as long" if ties > 1 else ""
        )
        out.print(f"longest-living plan that fits: [bold]{best.label}[/] ({why})")


def _table(result: PlanComparison) -> Table:
    best = result.best
    with_accuracy = any(p.score_after is not None for p in result.plans)
    title = f"{result.model} on {result.device}: plans compared ({result.scenario})"
    table = Table(title=title)
    columns = ["plan", "fits", "SRAM", "step", "E/sample", "lifetime", "E/life", "ends by"]
    columns += [("accuracy" if result.plans[0].metric == "accuracy" else "MSE")] if with_accuracy else []
    table.caption = (
        "SRAM: peak, in KiB; step: time of one training step; E/sample: training energy per sample; "
        "E/life: energy drawn over the life; a plan that does not fit has no life "
        "(--json has the step and session figures too)"
    )
    for col in columns:
        table.add_column(
            "SRAM\nKiB" if col == "SRAM" else col,
            justify="left" if col in ("plan", "ends by") else "right",
            no_wrap=col not in ("plan", "ends by"),
            min_width=max(len(part) for p in result.plans for part in p.label.split(", "))
            if col == "plan"
            else None,
        )
    for p in result.plans:
        label = Text(p.label.replace(", ", ",\n"), style="bold green" if p is best else "")
        sram = f"{p.peak_sram_bytes / 1024:,.1f}"
        if p.lifetime_s is None or p.life_energy_j is None:
            cells: list[str | Text] = [label, Text("no", "red"), sram, "-", "-", Text("does not fit", "red")]
            cells += ["-", "-"]
        else:
            cells = [
                label,
                Text("yes", "green") if p.feasible else Text("no", "red"),
                sram,
                si(p.step_time_s, "s"),
                si(p.energy_per_sample_j, "J"),
                _life(p.lifetime_s),
                si(p.life_energy_j, "J"),
                p.end_cause.replace("_", " ")
                .replace("battery cutoff", "cell cut-off")
                .replace("horizon reached", "horizon"),
            ]
        if with_accuracy:
            cells.append("-" if p.score_after is None else f"{p.score_before:.3f}->{p.score_after:.3f}")
        table.add_row(*cells)
    return table
