"""The tables of `tinyemu run`: totals, energy by component and phase, layers, flash wear."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from cli.render import kib, print_table, render_notes, si

if TYPE_CHECKING:
    from emu.sim.simulation import SimulationResult


def _share(value: float, total: float) -> str:
    return f"{100 * value / total:.1f} %" if total > 0 else "-"


def render_run(result: SimulationResult, out: Console, all_layers: bool = False) -> None:
    d = result.to_dict()
    s = result.scenario
    out.print(
        f"[bold]{s.model.name}[/] on [bold]{s.device.name}[/] at {si(d['clock_hz'], 'Hz')} "
        f"({d['library']} kernels, {d['mode']} mode): {s.plan.describe()}"
    )
    totals = Table(title=f"Session: {d['steps']:,} steps")
    totals.add_column("")
    totals.add_column("time", justify="right")
    totals.add_column("energy", justify="right")
    totals.add_row("one step", si(d["step_time_s"], "s"), si(d["step_energy_j"], "J"))
    totals.add_row("session", si(d["session_time_s"], "s"), si(d["session_energy_j"], "J"))
    print_table(out, totals)

    components = Table(title="Energy by component (session)")
    components.add_column("component")
    components.add_column("energy", justify="right")
    components.add_column("share", justify="right")
    for name, value in d["energy_by_component_j"].items():
        components.add_row(name, si(value, "J"), _share(value, d["session_energy_j"]))
    print_table(out, components)

    phases = Table(title="By phase (session energy; core time of one step)")
    phases.add_column("phase")
    phases.add_column("energy", justify="right")
    phases.add_column("share", justify="right")
    phases.add_column("step time", justify="right")
    times = d["step_time_by_phase_s"]
    for name, value in d["energy_by_phase_j"].items():
        step_time = times.get(name)
        phases.add_row(
            name,
            si(value, "J"),
            _share(value, d["session_energy_j"]),
            si(step_time, "s") if step_time else "-",
        )
    print_table(out, phases)

    layers = sorted(d["layers"], key=lambda r: -r["time_s"])
    shown = layers if all_layers else layers[:10]
    table = Table(title="Layers (one step)" + ("" if all_layers else ", 10 slowest (--all-layers for all)"))
    for col in ("layer", "kind", "time", "energy", "cycles", "flash read"):
        table.add_column(col, justify="left" if col in ("layer", "kind") else "right")
    for r in shown:
        table.add_row(
            r["name"],
            r["kind"],
            si(r["time_s"], "s") if r["time_s"] else "-",
            si(r["energy_j"], "J") if r["energy_j"] else "-",
            f"{r['cycles']:,.0f}",
            f"{r['flash_read_bytes']:,} B" if r["flash_read_bytes"] else "-",
        )
    print_table(out, table)

    peak, planned = kib(d["peak_sram_bytes"]), kib(d["planned_peak_sram_bytes"])
    out.print(f"SRAM peak {peak} of {kib(d['sram_bytes'])} (planner: {planned})")
    write = d["write_back"]
    if write:
        endurance = d["flash_endurance_sessions"]
        out.print(
            f"Write-back: {len(write['sectors'])} sector(s) erased, {write['program_bytes']:,} B programmed "
            f"({si(write['erase_s'] + write['program_s'], 's')}); each sector wears one cycle per session"
            + (f", {endurance:,} sessions to rated endurance" if endurance else "")
        )
    render_notes(d, out)
