"""``emu.simulate``: time and energy of one training session (or of inferences, with update ``none``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emu.errors import ScenarioError
from emu.scenario.scenario import Scenario
from emu.sim.analytical import run_analytical
from emu.sim.context import RunContext, build_context
from emu.sim.engine import EventEngine, RunRecord
from emu.sim.ledger import Ledger, LedgerEntry

MODES = ("event", "analytical")
STEP_PHASES = ("data", "forward", "loss", "backward", "update")


@dataclass(frozen=True)
class LayerCost:
    """One layer's share of a step: core time, energy (all components), cycles and flash reads."""

    name: str
    kind: str
    time_s: float
    energy_j: float
    cycles: float
    flash_read_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "time_s": self.time_s,
            "energy_j": self.energy_j,
            "cycles": self.cycles,
            "flash_read_bytes": self.flash_read_bytes,
        }


@dataclass(frozen=True)
class SimulationResult:
    """The time and energy of a session, with every joule in :attr:`ledger`.

    Attributes
    ----------
    ledger : Ledger
        The whole session (a step's entries carry ``count = steps``); every energy total is its sum.
    step_ledger : Ledger
        One step's entries.
    supply_energy_j : float
        The session energy as integrated on the supply side by the power meter (event mode).
    """

    context: RunContext
    mode: str
    record: RunRecord
    ledger: Ledger
    step_ledger: Ledger
    step_time_s: float
    session_time_s: float
    supply_energy_j: float
    layers: tuple[LayerCost, ...]
    infeasibilities: tuple[str, ...]

    @property
    def scenario(self) -> Scenario:
        return self.context.scenario

    @property
    def steps(self) -> int:
        return self.context.steps

    @property
    def feasible(self) -> bool:
        return not self.infeasibilities

    @property
    def step_energy_j(self) -> float:
        return self.step_ledger.total_j

    @property
    def session_energy_j(self) -> float:
        return self.ledger.total_j

    @property
    def peak_sram_bytes(self) -> int:
        return self.record.peak_sram_bytes

    def time_by_phase_s(self) -> dict[str, float]:
        """Core time per phase of one step."""
        times: dict[str, float] = {}
        start, end = self.record.head_s, self.record.head_s + self.record.step_s * self.record.steps_simulated
        for span in self.record.spans:
            if span.component == "core" and start <= span.start_s < end:
                times[span.phase] = times.get(span.phase, 0.0) + span.duration_s / self.record.steps_simulated
        return times

    def flash_wear(self) -> dict[int, int]:
        """Program/erase cycles each flash sector takes per session."""
        write = self.context.write_back
        return {s: 1 for s in write.sectors} if write else {}

    def to_dict(self) -> dict[str, Any]:
        """The ``tinyemu run --json`` document (its key names are a contract)."""
        ctx, s = self.context, self.context.scenario
        write = ctx.write_back
        endurance = s.device.flash.endurance_cycles
        return {
            "scenario": s.name,
            "device": s.device.name,
            "model": s.model.name,
            "plan": s.plan.to_dict(),
            "mode": self.mode,
            "clock_hz": ctx.states.point.clock_hz,
            "operating_point": ctx.states.point.label,
            "library": ctx.model.library,
            "dma_overlap": ctx.prefetch,
            "samples": ctx.settings.samples,
            "epochs": ctx.settings.epochs,
            "steps": self.steps,
            "feasible": self.feasible,
            "infeasibilities": list(self.infeasibilities),
            "step_time_s": self.step_time_s,
            "step_energy_j": self.step_energy_j,
            "session_time_s": self.session_time_s,
            "session_energy_j": self.session_energy_j,
            "supply_energy_j": self.supply_energy_j,
            "energy_by_component_j": self.ledger.by_component(),
            "energy_by_phase_j": self.ledger.by("phase"),
            "step_energy_by_component_j": self.step_ledger.by_component(),
            "step_energy_by_phase_j": self.step_ledger.by("phase"),
            "step_time_by_phase_s": self.time_by_phase_s(),
            "layers": [layer.to_dict() for layer in self.layers],
            "peak_sram_bytes": self.peak_sram_bytes,
            "planned_peak_sram_bytes": ctx.memory.peak_sram_bytes,
            "sram_bytes": s.device.sram_bytes,
            "write_back": {
                "sectors": list(write.sectors),
                "erase_s": write.erase_s,
                "program_bytes": write.program_bytes,
                "program_s": write.program_s,
            }
            if write
            else None,
            "flash_wear": {str(k): v for k, v in self.flash_wear().items()},
            "flash_endurance_sessions": endurance if write and write.sectors else None,
            "notes": list(ctx.notes),
            "events": self.record.events,
        }


