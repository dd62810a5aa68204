"""The event simulation: SimPy processes for the core, the DMA, the flash and the power states.

The core process walks the session: wake-up, an operating-point switch, the training steps (each task
at its cost, allocating and freeing its SRAM tensors), the write-back of the trained weights (erase and
program, sector by sector), then sleep. With ``dma_overlap`` a DMA process copies the next frozen
layer's weights from flash into an SRAM staging buffer while the core computes; when the core reaches
that layer it reads whatever has arrived from SRAM and the rest in place from flash (it never waits for
the DMA, so overlap never makes a task slower).

Why one simulated step stands exactly for every step of a session: a step starts from the same state
each time (the same arena layout with the same tensors live, the DMA idle, no prefetch in flight, the
same operating point), and every duration and power depends only on tensor sizes and the device, never
on data values or absolute time. So step k is step 1 shifted by ``(k - 1) x step_time_s``, and its
ledger entries are step 1's; :class:`emu.ledger.LedgerEntry` records them once with ``count = steps``.
A test simulates a few steps event by event and finds the same totals.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import simpy

from emu.cost.power import PowerMeter
from emu.cost.task_cost import TaskCost
from emu.errors import ScenarioError
from emu.sim.context import RunContext
from emu.sim.hardware import FlashWrite, Sram
from emu.sim.ledger import LedgerEntry, LedgerRecorder


@dataclass(frozen=True)
class Span:
    """A slice of time on one component's track (for the trace and the per-layer times)."""

    component: str
    name: str
    start_s: float
    duration_s: float
    phase: str
    layer: str
    action: str


@dataclass(frozen=True)
class RunRecord:
    """What one simulation run observed; :mod:`emu.sim.simulation` turns it into a result.

    The ledger is split into the session's head (wake, operating-point switch), its steps and its tail
    (write-back, sleep); ``step_entries`` are the entries of ``steps_simulated`` steps.
    """

    head: tuple[LedgerEntry, ...]
    step_entries: tuple[LedgerEntry, ...]
    tail: tuple[LedgerEntry, ...]
    head_s: float
    step_s: float
    tail_s: float
    steps_simulated: int
    supply_head_j: float
    supply_steps_j: float
    supply_tail_j: float
    spans: tuple[Span, ...]
    power_samples: tuple[tuple[float, float], ...]
    sram_samples: tuple[tuple[float, int], ...]
    peak_sram_bytes: int
    infeasible: tuple[str, ...]
    events: int


