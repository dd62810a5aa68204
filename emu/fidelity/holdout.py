"""Held-out predictions: a scenario run with a cost table whose fitted constants were refitted without
the row being predicted (leave-one-out), so validation can show an out-of-sample error next to the
in-sample residual.

The refitted table differs from the shipped one only in the cycles-per-MAC constants of one library and
precision (:attr:`emu.fitting.RowFit.loo_fitted`); the per-output and per-call priors stay. The run is the
analytical sum of :mod:`emu.sim.analytical` over the same :class:`emu.context.RunContext` the simulator
builds, with the cost model swapped: with ``dma_overlap`` off (as validation runs) the event simulation
schedules exactly this work, so the two modes agree (a test checks it on the shipped table).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from emu.cost.task_cost import CostModel
from emu.scenario.scenario import Scenario
from emu.sim.analytical import run_analytical
from emu.sim.context import build_context
from hw_models.cores import CoreCostTable, KernelCost
from hw_models.frozen_mapping import FrozenMapping


def refit_table(
    table: CoreCostTable,
    library: str,
    precision: str,
    cycles_per_mac: Mapping[str, float],
    source: str,
) -> CoreCostTable:
    """``table`` with the cycles per MAC of some kernel classes of one library and precision replaced.

    Parameters
    ----------
    cycles_per_mac
        Kernel class -> new cycles per MAC (other terms of the entry are kept).
    source
        Citation of the new constants (which fit, without which row).
    """
    entries = dict(table.libraries[library][precision])
    for kernel_class, value in cycles_per_mac.items():
        old = entries[kernel_class]
        entries[kernel_class] = KernelCost(value, old.cycles_per_output, old.cycles_per_call, source)
    precisions = dict(table.libraries[library])
    precisions[precision] = FrozenMapping(entries)
    libraries = dict(table.libraries)
    libraries[library] = FrozenMapping(precisions)
    return replace(table, libraries=FrozenMapping(libraries))


def step_with_table(scenario: Scenario, table: CoreCostTable) -> tuple[float, float]:
    """One step of ``scenario`` costed with ``table``: (time in s, supply energy in J).

    The scenario's ``[session]`` section chooses clock, library and sample source as for
    :func:`emu.simulate`; ``dma_overlap`` must be off for the result to match the event simulation.
    """
    ctx = build_context(scenario)
    model = CostModel(ctx.memory.program, scenario.device, table, ctx.states.point, ctx.settings.library)
    record = run_analytical(replace(ctx, model=model, costs=model.costs()))
    return record.step_s, record.supply_steps_j
