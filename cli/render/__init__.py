"""All terminal output of the CLI: rich tables for people, JSON for programs.

Shared helpers live here; each command's tables live in a module of this package named after it.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text


def console() -> Console:
    """The one terminal object of a command (stdout; width from the terminal or $COLUMNS)."""
    return Console(highlight=False)


def print_table(out: Console, table: Table) -> None:
    """Print ``table``; one that cannot fit the terminal (80 columns, say) even with its wrappable cells
    wrapped prints borderless with one space between columns, so that its cells stay whole rather than
    cut to an ellipsis."""
    for column in table.columns:  # a cell too long for its column breaks onto the next line, never "…"
        column.overflow = "fold"
    out.print(borderless(table) if too_wide(out, table) else table)


def borderless(table: Table) -> Table:
    """``table`` restyled in place without borders, one space between columns; returns it."""
    table.box, table.show_edge, table.padding = box.SIMPLE_HEAD, False, (0, 0)
    return table


def too_wide(out: Console, table: Table) -> bool:
    """Whether ``table`` needs more columns than the terminal has, even with its wrappable cells wrapped."""
    measured = out.measure(table, options=out.options.update_width(10_000)).minimum
    return max(measured, _no_wrap_minimum(out, table)) > out.width


def _no_wrap_minimum(out: Console, table: Table) -> int:
    """The table's least width when its ``no_wrap`` columns keep their cells on one line (rich measures
    every column as wrappable, so a table of unwrappable figures would be cropped instead)."""
    options = out.options.update_width(10_000)
    _, right, _, left = table.padding
    total = 0
    for column in table.columns:
        sizes = [Measurement.get(out, options, cell) for cell in (column.header, *column.cells)]
        widest = max(m.maximum if column.no_wrap else m.minimum for m in sizes)
        total += max(widest, column.min_width or 0) + left + right
    if table.box is not None:
        total += len(table.columns) - 1 + (2 if table.show_edge else 0)
    return total


def error(message: str, exc: BaseException | None = None, as_json: bool = False) -> None:
    """A one-line error on stderr; with ``as_json`` (the command line asked for ``--json``) the same
    error as a JSON object on stdout instead: ``{"error": message}`` plus the ``source``, ``field``,
    ``value`` and ``allowed`` of a bad-input error."""
    if as_json:
        document: dict[str, Any] = {"error": message}
        for key in ("source", "field", "value", "allowed"):
            if exc is not None and hasattr(exc, key):
                document[key] = _plain(getattr(exc, key))
        print_json(document)
        return
    Console(stderr=True, highlight=False).print(Text(f"error: {message}", style="bold red"), soft_wrap=True)


def _plain(value: Any) -> Any:
    """``value`` if JSON can hold it as it is, else its text."""
    try:
        json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        return str(value)
    return value


def print_json(data: Any) -> None:
    """``data`` as strict JSON on stdout: a value that is not a finite number (NaN, inf) becomes null."""
    sys.stdout.write(json.dumps(_finite(data), indent=2, allow_nan=False) + "\n")


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def kib(size_bytes: int) -> str:
    """Bytes as exact bytes and KiB, e.g. ``'65,536 B (64.0 KiB)'``."""
    return f"{size_bytes:,} B ({size_bytes / 1024:,.1f} KiB)"


def compact(count: int) -> str:
    """A count in at most five characters: ``1234 -> '1.2k'``, ``0 -> '-'``."""
    if count == 0:
        return "-"
    for factor, suffix in ((1 << 30, "G"), (1 << 20, "M"), (1 << 10, "k")):
        if count >= factor:
            return f"{count / factor:.1f}{suffix}"
    return str(count)


def si(value: float, unit: str) -> str:
    """A number with an SI prefix, e.g. ``si(0.0032, 's') == '3.2 ms'``."""
    for factor, prefix in (
        (1e9, "G"),
        (1e6, "M"),
        (1e3, "k"),
        (1, ""),
        (1e-3, "m"),
        (1e-6, "u"),
        (1e-9, "n"),
    ):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def render_notes(document: dict[str, Any], out: Console) -> None:
    """The notes of a run or lifetime result, then its feasibility (with the reasons when infeasible)."""
    for note in document["notes"]:
        out.print(f"note: {note}")
    if document["feasible"]:
        out.print("[green]feasible[/]")
    else:
        for reason in document["infeasibilities"]:
            out.print(f"[red]infeasible:[/] {reason}")
