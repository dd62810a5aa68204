"""The feasibility verdict: does the plan fit, what overflows, and which plan changes would make it fit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emu.memory.memory_plan import MemoryPlan, plan_memory
from hw_models.device import Device
from workloads.errors import WorkloadError
from workloads.graph import Graph
from workloads.plan import TrainingPlan

PLAN_FLAGS = {
    "batch_size": "--batch",
    "reorder": "--reorder",
    "optimizer": "--optimizer",
    "precision": "--precision",
    "update": "--update",
}
"""The command-line flag of each plan field a suggestion changes."""


def flags_of(changes: tuple[tuple[str, Any], ...]) -> str:
    """The command-line spelling of plan changes (``--batch 1 --reorder``), as ``tinyemu plan`` takes them."""
    words = []
    for key, value in changes:
        if isinstance(value, bool):
            words.append(PLAN_FLAGS[key])
        elif key == "update" and value == "none":
            words.append(f"{PLAN_FLAGS[key]} none (inference only)")
        else:
            words.append(f"{PLAN_FLAGS[key]} {value}")
    return " ".join(words)


@dataclass(frozen=True)
class Suggestion:
    """A plan change and the memory it would need.

    ``changes`` are the plan fields it sets and their values, in order (the data an optimiser also
    produces); ``change`` is their command-line spelling.
    """

    changes: tuple[tuple[str, Any], ...]
    plan: TrainingPlan
    peak_sram_bytes: int
    flash_used_bytes: int
    sram_saved_bytes: int
    fits: bool

    @property
    def change(self) -> str:
        return flags_of(self.changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "change": self.change,
            "plan": self.plan.describe(),
            "peak_sram_bytes": self.peak_sram_bytes,
            "flash_used_bytes": self.flash_used_bytes,
            "sram_saved_bytes": self.sram_saved_bytes,
            "fits": self.fits,
        }


@dataclass(frozen=True)
class Verdict:
    """Feasible or not against the device's SRAM and flash, explained."""

    feasible: bool
    sram_overflow_bytes: int
    flash_overflow_bytes: int
    contributors: tuple[tuple[str, int, str, str], ...]
    suggestions: tuple[Suggestion, ...]
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "feasible": self.feasible,
            "sram_overflow_bytes": self.sram_overflow_bytes,
            "flash_overflow_bytes": self.flash_overflow_bytes,
            "contributors": [
                {"tensor": t, "bytes": b, "category": c, "layer": layer}
                for t, b, c, layer in self.contributors
            ],
            "suggestions": [s.to_dict() for s in self.suggestions],
            "notes": list(self.notes),
        }


Changes = tuple[tuple[str, Any], ...]


def _candidates(plan: TrainingPlan) -> list[tuple[Changes, TrainingPlan]]:
    """Single plan changes that can only shrink memory, then all of the cheap ones together.

    Cheap: batch 1, reorder, plain SGD, int8 (they keep what trains); then each smaller update policy
    on its own and with the cheap ones; inference only last.
    """
    cheap: list[tuple[str, Any]] = []
    if plan.batch_size > 1:
        cheap.append(("batch_size", 1))
    if plan.trains and not plan.reorder:
        cheap.append(("reorder", True))
    if plan.trains and plan.optimizer != "sgd":
        cheap.append(("optimizer", "sgd"))
    if plan.precision == "fp32":
        cheap.append(("precision", "int8"))
    updates = (
        [("update", u) for u in ("bias", "last:1")] if plan.update not in ("none", "bias", "last:1") else []
    )
    options: list[Changes] = [(c,) for c in cheap]
    options += [(u,) for u in updates]
    if plan.trains:
        options.append((("update", "none"),))
    if len(cheap) > 1:
        options.append(tuple(cheap))
    if cheap:
        options += [(*cheap, u) for u in updates]
    result = []
    for changes in options:
        try:
            result.append((changes, plan.with_changes(**dict(changes))))
        except WorkloadError:
            continue
    return result


def judge(
    memory: MemoryPlan,
    device: Device,
    graph: Graph,
    plan: TrainingPlan,
    reserved_sram_bytes: int = 0,
    firmware_flash_bytes: int = 0,
    suggest: bool = True,
) -> Verdict:
    """Compare ``memory`` with ``device``; when it does not fit, price the plan changes that would help."""
    sram_over = max(0, memory.peak_sram_bytes - device.sram_bytes)
    flash_over = max(0, memory.flash_used_bytes - device.flash_bytes)
    feasible = sram_over == 0 and flash_over == 0
    notes = []
    largest_bank = device.largest_sram_bank_bytes
    if memory.peak_sram_bytes <= device.sram_bytes and memory.peak_sram_bytes > largest_bank:
        notes.append(
            f"the arena ({memory.peak_sram_bytes} B) is larger than the largest contiguous SRAM bank "
            f"({largest_bank} B): the firmware must split it across banks"
        )
    if reserved_sram_bytes == 0 and firmware_flash_bytes == 0:
        notes.append(
            "no SRAM is reserved for the firmware (stack, heap, a radio stack) and no flash for its code: "
            "the verdict is for the training arena alone; set memory.reserved_sram_kib and "
            "memory.firmware_flash_kib (for example --set memory.reserved_sram_kib=16)"
        )
    contributors = tuple(memory.live_at_peak()[:8]) if sram_over else ()
    suggestions: list[Suggestion] = []
    if not feasible and suggest:
        for changes, candidate in _candidates(plan):
            other = plan_memory(graph, candidate, reserved_sram_bytes, firmware_flash_bytes)
            saved = memory.peak_sram_bytes - other.peak_sram_bytes
            if saved <= 0 and other.flash_used_bytes >= memory.flash_used_bytes:
                continue
            fits = other.peak_sram_bytes <= device.sram_bytes and other.flash_used_bytes <= device.flash_bytes
            suggestions.append(
                Suggestion(changes, candidate, other.peak_sram_bytes, other.flash_used_bytes, saved, fits)
            )
        # first what fits, the least drastic change first; then the rest, the biggest saving first
        suggestions.sort(key=lambda s: (not s.fits, s.sram_saved_bytes if s.fits else -s.sram_saved_bytes))
    return Verdict(feasible, sram_over, flash_over, contributors, tuple(suggestions), tuple(notes))
