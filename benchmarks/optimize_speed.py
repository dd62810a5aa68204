"""Wall time of ``emu.optimize`` and of the recomputation MILP alone, on zoo models that need it.

Goal (issue 12, first slice): about 1 s for the whole search on the MLPerf Tiny models.
Run: ``python benchmarks/optimize_speed.py`` (one row per case: MILP size, one solve, the whole search).
"""

from __future__ import annotations

import time

import emu
from emu.sim.context import build_context
from emu.study.optimization import MAX_SPAN, task_energy_j
from emu.study.recompute_milp import RecomputeModel

KIB = 1024
CASES = (
    ("mlperf-dscnn", "stm32h743", "full", 4, 500),
    ("mlperf-resnet8", "stm32h743", "full", 2, 900),
    ("mlperf-mbv1-vww", "stm32h7a3", "last:14", 4, 2000),
    ("mlperf-mbv1-vww", "stm32h743", "full", 2, 900),  # nothing fits: the closest plan is searched too
    ("lenet-digits", "stm32l4r5", "full", 8, 60),
)


def scenario(model: str, device: str, update: str, batch: int) -> emu.Scenario:
    return emu.Scenario.from_dict(
        {
            "device": {"name": device},
            "model": {"name": model},
            "plan": {"update": update, "batch_size": batch},
        }
    )


def main() -> None:
    print("emu.optimize over micro-batch sizes and recomputation (sgd, fp32)")
    print(
        f"  {'model':16s} {'device':10s} {'update':8s} {'batch':>5s} {'budget':>8s} "
        f"{'acts':>4s} {'pairs':>5s} {'MILP build':>10s} {'solve':>7s} {'search':>7s}  answer"
    )
    worst = 0.0
    worst_fit = 0.0
    for model, device, update, batch, budget_kib in CASES:
        s = scenario(model, device, update, batch)
        ctx = build_context(s)
        start = time.perf_counter()
        milp = RecomputeModel(ctx.memory.program, [task_energy_j(ctx, c) for c in ctx.costs], MAX_SPAN)
        built = time.perf_counter() - start
        keep = max(ctx.memory.live_bytes)
        start = time.perf_counter()
        milp.solve(int(keep * 0.7))
        solved = time.perf_counter() - start
        start = time.perf_counter()
        result = emu.optimize(s, sram_budget_bytes=budget_kib * KIB)
        search = time.perf_counter() - start
        worst = max(worst, search)
        worst_fit = max(worst_fit, search if result.feasible else 0.0)
        answer = (
            f"{result.chosen.plan.describe()}, {result.peak_sram_bytes / KIB:,.0f} KiB, "
            f"{result.step_energy_j * 1e3:.3g} mJ"
            if result.feasible
            else f"nothing fits (over by {result.sram_overflow_bytes / KIB:,.0f} KiB)"
        )
        print(
            f"  {model:16s} {device:10s} {update:8s} {batch:5d} {budget_kib:5d} KiB "
            f"{milp.k:4d} {len(milp.pairs):5d} {built:8.3f} s {solved:5.3f} s {search:5.2f} s  {answer}"
        )
    verdict = "meets" if worst_fit <= 1.0 else "MISSES"
    print(
        f"worst whole search where a plan fits: {worst_fit:.2f} s ({verdict} the ~1 s goal); {worst:.2f} s "
        "with the nothing-fits cases (every micro-batch's tightest plan is searched)"
    )


if __name__ == "__main__":
    main()
