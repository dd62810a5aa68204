"""``tinyemu devices NAME``: one device whole, in a table and as JSON."""

import json

from hw_models.loader import load_device


def test_devices_name_shows_sleep_states_points_banks_and_sectors(cli):
    r = cli("devices", "stm32f746")
    device = load_device("stm32f746")
    assert r.code == 0, r.err
    for state in device.sleep_states:
        assert state.name in r.out
    for bank in device.sram_banks:
        assert bank.name in r.out
    assert "0-3" in r.out and "5-7" in r.out  # the non-uniform sectors, grouped
    assert "deployment.sleep_state" in r.out


def test_devices_name_json_is_the_api_document(cli):
    import emu

    r = cli("devices", "nrf52840", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out) == json.loads(json.dumps(emu.describe_device("nrf52840")))


def test_devices_sources_prints_citations(cli):
    r = cli("devices", "nrf52840", "--sources", columns=200)
    source = load_device("nrf52840").sources["sleep_states[0].current_a"]
    assert r.code == 0 and source[:40] in r.out


def test_devices_unknown_name_is_a_usage_error(cli):
    r = cli("devices", "nrf5284")
    assert r.code == 2 and "nrf52840" in r.err and "Traceback" not in r.err
