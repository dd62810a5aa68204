"""The tables of `tinyemu plan`: totals, breakdown, layers, verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from cli.render import compact, kib, print_table

if TYPE_CHECKING:
    from emu.memory.planning import PlanResult

CATEGORY_LABELS = {
    "frozen_weights_flash": "frozen weights (flash, XIP)",
    "input_batch": "input batch and labels",
    "trained_weights": "trained weights",
    "activations_saved": "activations kept for backward",
    "transient": "transient buffers",
    "gradients": "weight gradients",
    "optimizer_state": "optimizer state",
    "workspace": "kernel workspace",
    "fragmentation": "arena fragmentation",
    "reserved": "reserved (firmware)",
}


def render_plan(result: PlanResult, out: Console, all_layers: bool = False) -> None:
    s, m = result.scenario, result.memory
    out.print(f"[bold]{s.model.name}[/] on [bold]{s.device.name}[/]: {s.plan.describe()}")
    totals = Table(title="Totals", show_header=True)
    totals.add_column("memory")
    totals.add_column("used", justify="right")
    totals.add_column("available", justify="right")
    totals.add_column("use", justify="right")
    for label, used, total in (
        ("SRAM (peak)", m.peak_sram_bytes, s.device.sram_bytes),
        ("flash", m.flash_used_bytes, s.device.flash_bytes),
    ):
        style = "red" if used > total else "green"
        totals.add_row(
            label,
            f"{used / 1024:,.1f} KiB",
            f"{total / 1024:,.1f} KiB",
            Text(f"{100 * used / total:.1f} %", style=style),
        )
    print_table(out, totals)

    peak = m.program.tasks[m.peak_task] if m.program.tasks else None
    where = f" at task {peak.index}: {peak.action} of {peak.layer}" if peak else ""
    breakdown = Table(title=f"Breakdown (SRAM at the peak{where})")
    breakdown.add_column("category")
    breakdown.add_column("bytes", justify="right")
    breakdown.add_column("of peak", justify="right")
    for key, value in m.breakdown_bytes.items():
        if value == 0:
            continue
        share = (
            "flash" if key == "frozen_weights_flash" else f"{100 * value / max(m.peak_sram_bytes, 1):.1f} %"
        )
        breakdown.add_row(CATEGORY_LABELS.get(key, key), f"{value:,}", share)
    print_table(out, breakdown)

    layers = list(m.layers)
    shown = (
        layers
        if all_layers
        else sorted(
            (r for r in layers if r.trains != "-" or r.activation_bytes), key=_layer_sram, reverse=True
        )[:12]
    )
    title = (
        "Layers"
        if all_layers
        else f"Layers (the {len(shown)} largest in SRAM of {len(layers)}; --all-layers)"
    )
    ordered = shown if all_layers else sorted(shown, key=lambda r: layers.index(r))
    columns: dict[str, list[str | int]] = {
        "layer": [r.name for r in ordered],
        "output": ["x".join(map(str, r.output_shape)) for r in ordered],
        "trains": [r.trains for r in ordered],
        "flash": [r.flash_bytes for r in ordered],
        "SRAM w": [r.trained_weight_bytes for r in ordered],
        "act": [r.activation_bytes for r in ordered],
        "kept": [r.saved_for_backward_bytes for r in ordered],
        "dgrad": [r.activation_gradient_bytes for r in ordered],
        "wgrad": [r.gradient_bytes for r in ordered],
        "optim": [r.optimizer_state_bytes for r in ordered],
    }
    columns = {k: v for k, v in columns.items() if any(x not in (0, "-") for x in v)}  # drop empty columns
    table = Table(
        title=title,
        caption="bytes; trains: w weights, b bias; act: output activations; kept: for "
        "backward; dgrad/wgrad: activation/weight gradients",
    )
    for col in columns:
        table.add_column(
            col, justify="left" if col in ("layer", "trains", "output") else "right", no_wrap=True
        )
    for i in range(len(ordered)):
        row = [v[i] for v in columns.values()]
        table.add_row(*(compact(x) if isinstance(x, int) else x for x in row))
    print_table(out, table)
    render_verdict(result, out)


def _layer_sram(r: Any) -> int:
    return (
        r.trained_weight_bytes
        + r.activation_bytes
        + r.activation_gradient_bytes
        + r.gradient_bytes
        + r.optimizer_state_bytes
    )


def render_verdict(result: PlanResult, out: Console) -> None:
    v, m, s = result.verdict, result.memory, result.scenario
    for note in v.notes:
        out.print(f"[yellow]note:[/] {note}")
    if v.feasible:
        out.print(
            f"[bold green]FITS[/]: peak SRAM {kib(m.peak_sram_bytes)} of {kib(s.device.sram_bytes)}, "
            f"flash {kib(m.flash_used_bytes)} of {kib(s.device.flash_bytes)}"
        )
        return
    parts = []
    if v.sram_overflow_bytes:
        parts.append(f"SRAM overflows by {kib(v.sram_overflow_bytes)}")
    if v.flash_overflow_bytes:
        parts.append(f"flash overflows by {kib(v.flash_overflow_bytes)}")
    out.print(f"[bold red]DOES NOT FIT[/]: {'; '.join(parts)}")
    if v.contributors:
        table = Table(title="Largest buffers live at the peak")
        for col in ("tensor", "category", "layer", "bytes"):
            table.add_column(col, justify="right" if col == "bytes" else "left")
        for name, size, category, layer in v.contributors:
            table.add_row(name, CATEGORY_LABELS.get(category, category), layer, f"{size:,}")
        print_table(out, table)
    if v.suggestions:
        table = Table(title="What would make it fit")
        for col in ("change", "peak SRAM", "saves", "flash", "fits"):
            table.add_column(col, justify="left" if col == "change" else "right")
        for sug in v.suggestions:
            table.add_row(
                sug.change,
                f"{sug.peak_sram_bytes:,}",
                f"{sug.sram_saved_bytes:,}",
                f"{sug.flash_used_bytes:,}",
                Text("yes", "green") if sug.fits else Text("no", "red"),
            )
        print_table(out, table)
