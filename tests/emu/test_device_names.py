"""A device whole (emu.describe_device), and errors about per-device names that point at the scenario."""

import pytest

import emu
from emu.errors import ScenarioError
from emu.scenario.scenario import Scenario
from hw_models.device_sheet import sector_groups
from hw_models.loader import device_names, load_device

BASE = '[device]\nname = "nrf52840"\n[model]\nname = "mlp"\n[plan]\nupdate = "full"\n'


def scenario(tmp_path, deployment=""):
    path = tmp_path / "study.toml"
    path.write_text(BASE + ("[deployment]\n" + deployment if deployment else ""))
    return Scenario.from_toml(path), str(path)


@pytest.mark.parametrize("name", device_names())
def test_the_sheet_holds_every_name_and_size_of_the_device(name):
    device = load_device(name)
    sheet = emu.describe_device(name)
    assert [s["name"] for s in sheet["sleep_states"]] == [s.name for s in device.sleep_states]
    assert [p["label"] for p in sheet["operating_points"]] == [p.label for p in device.operating_points]
    assert sum(p["default"] for p in sheet["operating_points"]) == 1
    assert (
        sheet["operating_points"][[p["default"] for p in sheet["operating_points"]].index(True)]["clock_hz"]
        == device.clock_hz
    )
    assert sum(b["size_bytes"] for b in sheet["sram"]["banks"]) == sheet["sram"]["size_bytes"]
    groups = sheet["flash"]["sectors"]
    assert sum(g["count"] * g["size_bytes"] for g in groups) == device.flash_bytes
    assert sum(g["count"] for g in groups) == len(device.flash.sector_sizes_bytes)
    assert sheet["sources"] == dict(device.sources) and sheet["sources"]


def test_sector_groups_split_on_size_and_erase_time():
    groups = sector_groups((16, 16, 64, 64, 64), (0.1, 0.2, 1.0, 1.0, 1.0))
    assert [(g["first"], g["count"], g["size_bytes"]) for g in groups] == [(0, 1, 16), (1, 1, 16), (2, 3, 64)]


def test_describe_device_takes_a_loaded_device():
    device = load_device("stm32f746")
    assert emu.describe_device(device) == emu.describe_device("stm32f746")


def test_an_unknown_deployment_sleep_state_names_the_scenario_field(tmp_path):
    s, path = scenario(tmp_path, 'sleep_state = "stop2"\nhorizon = "1d"\n')
    with pytest.raises(ScenarioError) as err:
        emu.lifetime(s)
    text = str(err.value)
    assert err.value.source == path and err.value.field == "deployment.sleep_state"
    assert "system_on_idle" in text and "system_off" in text and "devices/" not in text


def test_a_sleep_state_typo_gets_a_did_you_mean_from_that_device(tmp_path):
    s, _ = scenario(tmp_path, 'sleep_state = "system_of"\nhorizon = "1d"\n')
    with pytest.raises(ScenarioError, match="did you mean 'system_off'"):
        emu.lifetime(s)


def test_a_session_sleep_state_from_another_device_names_the_session_field(tmp_path):
    s, path = scenario(tmp_path)
    s = Scenario.from_toml(path, {"session": {"sleep_state": "stop"}})  # an STM32 name
    with pytest.raises(ScenarioError) as err:
        emu.simulate(s)
    assert err.value.field == "session.sleep_state" and err.value.source == path


@pytest.mark.parametrize(
    ("deployment", "field"),
    [
        ("training_operating_point = 9", "deployment.training_operating_point"),
        ('inference_operating_point = "fast"', "deployment.inference_operating_point"),
        ("training_clock_mhz = 500", "deployment.training_clock_mhz"),
    ],
)
def test_deployment_operating_points_are_checked_under_their_own_field(tmp_path, deployment, field):
    s, path = scenario(tmp_path, deployment + '\nhorizon = "1d"\n')
    with pytest.raises(ScenarioError) as err:
        emu.lifetime(s)
    assert err.value.field == field and err.value.source == path
    assert "nrf52840" in str(err.value)


def test_an_operating_point_label_typo_gets_a_did_you_mean(tmp_path):
    s, path = scenario(tmp_path)
    label = load_device("nrf52840").operating_points[1].label
    s = Scenario.from_toml(path, {"session": {"operating_point": label.replace("LDO", "LD0")}})
    with pytest.raises(ScenarioError, match="did you mean"):
        emu.simulate(s)
