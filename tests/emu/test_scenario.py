"""Scenarios: loading, overrides, and bad input named by file and field."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import emu
from emu.errors import INPUT_ERRORS, ScenarioError
from emu.scenario.scenario import Scenario, parse_assignment

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def write(tmp_path, text):
    path = tmp_path / "s.toml"
    path.write_text(text)
    return path


BASE = '[device]\nname = "nrf52840"\n[model]\nname = "mlp"\n[plan]\nupdate = "full"\n'


def test_example_scenarios_load():
    for path in EXAMPLES.glob("*.toml"):
        scenario = Scenario.from_toml(path)
        assert scenario.model.macs > 0


def test_overrides_replace_file_values(tmp_path):
    scenario = Scenario.from_toml(
        write(tmp_path, BASE), {"plan": {"batch_size": 4}, "model": {"name": "lenet-digits"}}
    )
    assert scenario.plan.batch_size == 4 and scenario.plan.update == "full"
    assert scenario.model.name == "lenet-digits"


def test_parse_assignment_reads_toml_values():
    assert parse_assignment("plan.batch_size=8") == ("plan", "batch_size", 8)
    assert parse_assignment("plan.reorder=true") == ("plan", "reorder", True)
    assert parse_assignment("plan.update=last:2") == ("plan", "update", "last:2")
    with pytest.raises(ScenarioError):
        parse_assignment("batch=8")
    table = parse_assignment("plan.sparse_weights={conv2d_1=0.5, dense_1=1.0}")
    assert table == ("plan", "sparse_weights", {"conv2d_1": 0.5, "dense_1": 1.0})
    with pytest.raises(ScenarioError, match=r"plan.sparse_weights=\{conv2d_1=0.5\}"):
        parse_assignment("plan.sparse_weights.conv2d_1=0.5")  # a dotted key: the error shows the table form


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (BASE + "[plam]\nx = 1\n", "did you mean 'plan'"),
        (BASE.replace('update = "full"', 'update = "ful"'), "plan.update"),
        (BASE + "[memory]\nreserved_sram_kb = 4\n", "did you mean 'reserved_sram_kib'"),
        (BASE + "[memory]\nreserved_sram_kib = -4\n", "memory.reserved_sram_kib = -4"),
        (BASE.replace('"nrf52840"', '"nrf5284"'), "nrf5284"),
        (BASE.replace('"mlp"', '"mlpp"'), "did you mean 'mlp'"),
        ("[device\n", "valid TOML"),
        ('[model]\nname = "mlp"\n', "device.name"),
    ],
)
def test_bad_scenarios_name_file_field_and_value(tmp_path, text, fragment):
    path = write(tmp_path, text)
    with pytest.raises(INPUT_ERRORS) as err:
        Scenario.from_toml(path)
    assert fragment in str(err.value)


def test_missing_file_is_a_scenario_error(tmp_path):
    with pytest.raises(ScenarioError, match="existing TOML file"):
        Scenario.from_toml(tmp_path / "nope.toml")


def test_plan_result_json_contract(tmp_path):
    result = emu.plan(Scenario.from_toml(write(tmp_path, BASE)))
    data = result.to_dict()
    for key in (
        "feasible",
        "peak_sram_bytes",
        "sram_bytes",
        "flash_used_bytes",
        "flash_bytes",
        "breakdown",
        "layers",
    ):
        assert key in data
    assert data["feasible"] is True
    assert data["sram_bytes"] == 256 * 1024


def test_infeasible_plan_names_overflow_and_fixes():
    result = emu.plan(Scenario.from_toml(EXAMPLES / "vww_full_stm32f746.toml"))
    assert not result.feasible
    verdict = result.verdict
    assert verdict.sram_overflow_bytes == result.memory.peak_sram_bytes - result.scenario.device.sram_bytes
    assert verdict.contributors
    fitting = [s for s in verdict.suggestions if s.fits]
    assert fitting, "some plan change should make VWW fit on 320 KiB"
    for suggestion in verdict.suggestions:
        again = emu.plan(
            Scenario(result.scenario.device, result.scenario.model, suggestion.plan), suggest=False
        )
        assert again.memory.peak_sram_bytes == suggestion.peak_sram_bytes


@pytest.mark.parametrize("point", [7, "x", -1])
def test_an_unknown_operating_point_lists_the_device_points(tmp_path, point):
    scenario = Scenario.from_toml(write(tmp_path, BASE), {"session": {"operating_point": point}})
    with pytest.raises(ScenarioError, match="session.operating_point") as err:
        emu.simulate(scenario)
    assert "64 MHz" in str(err.value)


def test_a_suggestion_is_data_and_its_flags_give_its_plan():
    path = EXAMPLES / "vww_full_stm32f746.toml"
    result = emu.plan(Scenario.from_toml(path))
    for suggestion in result.verdict.suggestions:
        assert result.scenario.plan.with_changes(**dict(suggestion.changes)) == suggestion.plan
    chosen = next(s for s in result.verdict.suggestions if s.fits and len(s.changes) > 1)
    command = [sys.executable, "-m", "cli", "plan", "--scenario", str(path), *chosen.change.split(), "--json"]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=EXAMPLES.parent)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["peak_sram_bytes"] == chosen.peak_sram_bytes
