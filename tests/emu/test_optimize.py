"""emu.optimize: the cheapest fitting plan over micro-batches and recomputation, checked by the planner."""

import tomllib
from dataclasses import replace

import pytest

import emu
from emu.errors import ScenarioError
from emu.scenario.values import to_toml
from emu.study.optimization import parse_allow
from emu.study.scenario_file import write_scenario

KIB = 1024


@pytest.fixture(scope="module")
def dscnn():
    return emu.Scenario.from_dict(
        {
            "device": {"name": "stm32h743"},
            "model": {"name": "mlperf-dscnn"},
            "plan": {"update": "full", "batch_size": 4},
            "memory": {"reserved_sram_kib": 16},
        },
        source="dscnn",
    )


@pytest.fixture(scope="module")
def tight(dscnn):
    return emu.optimize(dscnn, sram_budget_bytes=500 * KIB)


def test_the_chosen_plan_fits_through_plan_and_costs_what_the_simulator_says(dscnn, tight):
    assert tight.feasible and tight.chosen.plan.recompute and tight.chosen.plan.micro_steps > 1
    planned = emu.plan(tight.chosen, suggest=False)
    assert planned.memory.peak_sram_bytes == tight.peak_sram_bytes <= 500 * KIB
    assert emu.plan(dscnn).memory.peak_sram_bytes > 500 * KIB  # the given plan does not fit
    sim = emu.simulate(tight.chosen, mode="analytical")
    assert tight.step_energy_j == sim.step_energy_j
    macs = sum(t.macs for t in emu.plan(dscnn).memory.program.tasks if t.phase != "recompute")
    assert sum(t.macs for t in planned.memory.program.tasks if t.phase != "recompute") == macs


def test_it_is_the_cheapest_of_what_it_tried_and_the_trade_off_is_a_front(tight):
    assert tight.step_energy_j == pytest.approx(min(p.step_energy_j for p in tight.tried if p.fits))
    peaks = [p.peak_sram_bytes for p in tight.pareto]
    energies = [p.step_energy_j for p in tight.pareto]
    assert peaks == sorted(peaks) and energies == sorted(energies, reverse=True)
    assert len(tight.pareto) >= 3 and peaks[0] < 500 * KIB < peaks[-1]


def test_a_looser_budget_never_costs_more(dscnn, tight):
    loose = emu.optimize(dscnn, sram_budget_bytes=700 * KIB)
    assert loose.feasible and loose.step_energy_j <= tight.step_energy_j


def test_a_plan_that_fits_already_comes_back_unchanged():
    s = emu.Scenario.from_toml("examples/kws_nrf52840.toml")
    result = emu.optimize(s)
    assert result.feasible and result.chosen.plan == s.plan
    assert result.step_energy_j == emu.simulate(s, mode="analytical").step_energy_j


def test_without_levers_nothing_changes_and_nothing_fits(dscnn):
    result = emu.optimize(dscnn, allow=("recompute",), sram_budget_bytes=200 * KIB)
    assert not result.feasible and result.chosen.plan.micro_batch_size is None
    assert result.sram_overflow_bytes == result.peak_sram_bytes - 200 * KIB > 0
    assert result.peak_sram_bytes == emu.plan(result.chosen).memory.peak_sram_bytes


def test_allow_names_the_levers_and_refuses_others():
    assert parse_allow(["recompute", "micro-batch"]) == ("recompute", "micro_batch")
    assert parse_allow(None) == ("micro_batch", "recompute")
    with pytest.raises(ScenarioError, match="allow.*recomput.*did you mean"):
        parse_allow(["recomputation"])


def test_the_written_scenario_runs_and_is_the_chosen_plan(tmp_path, dscnn, tight):
    path = write_scenario(tight.chosen, tmp_path / "best.toml", "optimised")
    assert not [p for p in tmp_path.iterdir() if p.name != "best.toml"]  # no temporary file left
    again = emu.Scenario.from_toml(path)
    assert again.plan == tight.chosen.plan and again.reserved_sram_bytes == dscnn.reserved_sram_bytes
    assert emu.plan(again).memory.peak_sram_bytes == tight.peak_sram_bytes


def test_relative_device_paths_follow_the_written_file(tmp_path):
    s = emu.Scenario.from_toml("examples/kws_nrf52840.toml")
    relative = "../hw_models/data/devices/nrf52840.toml"  # relative to examples/
    moved = replace(s, settings={**s.settings, "device": {"name": relative}})
    path = write_scenario(moved, tmp_path / "s.toml")
    written = tomllib.loads(path.read_text())["device"]["name"]
    assert written != relative and written.endswith("nrf52840.toml")
    again = emu.Scenario.from_toml(path).device
    assert (again.name, again.sram_bytes, again.core) == (s.device.name, s.device.sram_bytes, s.device.core)


def test_toml_values_round_trip():
    document = {
        "name": 'a "quoted" name',
        "plan": {"recompute": ["x", "y"], "lr": 1e-05, "on": True, "table": {"conv2d_8": 0.25}, "empty": {}},
    }
    assert tomllib.loads(to_toml(document)) == document
