"""The analytical mode: a session as a plain sum of its costs, no event queue.

Nothing overlaps here: every task takes its cost's duration one after the other, the DMA only copies
samples while the core waits, frozen weights are always read in place. With ``dma_overlap`` off the event
simulation schedules exactly this work, so the two must agree (a test checks it); with overlap on, the
difference is what overlap buys.
"""

from __future__ import annotations

from emu.sim.context import RunContext
from emu.sim.engine import RunRecord, Span
from emu.sim.ledger import LedgerEntry


def run_analytical(ctx: RunContext) -> RunRecord:
    """Sum the costs of a session (one step, reused for every step, as in the event mode)."""
    head: list[LedgerEntry] = []
    spans: list[Span] = []
    states = ctx.states
    now = 0.0

    def charge(
        out: list[LedgerEntry],
        component: str,
        power_w: float,
        duration_s: float,
        phase: str,
        layer: str,
        action: str,
    ) -> None:
        nonlocal now
        out.append(LedgerEntry(now, component, phase, layer, action, power_w * duration_s))
        spans.append(Span(component, layer or action, now, duration_s, phase, layer, action))
        now += duration_s

    if states.wake_s > 0:
        charge(head, "core", states.wake_power_w, states.wake_s, "wake", "", "wake")
    if states.switches_point and states.dvfs_transition_s > 0:
        charge(head, "core", ctx.run_power_w, states.dvfs_transition_s, "dvfs", "", "dvfs")
    head_s = now

    step: list[LedgerEntry] = []
    load = ctx.sample_load
    if load is not None:
        if load.by_dma:
            step.append(
                LedgerEntry(now, "dma", "data", "input", "load_sample", ctx.dma_power_w * load.duration_s)
            )
        charge(
            step,
            "core",
            ctx.run_power_w,
            load.duration_s,
            "data",
            "input",
            "wait" if load.by_dma else "load_sample",
        )
    for cost in ctx.costs:
        sram_j = ctx.model.sram_energy_j(cost.sram_traffic_bytes) if cost.kernel_class else 0.0
        if sram_j > 0 and cost.duration_s > 0:
            step.append(LedgerEntry(now, "sram", cost.phase, cost.layer, cost.action, sram_j))
        charge(step, "core", ctx.run_power_w, cost.duration_s, cost.phase, cost.layer, cost.action)
    step_s = now - head_s

    tail: list[LedgerEntry] = []
    write = ctx.write_back
    if write is not None:
        for piece in write.pieces(ctx.scenario.device.flash, ctx.supply_v):
            charge(tail, "flash", piece.power_w, piece.duration_s, "write_back", piece.target, piece.action)
    if ctx.settings.sleep_s > 0 and states.sleep is not None:
        charge(tail, "sleep", states.sleep_power_w, ctx.settings.sleep_s, "sleep", "", states.sleep.name)
    tail_s = now - head_s - step_s

    live = ctx.memory.live_bytes
    peak = ctx.memory.peak_sram_bytes
    device_sram = ctx.scenario.device.sram_bytes
    infeasible: tuple[str, ...] = ()
    if peak > device_sram:
        infeasible = (
            f"SRAM: the step needs {peak:,} B of {device_sram:,} B ({peak - device_sram:,} B over)",
        )
    del live
    return RunRecord(
        head=tuple(head),
        step_entries=tuple(step),
        tail=tuple(tail),
        head_s=head_s,
        step_s=step_s,
        tail_s=tail_s,
        steps_simulated=1,
        supply_head_j=sum(e.energy_j for e in head),
        supply_steps_j=sum(e.energy_j for e in step),
        supply_tail_j=sum(e.energy_j for e in tail),
        spans=tuple(spans),
        power_samples=(),
        sram_samples=(),
        peak_sram_bytes=peak,
        infeasible=infeasible,
        events=0,
    )
