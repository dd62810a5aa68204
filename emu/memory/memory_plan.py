"""The memory plan of one training step: arena placement, peak SRAM, flash use and breakdowns."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from emu.memory.arena import ArenaPlan, Buffer, aligned, live_bytes_per_step, plan_arena
from workloads.graph import Graph
from workloads.plan import TrainingPlan
from workloads.program import lower
from workloads.step_program import SRAM_CATEGORIES, StepProgram, stored_param_bytes, trained_out_channels


@dataclass(frozen=True)
class LayerMemory:
    """Per-layer view of the plan: what the layer is, what it trains, what it costs in memory."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int
    macs: int
    trains: str
    flash_bytes: int
    trained_weight_bytes: int
    activation_bytes: int
    saved_for_backward_bytes: int
    activation_gradient_bytes: int
    gradient_bytes: int
    optimizer_state_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "output_shape": list(self.output_shape),
            "params": self.params,
            "macs": self.macs,
            "trains": self.trains,
            "flash_bytes": self.flash_bytes,
            "trained_weight_bytes": self.trained_weight_bytes,
            "activation_bytes": self.activation_bytes,
            "saved_for_backward_bytes": self.saved_for_backward_bytes,
            "activation_gradient_bytes": self.activation_gradient_bytes,
            "gradient_bytes": self.gradient_bytes,
            "optimizer_state_bytes": self.optimizer_state_bytes,
        }


@dataclass(frozen=True)
class MemoryPlan:
    """Where every byte of one training step goes.

    ``breakdown_bytes`` describes the moment of the largest live set: the SRAM categories (plus
    ``reserved`` and the arena's ``fragmentation``) add up to ``peak_sram_bytes``.
    """

    program: StepProgram
    arena: ArenaPlan
    peak_sram_bytes: int
    peak_task: int
    breakdown_bytes: dict[str, int]
    flash_used_bytes: int
    flash_breakdown_bytes: dict[str, int]
    layers: tuple[LayerMemory, ...]
    live_bytes: tuple[int, ...]

    def live_at_peak(self) -> list[tuple[str, int, str, str]]:
        """(tensor, aligned bytes, category, layer) alive at the peak task, largest first."""
        rows = [
            (t.name, aligned(t.size_bytes), t.category, t.layer) for t in self.program.live_at(self.peak_task)
        ]
        return sorted(rows, key=lambda r: (-r[1], r[0]))


def _buffers(program: StepProgram) -> list[Buffer]:
    return [
        Buffer(name, program.tensors[name].size_bytes, a, b) for name, (a, b) in program.lifetimes.items()
    ]


def _describe_training(program: StepProgram, name: str) -> str:
    """``w`` (weights), ``w 16/64ch`` (sparse weights), ``b`` (bias), joined with ``+``; ``-`` if frozen."""
    training = program.training.get(name)
    if training is None:
        return "-"
    parts = []
    if training.weight_fraction >= 1:
        parts.append("w")
    elif training.weight_fraction > 0:
        node = program.graph[name]
        parts.append(f"w {trained_out_channels(node, training)}/{node.output_shape[-1]}ch")
    if training.bias:
        parts.append("b")
    return "+".join(parts)


@lru_cache(maxsize=128)
def plan_memory(
    graph: Graph, plan: TrainingPlan, reserved_sram_bytes: int = 0, firmware_flash_bytes: int = 0
) -> MemoryPlan:
    """Lower, place and account one training step of ``graph`` under ``plan``.

    Computed once per process for equal arguments (graph and plan are values; the plan is read-only).

    Parameters
    ----------
    reserved_sram_bytes
        SRAM the firmware keeps for itself (stack, heap, drivers), outside the arena.
    firmware_flash_bytes
        Flash taken by the code, outside the model's parameters.
    """
    program = lower(graph, plan)
    buffers = _buffers(program)
    arena = plan_arena(buffers)
    live = live_bytes_per_step(buffers, len(program.tasks))
    peak_task = max(range(len(live)), key=live.__getitem__) if live else 0
    breakdown = dict.fromkeys(SRAM_CATEGORIES, 0)
    for tensor in program.live_at(peak_task):
        breakdown[tensor.category] += aligned(tensor.size_bytes)
    breakdown["fragmentation"] = arena.peak_bytes - (live[peak_task] if live else 0)
    breakdown["reserved"] = reserved_sram_bytes
    peak_sram = arena.peak_bytes + reserved_sram_bytes

    stored = stored_param_bytes(graph, plan)
    trained_sram = {
        t.layer: t.size_bytes for t in program.tensors.values() if t.category == "trained_weights"
    }
    trained_copy = {layer: min(b, trained_sram.get(layer, 0)) for layer, b in stored.items()}
    frozen_flash = sum(stored.values()) - sum(trained_copy.values())
    flash_breakdown = {
        "frozen_weights": frozen_flash,
        "trained_weights_copy": sum(trained_copy.values()),
        "firmware": firmware_flash_bytes,
    }
    breakdown = {"frozen_weights_flash": frozen_flash, **breakdown}

    per_layer: dict[str, dict[str, int]] = {n.name: {} for n in graph}
    for tensor in program.tensors.values():
        row = per_layer[tensor.layer]
        kind = "activation_gradients" if tensor.name.startswith("grad:") else tensor.category
        row[kind] = row.get(kind, 0) + tensor.size_bytes
    layers = tuple(
        LayerMemory(
            name=node.name,
            kind=node.kind,
            output_shape=node.output_shape,
            params=node.param_count,
            macs=node.macs,
            trains=_describe_training(program, node.name),
            flash_bytes=stored.get(node.name, 0),
            trained_weight_bytes=per_layer[node.name].get("trained_weights", 0),
            activation_bytes=per_layer[node.name].get("transient", 0)
            + per_layer[node.name].get("activations_saved", 0),
            saved_for_backward_bytes=per_layer[node.name].get("activations_saved", 0),
            activation_gradient_bytes=per_layer[node.name].get("activation_gradients", 0),
            gradient_bytes=per_layer[node.name].get("gradients", 0),
            optimizer_state_bytes=per_layer[node.name].get("optimizer_state", 0),
        )
        for node in graph
    )
    return MemoryPlan(
        program,
        arena,
        peak_sram,
        peak_task,
        breakdown,
        sum(flash_breakdown.values()),
        flash_breakdown,
        layers,
        tuple(live),
    )
