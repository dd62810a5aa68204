"""The save-or-recompute MILP against brute force over the real lowering, its model against the planner."""

import itertools
import random
from dataclasses import replace

import pytest

import emu
from emu.cost.task_cost import CostModel
from emu.memory.memory_plan import plan_memory
from emu.sim.context import build_context
from emu.study.optimization import task_energy_j
from emu.study.recompute_milp import RecomputeModel


def scenario(model, **plan):
    return emu.Scenario.from_dict({"device": {"name": "stm32f746"}, "model": model, "plan": plan})


CHAIN = scenario({"name": "mlp", "inputs": 64, "hidden": [48, 40, 32, 32, 24, 24, 16]}, batch_size=64)
DSCNN = scenario({"name": "mlperf-dscnn"}, batch_size=2)


def realised(s, layers):
    """Live peak and step energy of recomputing ``layers``, from the planner and the cost model."""
    ctx = build_context(s)
    plan = s.plan.with_changes(recompute=tuple(layers))
    memory = plan_memory(s.model, plan)
    model = CostModel(memory.program, s.device, ctx.model.table, ctx.model.point, ctx.model.library)
    return max(memory.live_bytes), sum(task_energy_j(ctx, c, model) for c in model.costs())


def milp_model(s, max_span=None):
    ctx = build_context(s)
    return RecomputeModel(ctx.memory.program, [task_energy_j(ctx, c) for c in ctx.costs], max_span)


@pytest.fixture(scope="module")
def brute_force():
    model = milp_model(CHAIN)
    rows = []
    for n in range(model.k + 1):
        for subset in itertools.combinations(model.layers, n):
            rows.append((subset, *realised(CHAIN, subset)))
    return model, rows


def test_the_model_predicts_the_planners_live_peak_and_the_energy_of_every_subset(brute_force):
    model, rows = brute_force
    base_energy = rows[0][2]
    for subset, peak, energy in rows:
        predicted = model.predict(subset)
        assert predicted.peak_live_bytes == peak, subset
        assert base_energy + predicted.extra_energy_j == pytest.approx(energy, rel=1e-12), subset


def test_the_milp_finds_the_brute_force_optimum_at_every_budget(brute_force):
    model, rows = brute_force
    assert len(rows) == 2**model.k == 128
    peaks = sorted({peak for _, peak, _ in rows})
    assert len(peaks) > 10  # the budget matters: the peak is in the backward pass
    budgets = sorted({peaks[0] - 1, *peaks, *(p + 4 for p in peaks[::3])})
    for budget in budgets:
        fitting = [energy for _, peak, energy in rows if peak <= budget]
        choice = model.solve(budget)
        if not fitting:
            assert choice is None
            continue
        assert choice is not None
        peak, energy = realised(CHAIN, choice.layers)
        assert peak <= budget
        assert energy == pytest.approx(min(fitting), rel=1e-9, abs=1e-15)
    assert model.min_peak_bytes() == peaks[0]


def test_a_bounded_span_agrees_where_no_longer_run_is_needed(brute_force):
    model, rows = brute_force
    bounded = milp_model(CHAIN, max_span=2)
    loose = sorted({peak for _, peak, _ in rows})[-2]
    assert bounded.solve(loose).extra_energy_j == pytest.approx(model.solve(loose).extra_energy_j)


def test_the_model_is_exact_on_a_real_chain_network():
    model = milp_model(DSCNN)
    rng = random.Random(0)
    base = realised(DSCNN, ())[1]
    for _ in range(12):
        subset = tuple(layer for layer in model.layers if rng.random() < 0.5)
        peak, energy = realised(DSCNN, subset)
        predicted = model.predict(subset)
        assert predicted.peak_live_bytes == peak
        assert base + predicted.extra_energy_j == pytest.approx(energy, rel=1e-12)


def test_the_choice_fits_when_run_through_plan():
    s = replace(DSCNN, reserved_sram_bytes=8192)
    model = milp_model(s)
    keep = emu.plan(s).memory
    budget = (max(keep.live_bytes) + model.min_peak_bytes()) // 2
    choice = model.solve(budget)
    result = emu.plan(replace(s, plan=s.plan.with_changes(recompute=choice.layers)), suggest=False)
    assert max(result.memory.live_bytes) <= budget < max(keep.live_bytes)
    assert choice.layers and result.memory.peak_sram_bytes < keep.peak_sram_bytes