def simulate(
    scenario: Scenario, mode: str = "event", reuse_steps: bool = True, trace: bool = False
) -> SimulationResult:
    """Simulate one session of ``scenario`` (its ``[session]`` section; defaults: 1 sample, 1 epoch).

    Parameters
    ----------
    mode
        ``event`` (SimPy processes: DMA overlaps compute when ``dma_overlap`` is on) or ``analytical``
        (the plain sum of task costs, nothing overlaps).
    reuse_steps
        Simulate one step and reuse it for every step (exact: see :mod:`emu.sim.engine`); False simulates
        every step event by event.
    trace
        Keep power and SRAM samples for :func:`emu.trace.chrome_trace`.
    """
    if mode not in MODES:
        raise ScenarioError(scenario.source, "mode", mode, "event or analytical")
    ctx = build_context(scenario)
    if mode == "analytical":
        record = run_analytical(ctx)
    else:
        record = EventEngine(ctx, 1 if reuse_steps else ctx.steps, samples=trace).run()
    return _result(ctx, mode, record)


def _result(ctx: RunContext, mode: str, record: RunRecord) -> SimulationResult:
    repeats = ctx.steps // record.steps_simulated
    step_s = record.step_s
    shift = step_s * (ctx.steps - record.steps_simulated)
    steps_part = Ledger(record.step_entries).repeated(repeats)
    tail = Ledger(record.tail).repeated(1, shift)
    ledger = Ledger.join(record.head, steps_part, tail)
    step_ledger = Ledger(record.step_entries if record.steps_simulated == 1 else _per_step(record))
    supply = record.supply_head_j + record.supply_steps_j * repeats + record.supply_tail_j
    infeasible = list(record.infeasible)
    s = ctx.scenario
    if ctx.memory.flash_used_bytes > s.device.flash_bytes:
        infeasible.append(
            f"flash: firmware and parameters need {ctx.memory.flash_used_bytes:,} B"
            f" of {s.device.flash_bytes:,} B"
        )
    return SimulationResult(
        context=ctx,
        mode=mode,
        record=record,
        ledger=ledger,
        step_ledger=step_ledger,
        step_time_s=step_s,
        session_time_s=record.head_s + step_s * ctx.steps + record.tail_s,
        supply_energy_j=supply,
        layers=_layers(ctx, record),
        infeasibilities=tuple(infeasible),
    )


def _per_step(record: RunRecord) -> tuple[LedgerEntry, ...]:
    """One step's worth of several simulated steps' entries: each entry's energy divided by the count."""
    n = record.steps_simulated
    return tuple(
        LedgerEntry(e.time_s, e.component, e.phase, e.layer, e.action, e.energy_j / n, e.count)
        for e in record.step_entries
    )


def _layers(ctx: RunContext, record: RunRecord) -> tuple[LayerCost, ...]:
    n = record.steps_simulated
    start, end = record.head_s, record.head_s + record.step_s * n
    time: dict[str, float] = {}
    for span in record.spans:
        if span.component == "core" and span.layer and start <= span.start_s < end:
            time[span.layer] = time.get(span.layer, 0.0) + span.duration_s / n
    energy = Ledger(record.step_entries).by("layer")
    cycles: dict[str, float] = {}
    flash: dict[str, int] = {}
    for cost in ctx.costs:
        cycles[cost.layer] = cycles.get(cost.layer, 0.0) + cost.cycles
        flash[cost.layer] = flash.get(cost.layer, 0) + cost.flash_read_bytes
    graph = ctx.memory.program.graph
    return tuple(
        LayerCost(
            node.name,
            node.kind,
            time.get(node.name, 0.0),
            energy.get(node.name, 0.0) / n,
            cycles.get(node.name, 0.0),
            flash.get(node.name, 0),
        )
        for node in graph
        if node.name in cycles or node.name in energy
    )
