"""The effective scenario: every default written out, and read back to the same settings."""

import dataclasses
import tomllib
from pathlib import Path

import pytest

import emu
from emu.scenario.effective import effective_sections, effective_toml

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PARSED = ("session", "train", "deployment", "supply", "checkpoint")


def _same_settings(a: emu.Scenario, b: emu.Scenario) -> None:
    assert a.plan == b.plan and a.device == b.device and a.model == b.model
    assert (a.reserved_sram_bytes, a.firmware_flash_bytes) == (b.reserved_sram_bytes, b.firmware_flash_bytes)
    for section in PARSED:
        ours, theirs = getattr(a, section), getattr(b, section)
        assert dataclasses.replace(ours, source=theirs.source) == theirs, section


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.stem)
def test_every_example_reads_back_to_the_same_settings(path, tmp_path):
    scenario = emu.Scenario.from_toml(path)
    written = tmp_path / "effective.toml"
    written.write_text(effective_toml(scenario))
    _same_settings(emu.Scenario.from_toml(written), scenario)


def test_every_key_is_written_or_said_to_be_unset():
    scenario = emu.Scenario.from_toml(EXAMPLES / "kws_coin_cell.toml")
    text = effective_toml(scenario)
    document = tomllib.loads(text)
    for section, table in effective_sections(scenario).items():
        for key, value in table.items():
            if value is None:
                assert f"{key}: unset, so " in text or f"{key}: unset" in text.replace(" / ", ": unset\n"), (
                    key
                )
            else:
                assert key in document[section], (section, key)
    assert document["deployment"]["horizon"] == "10y"
    assert document["session"]["epochs"] == scenario.session.epochs


def test_clocks_are_written_in_the_units_a_file_uses():
    scenario = emu.Scenario.from_toml(EXAMPLES / "kws_coin_cell.toml").with_changes(session={"clock_mhz": 32})
    document = tomllib.loads(effective_toml(scenario))
    assert document["session"]["clock_mhz"] == 32.0
    assert document["deployment"]["training_period_h"] == pytest.approx(24.0)
