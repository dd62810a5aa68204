"""``emu.plan``: the memory plan and feasibility verdict of a scenario, as one serialisable result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emu.memory.memory_plan import MemoryPlan, plan_memory
from emu.memory.verdict import Verdict, judge
from emu.scenario.scenario import Scenario
from workloads.step_program import trained_param_count


@dataclass(frozen=True)
class PlanResult:
    """The answer to "does this plan fit on this chip, and where does the memory go?"."""

    scenario: Scenario
    memory: MemoryPlan
    verdict: Verdict

    @property
    def feasible(self) -> bool:
        return self.verdict.feasible

    def to_dict(self) -> dict[str, Any]:
        """The ``tinyemu plan --json`` document (its key names are a contract)."""
        s, m = self.scenario, self.memory
        return {
            "scenario": s.name,
            "device": s.device.name,
            "model": s.model.name,
            "plan": s.plan.to_dict(),
            "feasible": self.verdict.feasible,
            "peak_sram_bytes": m.peak_sram_bytes,
            "sram_bytes": s.device.sram_bytes,
            "flash_used_bytes": m.flash_used_bytes,
            "flash_bytes": s.device.flash_bytes,
            "breakdown": dict(m.breakdown_bytes),
            "flash_breakdown": dict(m.flash_breakdown_bytes),
            "peak_task": _task_dict(m, m.peak_task),
            "trained_params": sum(_trained(m).values()),
            "layers": [layer.to_dict() for layer in m.layers],
            "verdict": self.verdict.to_dict(),
        }


def _trained(memory: MemoryPlan) -> dict[str, int]:
    g = memory.program.graph
    return {name: trained_param_count(g[name], t) for name, t in memory.program.training.items()}


def _task_dict(memory: MemoryPlan, index: int) -> dict[str, Any]:
    if not memory.program.tasks:
        return {}
    task = memory.program.tasks[index]
    return {"index": task.index, "phase": task.phase, "action": task.action, "layer": task.layer}


def plan(scenario: Scenario, suggest: bool = True) -> PlanResult:
    """Plan the memory of one training step of ``scenario`` and judge it against the device.

    Parameters
    ----------
    suggest
        When the plan does not fit, also plan the single changes that would shrink it (a few more plans).
    """
    memory = plan_memory(
        scenario.model, scenario.plan, scenario.reserved_sram_bytes, scenario.firmware_flash_bytes
    )
    verdict = judge(
        memory,
        scenario.device,
        scenario.model,
        scenario.plan,
        scenario.reserved_sram_bytes,
        scenario.firmware_flash_bytes,
        suggest,
    )
    return PlanResult(scenario, memory, verdict)
