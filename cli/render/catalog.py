"""Tables of the zoo models and device presets."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from cli.render import print_table, si


def render_models(rows: list[dict[str, Any]], out: Console) -> None:
    table = Table(title="Model zoo")
    for col in ("name", "params", "MACs", "input", "description"):
        table.add_column(col, justify="right" if col in ("params", "MACs") else "left")
    for r in rows:
        table.add_row(
            r["name"],
            f"{r['params']:,}",
            f"{r['macs']:,}",
            "x".join(map(str, r["input_shape"])),
            r["description"],
        )
    print_table(out, table)


def render_devices(rows: list[dict[str, Any]], out: Console) -> None:
    table = Table(title="Device presets")
    for col in ("name", "core", "clock", "SRAM", "flash", "description"):
        table.add_column(col, justify="right" if col in ("clock", "SRAM", "flash") else "left")
    for r in rows:
        table.add_row(
            r["name"],
            r["core"],
            si(r["clock_hz"], "Hz"),
            f"{r['sram_bytes'] // 1024:,} KiB",
            f"{r['flash_bytes'] // 1024:,} KiB",
            r.get("description", ""),
        )
    print_table(out, table)
