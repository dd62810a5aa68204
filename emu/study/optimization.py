"""``emu.optimize``: the cheapest plan that fits, over micro-batch sizes and save-or-recompute choices.

For every micro-batch size that divides the batch (when allowed), the step is lowered, priced by the cost
model and given to the recomputation MILP (:class:`emu.study.recompute_milp.RecomputeModel`) with the
device's SRAM minus the scenario's reserve as budget. The MILP bounds the live set; the greedy arena may
need more (fragmentation), so each choice is planned for real and, when the arena overflows, solved
again with the budget tightened by the overflow. The cheapest plan that the real planner accepts wins;
its energy and time come from the simulator's ledger (analytical mode). Everything else the user set
(update policy, optimizer, precision, reorder) stays as it is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from emu.errors import ScenarioError
from emu.memory.memory_plan import plan_memory
from emu.scenario.scenario import Scenario
from emu.sim.context import build_context
from emu.sim.simulation import simulate
from emu.study.recompute_milp import RecomputeChoice, RecomputeModel
from workloads.errors import did_you_mean
from workloads.plan import TrainingPlan

LEVERS = ("micro_batch", "recompute")
"""What ``optimize`` may change (``allow``); the rest of the plan stays as the user set it."""

MAX_SPAN = 8
"""Longest run of consecutive recomputed activations the MILP considers (see ``RecomputeModel``)."""

ARENA_RETRIES = 4

SOLVE_TIME_LIMIT_S = 10.0
"""HiGHS time per least-energy solve; a solve stopped early keeps its incumbent and reports its gap."""

MIN_PEAK_TIME_LIMIT_S = 0.5
"""HiGHS time for the tightest-peak problem (the curve's left end, the closest plan when nothing fits):
the best schedule found by then, not always the proven minimum (a deep graph's min-peak MILP is slow)."""


@dataclass(frozen=True)
class PlanPoint:
    """One plan the search priced: its micro-batch, recomputed layers, peak SRAM and step energy."""

    micro_batch_size: int
    recompute: tuple[str, ...]
    peak_sram_bytes: int
    step_energy_j: float
    fits: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "micro_batch_size": self.micro_batch_size,
            "recompute": list(self.recompute),
            "peak_sram_bytes": self.peak_sram_bytes,
            "step_energy_j": self.step_energy_j,
            "fits": self.fits,
        }


@dataclass(frozen=True)
class OptimizeResult:
    """The answer to "what is the cheapest way to train this model on this chip?".

    Attributes
    ----------
    chosen : Scenario
        The input scenario with the chosen plan (the closest plan when nothing fits).
    feasible : bool
        Whether the chosen plan fits the device.
    budget_bytes : int
        The SRAM the step may take, reserve included (the device's SRAM unless given).
    step_energy_j, step_time_s, peak_sram_bytes
        Of the chosen plan (simulator ledger, analytical mode; memory planner).
    sram_overflow_bytes, flash_overflow_bytes
        By how much the chosen plan misses the budget and the flash (0 when it fits).
    baseline : PlanPoint
        The scenario's own plan.
    pareto : tuple of PlanPoint
        Peak SRAM against step energy for the chosen micro-batch, budgets from tight to loose, dominated
        points removed.
    tried : tuple of PlanPoint
        The best plan found per micro-batch size.
    gap, solve_s
        The largest MILP optimality gap left (0: every solve proven optimal) and the search's wall time.
    breakdown_bytes
        Where the chosen plan's SRAM goes at its peak (the planner's categories): what overflows.
    """

    scenario: Scenario
    chosen: Scenario
    feasible: bool
    budget_bytes: int
    step_energy_j: float
    step_time_s: float
    peak_sram_bytes: int
    sram_overflow_bytes: int
    flash_overflow_bytes: int
    baseline: PlanPoint
    pareto: tuple[PlanPoint, ...]
    tried: tuple[PlanPoint, ...]
    gap: float
    solve_s: float
    breakdown_bytes: dict[str, int]
    method: str = "exact"

    def to_dict(self) -> dict[str, Any]:
        """The ``tinyemu optimize --json`` document."""
        return {
            "scenario": self.scenario.name,
            "device": self.scenario.device.name,
            "model": self.scenario.model.name,
            "feasible": self.feasible,
            "plan": self.chosen.plan.to_dict(),
            "budget_bytes": self.budget_bytes,
            "step_energy_j": self.step_energy_j,
            "step_time_s": self.step_time_s,
            "peak_sram_bytes": self.peak_sram_bytes,
            "sram_overflow_bytes": self.sram_overflow_bytes,
            "flash_overflow_bytes": self.flash_overflow_bytes,
            "baseline": self.baseline.to_dict(),
            "pareto": [p.to_dict() for p in self.pareto],
            "tried": [p.to_dict() for p in self.tried],
            "method": self.method,
            "gap": self.gap,
            "solve_s": self.solve_s,
            "breakdown": dict(self.breakdown_bytes),
        }


class _Step:
    """One micro-batch size: its lowered step, per-task energies, base energy and recompute model."""

    def __init__(self, scenario: Scenario, plan: TrainingPlan, recompute: bool) -> None:
        self.scenario = replace(scenario, plan=plan)
        ctx = build_context(self.scenario)
        self.program = ctx.memory.program
        self.ctx = ctx
        self.task_energy_j = [task_energy_j(ctx, c) for c in ctx.costs]
        self.base_energy_j = simulate(self.scenario, mode="analytical").step_energy_j
        self.model = RecomputeModel(self.program, self.task_energy_j, MAX_SPAN) if recompute else None
        self._tightest: RecomputeChoice | None = None

    def tightest_choice(self) -> RecomputeChoice:
        """The choice with the smallest live peak (no reserve; see ``MIN_PEAK_TIME_LIMIT_S``), once."""
        if self._tightest is None:
            if self.model is None:
                self._tightest = RecomputeChoice((), 0.0, max(self.ctx.memory.live_bytes or (0,)))
            else:
                self._tightest = self.model.tightest(MIN_PEAK_TIME_LIMIT_S)
        return self._tightest

    def point(self, layers: tuple[str, ...], budget_bytes: int) -> PlanPoint:
        """Plan ``layers`` recomputed for real: peak SRAM and the step energy with the extra tasks priced."""
        plan = self.scenario.plan.with_changes(recompute=layers)
        s = self.scenario
        memory = plan_memory(s.model, plan, s.reserved_sram_bytes, s.firmware_flash_bytes)
        ctx = self.ctx
        extra = 0.0
        if layers:
            from emu.cost.task_cost import CostModel

            model = CostModel(memory.program, s.device, ctx.model.table, ctx.model.point, ctx.model.library)
            extra = sum(task_energy_j(ctx, c, model) for c in model.costs()) - sum(self.task_energy_j)
        fits = memory.peak_sram_bytes <= budget_bytes and memory.flash_used_bytes <= s.device.flash_bytes
        return PlanPoint(
            plan.samples_per_pass, layers, memory.peak_sram_bytes, self.base_energy_j + extra, fits
        )

    def best(self, budget_bytes: int) -> tuple[PlanPoint | None, float]:
        """The cheapest plan of this micro-batch within ``budget_bytes`` (None: none), and the MILP gap."""
        keep = self.point((), budget_bytes)
        if keep.fits or self.model is None:
            return (keep if keep.fits else None), 0.0
        slack = 0
        for _ in range(ARENA_RETRIES):
            live_budget = budget_bytes - self.scenario.reserved_sram_bytes - slack
            choice = self.model.solve(live_budget, SOLVE_TIME_LIMIT_S)
            if choice is None:
                return None, 0.0
            point = self.point(choice.layers, budget_bytes)
            if point.fits:
                return point, choice.gap
            slack += max(point.peak_sram_bytes - budget_bytes, 1)  # fragmentation the live set misses
        return None, 0.0

    def tightest(self, budget_bytes: int) -> PlanPoint:
        """The plan with the smallest live peak the model reaches (what comes closest to fitting)."""
        return self.point(self.tightest_choice().layers, budget_bytes)


def task_energy_j(ctx: Any, cost: Any, model: Any = None) -> float:
    """Energy of one task as the analytical ledger charges it: core run power over its duration, plus
    SRAM access energy where the device gives a figure."""
    model = model or ctx.model
    sram = model.sram_energy_j(cost.sram_traffic_bytes) if cost.kernel_class else 0.0
    return ctx.run_power_w * cost.duration_s + (sram if cost.duration_s > 0 else 0.0)


def parse_allow(values: list[str] | tuple[str, ...] | None, source: str = "--allow") -> tuple[str, ...]:
    """The levers ``optimize`` may pull (default: all of :data:`LEVERS`); raises ScenarioError on others."""
    if not values:
        return LEVERS
    chosen = []
    for text in values:
        for item in (t.strip() for t in text.split(",")):
            key = item.replace("-", "_")
            if key not in LEVERS:
                raise ScenarioError(
                    source,
                    "allow",
                    item,
                    f"one of {', '.join(LEVERS)} (update policy, optimizer and precision are not searched "
                    "yet)" + did_you_mean(key, LEVERS),
                )
            chosen.append(key)
    return tuple(dict.fromkeys(chosen))


def optimize(
    scenario: Scenario,
    allow: tuple[str, ...] = LEVERS,
    sram_budget_bytes: int | None = None,
    pareto_points: int = 6,
) -> OptimizeResult:
    """The cheapest plan of ``scenario`` (energy per step) whose memory fits, and the trade-off curve.

    Parameters
    ----------
    allow
        Levers among :data:`LEVERS`; the plan's own micro-batch and recomputation stay when not allowed.
    sram_budget_bytes
        SRAM the step may take, reserve included (default: the device's SRAM).
    pareto_points
        Budgets of the trade-off curve, from the tightest reachable peak to keeping everything.
    """
    start = time.perf_counter()
    budget = scenario.device.sram_bytes if sram_budget_bytes is None else sram_budget_bytes
    if isinstance(budget, bool) or not isinstance(budget, int) or budget <= 0:
        raise ScenarioError(scenario.source, "sram_budget", budget, "a positive number of bytes")
    plan = scenario.plan
    micros = [m for m in range(plan.batch_size, 0, -1) if plan.batch_size % m == 0]
    if "micro_batch" not in allow:
        micros = [plan.samples_per_pass]
    recompute = "recompute" in allow and plan.trains
    steps = []
    for m in micros:
        changes: dict[str, Any] = {"micro_batch_size": None if m == plan.batch_size else m}
        if recompute:
            changes["recompute"] = ()
        steps.append(_Step(scenario, plan.with_changes(**changes), recompute))
    tried, gap = [], 0.0
    best: tuple[PlanPoint, _Step] | None = None
    for step in steps:
        point, solve_gap = step.best(budget)
        gap = max(gap, solve_gap)
        if point is not None:
            tried.append(point)
            if best is None or point.step_energy_j < best[0].step_energy_j:
                best = (point, step)
    own = _Step(scenario, plan, False)
    baseline = own.point(plan.recompute, budget)
    if best is None:
        closest = [(step.tightest(budget), step) for step in steps]
        tried = [p for p, _ in closest]
        best = min(closest, key=lambda ps: (ps[0].peak_sram_bytes, ps[0].step_energy_j))
    point, step = best
    chosen = replace(scenario, plan=step.scenario.plan.with_changes(recompute=point.recompute))
    pareto = _pareto(step, point, budget, pareto_points) if recompute else (point,)
    sim = simulate(chosen, mode="analytical")
    memory = plan_memory(chosen.model, chosen.plan, chosen.reserved_sram_bytes, chosen.firmware_flash_bytes)
    return OptimizeResult(
        scenario=scenario,
        chosen=chosen,
        feasible=point.fits,
        budget_bytes=budget,
        step_energy_j=sim.step_energy_j,
        step_time_s=sim.step_time_s,
        peak_sram_bytes=memory.peak_sram_bytes,
        sram_overflow_bytes=max(0, memory.peak_sram_bytes - budget),
        flash_overflow_bytes=max(0, memory.flash_used_bytes - scenario.device.flash_bytes),
        baseline=baseline,
        pareto=pareto,
        tried=tuple(tried),
        gap=gap,
        solve_s=time.perf_counter() - start,
        breakdown_bytes=dict(memory.breakdown_bytes),
    )


def _pareto(step: _Step, chosen: PlanPoint, budget: int, count: int) -> tuple[PlanPoint, ...]:
    """Peak SRAM against energy for ``step``'s micro-batch: budgets from the tightest peak to keep-all."""
    if step.model is None:
        return (chosen,)
    keep = step.point((), 1 << 62)
    tightest = step.tightest(budget)
    low = tightest.peak_sram_bytes
    high = keep.peak_sram_bytes
    points = [keep, chosen, tightest]
    for n in range(1, count - 1):  # the two ends are keep and tightest
        target = high - (high - low) * n // (count - 1)  # from loose to tight
        found, _ = step.best(target)
        if found is not None:
            points.append(found)
    points = [replace(p, fits=chosen.fits and p.peak_sram_bytes <= budget) for p in points]
    points = sorted(set(points), key=lambda p: (p.peak_sram_bytes, p.step_energy_j))
    front: list[PlanPoint] = []
    for p in points:  # ascending peak: keep a point only if it is cheaper than every smaller one
        if not front or p.step_energy_j < front[-1].step_energy_j - 1e-15:
            front.append(p)
    return tuple(front)
