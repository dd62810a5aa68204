"""Everything a run of a scenario needs, resolved once: program, memory plan, task costs, power states.

Both the event simulation (:mod:`emu.sim.engine`) and the analytical sum (:mod:`emu.sim.analytical`) read a
:class:`RunContext`; neither recomputes a cost on its own, so the two can only differ in how they
schedule the same work.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from emu.cost.power import PowerStates, resolve_point, resolve_sleep
from emu.cost.task_cost import CostModel, TaskCost
from emu.memory.memory_plan import MemoryPlan, plan_memory
from emu.scenario.scenario import Scenario
from emu.scenario.session import SessionSettings
from emu.sim.hardware import FlashWrite, plan_write_back
from hw_models.cores import load_core_table


@dataclass(frozen=True)
class SampleLoad:
    """Copying one step's batch (and labels) from flash into the input buffer.

    Attributes
    ----------
    by_dma : bool
        A memory-to-memory DMA copies while the core busy-waits (charged at the run power: sleeping
        through the copy is a firmware optimisation not modelled); otherwise the core copies.
    duration_s : float
        How long the copy takes.
    """

    size_bytes: int
    by_dma: bool
    duration_s: float


@dataclass(frozen=True)
class RunContext:
    """The resolved inputs of one simulation."""

    scenario: Scenario
    settings: SessionSettings
    memory: MemoryPlan
    model: CostModel
    costs: tuple[TaskCost, ...]
    states: PowerStates
    steps: int
    sample_load: SampleLoad | None
    write_back: FlashWrite | None
    flash_rate_bytes_per_s: float | None
    dma_rate_bytes_per_s: float
    prefetch: bool
    notes: tuple[str, ...]

    @property
    def run_power_w(self) -> float:
        return self.states.point.power_w

    @property
    def supply_v(self) -> float:
        return self.states.supply_voltage_v

    @property
    def dma_power_w(self) -> float:
        return self.scenario.device.dma.current_a * self.supply_v


class _Same:
    """A cache key part that matches only the very object it holds (and keeps it alive)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.value is self.value


def build_context(scenario: Scenario) -> RunContext:
    """Resolve a scenario and its ``[session]`` section into a :class:`RunContext`.

    Resolved once per process for an equal scenario and the same parsed core table (the table's loader
    parses its file again when the file changes, and that is another key).
    """
    context = _build_context(scenario, _Same(load_core_table(scenario.device.core.family)))
    # an equal scenario may carry another name and source: results must name the one asked about
    return context if context.scenario is scenario else replace(context, scenario=scenario)


@lru_cache(maxsize=128)
def _build_context(scenario: Scenario, table_key: _Same) -> RunContext:
    settings = scenario.session
    device = scenario.device
    table = table_key.value
    point = resolve_point(device, settings.clock_hz, settings.operating_point, scenario.source)
    memory = plan_memory(
        scenario.model, scenario.plan, scenario.reserved_sram_bytes, scenario.firmware_flash_bytes
    )
    model = CostModel(memory.program, device, table, point, settings.library)
    sleep = resolve_sleep(device, settings.sleep_state, scenario.source, "session.sleep_state")
    states = PowerStates(
        point, device.max_operating_point, sleep, device.supply_voltage_v, table.dvfs_transition_s
    )
    flash_rate = device.flash.read_throughput_at(point.clock_hz)
    dma_rate = min(device.dma.throughput_bytes_per_s, flash_rate or device.dma.throughput_bytes_per_s)
    notes = []
    prefetch = settings.dma_overlap and device.dma.memory_to_memory
    if settings.dma_overlap and not device.dma.memory_to_memory:
        notes.append(
            "dma_overlap: the device has no memory-to-memory DMA; frozen weights stay execute-in-place"
        )
    if settings.dma_overlap and flash_rate is None:
        notes.append("dma_overlap: no flash read rate known; execute-in-place reads are not time-bound")
    sample_load = None
    if settings.sample_source == "flash":
        # one micro-batch buffer, filled once per micro-step: the step loads every sample of its batch
        one_pass = sum(t.size_bytes for t in memory.program.tensors.values() if t.category == "input_batch")
        size = one_pass * scenario.plan.micro_steps
        if device.dma.memory_to_memory:
            sample_load = SampleLoad(size, True, size / dma_rate)
        else:
            copy_s = size * table.copy_cycles_per_byte / point.clock_hz
            sample_load = SampleLoad(size, False, max(copy_s, size / flash_rate if flash_rate else 0.0))
    write_back = None
    if settings.write_back and scenario.plan.trains:
        write_back = plan_write_back(memory, device.flash, scenario.firmware_flash_bytes)
    return RunContext(
        scenario=scenario,
        settings=settings,
        memory=memory,
        model=model,
        costs=model.costs(),
        states=states,
        steps=settings.steps(scenario.plan.batch_size),
        sample_load=sample_load,
        write_back=write_back,
        flash_rate_bytes_per_s=flash_rate,
        dma_rate_bytes_per_s=dma_rate,
        prefetch=prefetch and flash_rate is not None,
        notes=tuple(notes),
    )
