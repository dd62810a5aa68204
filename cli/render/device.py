"""The report of ``tinyemu devices NAME``: one device whole, the names a scenario may use marked."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from cli.render import kib, print_table, si


def _address(value: int | None) -> str:
    return "-" if value is None else f"0x{value:08X}"


def render_device(d: dict[str, Any], out: Console, sources: bool = False) -> None:
    core = d["core"]
    extras = [x for x, on in (("FPU", core["has_fpu"]), ("DSP/SIMD", core["has_dsp_simd"])) if on]
    out.print(f"[bold]{d['name']}[/]: {d['description']}")
    out.print(
        f"core {core['family']} x{core['cores']}"
        + (f" ({', '.join(extras)})" if extras else "")
        + f", up to {si(d['clock_hz'], 'Hz')}, supply {d['supply_voltage_v']:g} V"
    )
    points = Table(title="Operating points (session.operating_point = index or label)")
    for col in ("index", "label", "clock", "voltage", "run current", "power", ""):
        points.add_column(col, justify="left" if col in ("label", "") else "right")
    for p in d["operating_points"]:
        points.add_row(
            str(p["index"]),
            p["label"] or "-",
            si(p["clock_hz"], "Hz"),
            f"{p['voltage_v']:g} V",
            si(p["run_current_a"], "A"),
            si(p["power_w"], "W"),
            "default" if p["default"] else "",
        )
    print_table(out, points)
    if d["sleep_states"]:
        sleep = Table(title="Sleep states (session.sleep_state, deployment.sleep_state)")
        for col in ("name", "current", "wake-up", "SRAM kept", ""):
            sleep.add_column(col, justify="left" if col in ("name", "") else "right")
        for s in d["sleep_states"]:
            sleep.add_row(
                s["name"],
                si(s["current_a"], "A"),
                si(s["wakeup_s"], "s"),
                "yes" if s["retains_sram"] else "no",
                "default" if s["default"] else "",
            )
        print_table(out, sleep)
    else:
        out.print("sleep states: none listed (the device idles at no cost between activities)")
    sram = d["sram"]
    banks = Table(
        title=f"SRAM: {kib(sram['size_bytes'])}, largest contiguous {kib(sram['largest_contiguous_bytes'])}"
    )
    for col in ("bank", "size", "base address"):
        banks.add_column(col, justify="left" if col == "bank" else "right")
    for b in sram["banks"]:
        banks.add_row(b["name"], kib(b["size_bytes"]), _address(b["base_address"]))
    print_table(out, banks)
    f = d["flash"]
    kind = ("external" if f["external"] else "embedded") + ("" if f["needs_erase"] else ", no erase")
    flash = Table(title=f"Flash: {kib(f['size_bytes'])} ({kind})")
    for col in ("sectors", "count", "size", "erase time"):
        flash.add_column(col, justify="right")
    for g in f["sectors"]:
        last = g["first"] + g["count"] - 1
        flash.add_row(
            f"{g['first']}" if last == g["first"] else f"{g['first']}-{last}",
            str(g["count"]),
            kib(g["size_bytes"]),
            si(g["erase_time_s"], "s") if f["needs_erase"] else "-",
        )
    print_table(out, flash)
    out.print(
        f"flash program: {f['program_unit_bytes']} B per {si(f['program_time_s'], 's')} at "
        f"{si(f['program_current_a'], 'A')}; erase at {si(f['erase_current_a'], 'A')}; endurance "
        + (f"{f['endurance_cycles']:,} cycles" if f["endurance_cycles"] else "not stated")
        + ("" if f["read_wait_states"] is None else f"; {f['read_wait_states']} read wait states")
    )
    dma = d["dma"]
    out.print(
        f"DMA: {si(dma['throughput_bytes_per_s'], 'B/s')} at {si(dma['current_a'], 'A')}, "
        + ("memory-to-memory" if dma["memory_to_memory"] else "peripheral only (the core copies memory)")
    )
    if sources:
        table = Table(title=f"Sources ({d['source_path'] or 'built in code'})")
        table.add_column("field")
        table.add_column("source")
        for key, text in d["sources"].items():
            table.add_row(key, text)
        print_table(out, table)
    else:
        out.print("(--sources prints the citation of every value; --json has them too)")
