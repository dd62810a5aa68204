"""``--help`` shows the real defaults, and where one comes from the scenario it says so."""

import pytest

from emu.scenario.session import SessionSettings
from emu.scenario.supply import SupplySettings
from emu.scenario.train import TrainSettings
from workloads.plan import TrainingPlan

COMMANDS = ("plan", "run", "train", "lifetime", "compare", "inspect", "devices", "models", "validate")


@pytest.mark.parametrize("command", COMMANDS)
def test_no_option_shows_a_default_of_none(cli, command):
    r = cli(command, "--help", columns=200)
    assert r.code == 0, r.err
    assert "default: None" not in r.out


def test_scenario_flags_name_the_field_they_override_and_its_default(cli):
    out = cli("run", "--help", columns=200).out
    assert f"plan.update, else {TrainingPlan().update}" in out
    assert f"session.samples, else {SessionSettings().samples}" in out
    out = cli("lifetime", "--help", columns=200).out
    assert f"supply.battery, else {SupplySettings().battery}" in out and "deployment.horizon, else 10y" in out
    out = cli("train", "--help", columns=200).out
    assert f"train.pretrain_epochs, else {TrainSettings().pretrain_epochs}" in out
