"""The Pareto front of a sweep: the points no other point beats on every objective at once."""

from __future__ import annotations

import math
from collections.abc import Sequence

from emu.errors import ScenarioError
from emu.study.sweep_table import SweepRow, SweepTable


def parse_objectives(text: str | Sequence[str]) -> tuple[tuple[str, bool], ...]:
    """``"peak_sram_bytes,-lifetime_s"`` -> ``(("peak_sram_bytes", False), ("lifetime_s", True))``:
    a column to minimise, or with a leading ``-`` to maximise (as ``--sort -col`` puts the largest first)."""
    items = [t.strip() for t in text.split(",")] if isinstance(text, str) else [t.strip() for t in text]
    if not items or any(not t.lstrip("-") for t in items):
        raise ScenarioError("--pareto", "pareto", text, "columns to minimise, -column to maximise")
    return tuple((t.lstrip("-"), t.startswith("-")) for t in items)


def pareto_front(table: SweepTable, objectives: Sequence[tuple[str, bool]]) -> tuple[SweepRow, ...]:
    """The ok rows that no other ok row dominates (as good on every objective, better on one), in
    table order. ``objectives`` are (column, maximise) pairs of numeric columns."""
    for column, _ in objectives:
        table.check_column(column, "--pareto")
    scored = []
    for row in table.rows:
        if row.status != "ok":
            continue
        values = [row.value(c) for c, _ in objectives]
        if not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values
        ):
            continue
        # every objective as a cost: smaller is better
        scored.append(
            (row, tuple(-float(v) if up else float(v) for v, (_, up) in zip(values, objectives, strict=True)))
        )
    return tuple(row for row, cost in scored if not any(_dominates(other, cost) for _, other in scored))


def _dominates(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return all(x <= y for x, y in zip(a, b, strict=True)) and any(x < y for x, y in zip(a, b, strict=True))
