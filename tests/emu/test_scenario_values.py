"""Scenarios are values: equality and hash by content, pickling, dict/TOML round trips, a stable digest."""

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emu import Scenario
from emu.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


BASE = """
name = "values"
[device]
name = "nrf52840"
[model]
name = "mlperf-dscnn"
classes = 12
[plan]
update = "last:1"
[session]
samples = 8
[deployment]
horizon = "30d"
"""


def test_same_file_from_two_spellings_of_its_path_is_one_value():
    a = Scenario.from_toml(ROOT / "examples" / "kws_coin_cell.toml")
    b = Scenario.from_toml(ROOT / "examples" / ".." / "examples" / "kws_coin_cell.toml")
    assert a.source != b.source
    assert a == b and hash(a) == hash(b) and a.digest() == b.digest()
    assert len({a, b}) == 1


@pytest.mark.parametrize(
    "edit",
    [
        ("samples = 8", "samples = 9"),
        ('horizon = "30d"', 'horizon = "31d"'),
        ("classes = 12", "classes = 10"),
    ],
)
def test_scenarios_that_differ_in_any_section_differ(tmp_path, edit):
    a = Scenario.from_toml(_write(tmp_path / "a.toml", BASE))
    b = Scenario.from_toml(_write(tmp_path / "b.toml", BASE.replace(*edit)))
    assert a != b
    assert a.digest() != b.digest()


def test_the_name_is_a_label_not_part_of_the_value(tmp_path):
    a = Scenario.from_toml(_write(tmp_path / "a.toml", BASE))
    b = Scenario.from_toml(_write(tmp_path / "b.toml", BASE.replace('"values"', '"other"')))
    assert a.name != b.name and a == b and a.digest() == b.digest()


def test_sections_are_parsed_and_checked_at_load(tmp_path):
    a = Scenario.from_toml(_write(tmp_path / "a.toml", BASE))
    assert a.session.samples == 8
    assert a.deployment.horizon_s == 30 * 86400
    with pytest.raises(ScenarioError, match="deployment.horizon"):
        Scenario.from_toml(_write(tmp_path / "bad.toml", BASE.replace('"30d"', '"soon"')))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_round_trips_through_dict_toml_and_pickle(tmp_path, path):
    scenario = Scenario.from_toml(path)
    assert Scenario.from_dict(scenario.to_dict()) == scenario
    elsewhere = tmp_path / "moved" / "copy.toml"  # another folder: file references must still resolve
    elsewhere.parent.mkdir()
    elsewhere.write_text(scenario.to_toml())
    again = Scenario.from_toml(elsewhere)
    assert again == scenario and again.digest() == scenario.digest()
    assert pickle.loads(pickle.dumps(scenario)) == scenario


def test_digest_is_the_same_in_another_process_with_another_hash_seed():
    path = ROOT / "examples" / "kws_coin_cell.toml"
    code = f"from emu import Scenario; print(Scenario.from_toml({str(path)!r}).digest())"
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert digests == {Scenario.from_toml(path).digest()}


def test_an_edited_referenced_file_makes_another_scenario(tmp_path):
    shutil.copy(ROOT / "hw_models" / "data" / "batteries" / "CR2032.toml", tmp_path / "cell.toml")
    scenario_path = _write(tmp_path / "s.toml", BASE + '[supply]\nbattery = "cell.toml"\n')
    before = Scenario.from_toml(scenario_path)
    text = (tmp_path / "cell.toml").read_text()
    (tmp_path / "cell.toml").write_text(text + "\n# edited\n")
    after = Scenario.from_toml(scenario_path)
    assert before != after and before.digest() != after.digest()


def test_with_changes_merges_sections_loads_names_and_replaces_fields(tmp_path):
    base = Scenario.from_toml(_write(tmp_path / "a.toml", BASE))
    faster = base.with_changes(session={"clock_mhz": 32})
    assert faster.session.clock_hz == 32e6 and faster.session.samples == 8 and faster != base
    other = base.with_changes(device="stm32f746")
    assert other.device.name == "stm32f746" and other != base
    assert other.with_changes(device="nrf52840") == base
    bigger = base.with_changes(plan=base.plan.with_changes(batch_size=4))
    assert bigger.plan.batch_size == 4 and bigger != base
    assert Scenario.from_dict(bigger.to_dict()) == bigger
    with pytest.raises(ScenarioError, match="did you mean"):
        base.with_changes(sesion={"clock_mhz": 32})
    with pytest.raises(ScenarioError, match="session.clock_mhz"):
        base.with_changes(session={"clock_mhz": -1})
