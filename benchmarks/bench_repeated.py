"""Repeated calls in one warm process: what a sweep, a search or a fleet pays per scenario.

Goals (issue 10): a repeated ``emu.plan`` under 1 ms; a repeated ``emu.simulate`` under 1 ms analytical
and under 3 ms in event mode; a repeated 10-year battery ``emu.lifetime`` under 5 ms. Inputs (device,
core tables, batteries) are parsed once per process and keyed by file content; the lowering, memory plan
and cost context of an equal scenario are computed once. The baseline column clears those caches
before every call, so it is the cost of resolving everything again (what every call paid before).

Run: ``python benchmarks/bench_repeated.py`` (both columns in one run, same thread settings).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import emu
from emu.memory.memory_plan import plan_memory
from emu.sim.context import _build_context
from hw_models.cores import load_core_table
from hw_models.loader import load_battery, load_device

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("kws_coin_cell", "vww_full_stm32f746", "kws_nrf52840")
GOALS_MS = {"plan": 1.0, "simulate analytical": 1.0, "simulate event": 3.0, "lifetime 10 y": 5.0}


def _clear() -> None:
    for cached in (plan_memory, _build_context, load_core_table, load_device, load_battery):
        cached.cache_clear()  # type: ignore[attr-defined]


def median_ms(call: Callable[[], object], repeats: int, cold: bool) -> float:
    call()
    samples = []
    for _ in range(repeats):
        if cold:
            _clear()
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return 1e3 * statistics.median(samples)


def main() -> None:
    print(
        f"{'scenario':22s} {'call':22s} {'warm ms':>9s} {'re-resolved ms':>15s} {'ratio':>6s} {'goal ms':>8s}"
    )
    for name in SCENARIOS:
        scenario = emu.Scenario.from_toml(ROOT / "examples" / f"{name}.toml")
        calls: dict[str, tuple[Callable[[], object], int]] = {
            "plan": (lambda s=scenario: emu.plan(s), 200),
            "simulate analytical": (lambda s=scenario: emu.simulate(s, mode="analytical"), 100),
            "simulate event": (lambda s=scenario: emu.simulate(s), 50),
            "lifetime 10 y": (lambda s=scenario: emu.lifetime(s, horizon_s="10y"), 10),
        }
        for label, (call, repeats) in calls.items():
            warm = median_ms(call, repeats, cold=False)
            cold = median_ms(call, max(repeats // 5, 3), cold=True)
            verdict = "ok" if warm < GOALS_MS[label] else "MISSED"
            print(
                f"{name:22s} {label:22s} {warm:9.3f} {cold:15.3f} {cold / warm:6.1f}"
                f" {GOALS_MS[label]:8.1f} {verdict}"
            )


if __name__ == "__main__":
    main()