class EventEngine:
    """Runs a :class:`RunContext` on SimPy processes.

    Parameters
    ----------
    steps : int
        Steps to simulate event by event (1 when a session reuses its first step).
    samples : bool
        Keep power and SRAM samples for the trace.
    """

    def __init__(self, ctx: RunContext, steps: int = 1, samples: bool = False) -> None:
        self.ctx = ctx
        self.steps = steps
        self.env = simpy.Environment()
        self.meter = PowerMeter(samples)
        self.ledger = LedgerRecorder()
        self.sram = Sram(
            ctx.memory, ctx.scenario.device.sram_bytes, ctx.scenario.reserved_sram_bytes, samples
        )
        self.spans: list[Span] = []
        self.events = 0
        self.marks: dict[str, tuple[float, float, int]] = {}
        program = ctx.memory.program
        self.starting: dict[int, list[str]] = {}
        self.ending: dict[int, list[str]] = {}
        for name, (first, last) in program.lifetimes.items():
            self.starting.setdefault(first, []).append(name)
            self.ending.setdefault(last, []).append(name)
        readers = [c.index for c in ctx.costs if c.flash_read_bytes and c.xip_s > 0]
        self.next_reader = {}
        for i in range(len(ctx.costs)):
            self.next_reader[i] = next((r for r in readers if r > i), None)
        self.prefetches: dict[int, tuple[simpy.Process, float, int]] = {}

    # -- the one primitive: a component busy at a power for a time -----------------------------------
    def busy(
        self, component: str, power_w: float, duration_s: float, phase: str, layer: str, action: str
    ) -> Generator[simpy.Event, None, None]:
        start = self.env.now
        self.meter.add(start, component, power_w)
        yield self.env.timeout(duration_s)
        self.events += 1
        self.meter.add(self.env.now, component, -power_w)
        self.ledger.record(start, component, phase, layer, action, power_w * duration_s)
        self.spans.append(Span(component, layer or action, start, duration_s, phase, layer, action))

    def _mark(self, name: str) -> None:
        self.meter.advance(self.env.now)
        self.marks[name] = (self.env.now, self.meter.energy_j, len(self.ledger.entries))

    # -- processes -----------------------------------------------------------------------------------
    def session(self) -> Generator[simpy.Event, None, None]:
        ctx, states = self.ctx, self.ctx.states
        self._mark("start")
        if states.wake_s > 0:
            yield from self.busy("core", states.wake_power_w, states.wake_s, "wake", "", "wake")
        if states.switches_point and states.dvfs_transition_s > 0:
            yield from self.busy("core", ctx.run_power_w, states.dvfs_transition_s, "dvfs", "", "dvfs")
        self._mark("steps")
        for _ in range(self.steps):
            yield from self.step()
        self._mark("tail")
        if ctx.write_back is not None:
            yield from self.write_back(ctx.write_back)
        if ctx.settings.sleep_s > 0 and states.sleep is not None:
            yield from self.busy(
                "sleep", states.sleep_power_w, ctx.settings.sleep_s, "sleep", "", states.sleep.name
            )
        self._mark("end")

    def step(self) -> Generator[simpy.Event, None, None]:
        ctx = self.ctx
        load = ctx.sample_load
        if load is not None:
            if load.by_dma:
                self.meter.add(self.env.now, "dma", ctx.dma_power_w)
                self.ledger.record(
                    self.env.now, "dma", "data", "input", "load_sample", ctx.dma_power_w * load.duration_s
                )
                yield from self.busy("core", ctx.run_power_w, load.duration_s, "data", "input", "wait")
                self.meter.add(self.env.now, "dma", -ctx.dma_power_w)
            else:
                yield from self.busy("core", ctx.run_power_w, load.duration_s, "data", "input", "load_sample")
        for cost in ctx.costs:
            yield from self.task(cost)

    def task(self, cost: TaskCost) -> Generator[simpy.Event, None, None]:
        ctx, sram, now = self.ctx, self.sram, self.env.now
        sram.allocate(
            now, self.starting.get(cost.index, []), f"task {cost.index} ({cost.action} {cost.layer})"
        )
        duration, staged = cost.duration_s, 0
        if cost.index in self.prefetches:
            process, started, staged = self.prefetches.pop(cost.index)
            arrived = min(cost.flash_read_bytes, (now - started) * ctx.dma_rate_bytes_per_s)
            remaining = cost.flash_read_bytes - arrived
            if process.is_alive:
                process.interrupt()
            rate = ctx.flash_rate_bytes_per_s
            if rate is None:
                raise RuntimeError("a prefetch was started without a known flash read rate")
            duration = max(
                cost.compute_s, remaining / rate if remaining > 1e-9 * cost.flash_read_bytes else 0.0
            )
        nxt = self.next_reader.get(cost.index)
        if ctx.prefetch and nxt is not None and nxt not in self.prefetches:
            self._start_prefetch(ctx.costs[nxt])
        sram_j = ctx.model.sram_energy_j(cost.sram_traffic_bytes) if cost.kernel_class else 0.0
        if sram_j > 0 and duration > 0:
            self.meter.add(now, "sram", sram_j / duration)
            self.ledger.record(now, "sram", cost.phase, cost.layer, cost.action, sram_j)
        yield from self.busy("core", ctx.run_power_w, duration, cost.phase, cost.layer, cost.action)
        if sram_j > 0 and duration > 0:
            self.meter.add(self.env.now, "sram", -sram_j / duration)
        if staged:
            sram.unstage(self.env.now, staged)
        sram.free(self.env.now, self.ending.get(cost.index, []))

    def _start_prefetch(self, target: TaskCost) -> None:
        size = target.flash_read_bytes
        if size > self.sram.free_above_arena_bytes:
            return  # no room for a staging buffer: this layer stays execute-in-place
        self.sram.stage(self.env.now, size, f"prefetch of {target.layer}")
        process = self.env.process(self.prefetch(target))
        self.prefetches[target.index] = (process, self.env.now, size)

    def prefetch(self, target: TaskCost) -> Generator[simpy.Event, None, None]:
        ctx, start = self.ctx, self.env.now
        self.meter.add(start, "dma", ctx.dma_power_w)
        try:
            yield self.env.timeout(target.flash_read_bytes / ctx.dma_rate_bytes_per_s)
        except simpy.Interrupt:
            pass
        self.events += 1
        duration = self.env.now - start
        self.meter.add(self.env.now, "dma", -ctx.dma_power_w)
        self.ledger.record(start, "dma", target.phase, target.layer, "prefetch", ctx.dma_power_w * duration)
        self.spans.append(Span("dma", target.layer, start, duration, target.phase, target.layer, "prefetch"))

    def write_back(self, write: FlashWrite) -> Generator[simpy.Event, None, None]:
        ctx = self.ctx
        for piece in write.pieces(ctx.scenario.device.flash, ctx.supply_v):
            yield from self.busy(
                "flash", piece.power_w, piece.duration_s, "write_back", piece.target, piece.action
            )

    # -- running -------------------------------------------------------------------------------------
    def run(self) -> RunRecord:
        main = self.env.process(self.session())
        try:
            self.env.run(until=main)
        except RuntimeError as err:  # SimPy: the queue ran dry before the session ended
            raise ScenarioError(
                self.ctx.scenario.source, "simulation", str(err), "a run that completes"
            ) from None
        marks = self.marks
        if "end" not in marks:
            raise ScenarioError(self.ctx.scenario.source, "simulation", "stalled", "a run that completes")
        entries = tuple(self.ledger.entries)
        (t0, e0, _), (t1, e1, i1), (t2, e2, i2), (t3, e3, _) = (
            marks["start"],
            marks["steps"],
            marks["tail"],
            marks["end"],
        )
        return RunRecord(
            head=entries[:i1],
            step_entries=entries[i1:i2],
            tail=entries[i2:],
            head_s=t1 - t0,
            step_s=(t2 - t1) / max(self.steps, 1),
            tail_s=t3 - t2,
            steps_simulated=self.steps,
            supply_head_j=e1 - e0,
            supply_steps_j=e2 - e1,
            supply_tail_j=e3 - e2,
            spans=tuple(self.spans),
            power_samples=tuple(self.meter.samples),
            sram_samples=tuple(self.sram.samples),
            peak_sram_bytes=self.sram.peak_bytes,
            infeasible=tuple(self.sram.infeasible),
            events=self.events,
        )
