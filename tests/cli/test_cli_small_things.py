"""Small things a newcomer met: JSON errors under --json, no placeholder in did-you-mean."""

import json

import pytest

from workloads.errors import WorkloadError
from workloads.plan import TrainingPlan


def test_a_bad_input_error_with_json_is_a_json_object_on_stdout(cli):
    r = cli("plan", "-d", "nrf52840", "-m", "mlp", "--update", "lastK", "--json")
    assert r.code == 2 and r.err == ""
    document = json.loads(r.out)
    assert document["field"] == "plan.update" and document["value"] == "lastK"
    assert document["source"] == "command line" and document["allowed"] in document["error"]


def test_a_usage_error_with_json_is_a_json_object_too(cli):
    r = cli("plan", "--bogus", "--json")
    assert r.code == 2 and "--bogus" in json.loads(r.out)["error"]


def test_without_json_the_error_stays_one_line_on_stderr(cli):
    r = cli("plan", "-d", "nrf52840", "-m", "mlp", "--update", "lastK")
    assert r.code == 2 and r.out == "" and r.err.startswith("error: ") and len(r.err.splitlines()) == 1


@pytest.mark.parametrize(("update", "meant"), [("last:k", "last:1"), ("last2", "last:2"), ("ful", "full")])
def test_did_you_mean_offers_a_real_policy_never_the_placeholder(update, meant):
    with pytest.raises(WorkloadError) as err:
        TrainingPlan(update=update)
    assert f"did you mean {meant!r}" in str(err.value) and "mean 'last:K'" not in str(err.value)


def test_the_placeholder_itself_is_not_a_policy():
    with pytest.raises(WorkloadError, match="plan.update"):
        TrainingPlan(update="last:K")


def test_show_scenario_prints_what_would_run_and_stops(cli, tmp_path):
    import tomllib

    import emu

    result = cli("run", "--device", "nrf52840", "--model", "mlperf-dscnn", "--batch", "4", "--show-scenario")
    assert result.code == 0, result.err
    document = tomllib.loads(result.out)
    assert document["plan"]["batch_size"] == 4 and document["device"]["name"] == "nrf52840"
    assert "# sleep_state: unset, so the device's first sleep state" in result.out
    assert "By phase" not in result.out  # nothing ran
    saved = tmp_path / "mine.toml"
    saved.write_text(result.out)
    again = cli("plan", "--scenario", str(saved), "--json")
    direct = cli("plan", "--device", "nrf52840", "--model", "mlperf-dscnn", "--batch", "4", "--json")
    assert again.code == direct.code and again.code in (0, 1), again.err
    import json

    ours, theirs = json.loads(again.out), json.loads(direct.out)
    assert ours["peak_sram_bytes"] == theirs["peak_sram_bytes"] and ours["plan"] == theirs["plan"]
    assert ours["verdict"] == theirs["verdict"]
    assert emu.Scenario.from_toml(saved).deployment.horizon_s == 10 * 365.25 * 86400


def test_show_scenario_includes_the_command_own_options(cli):
    import tomllib

    result = cli("train", "-s", "examples/digits_personalise.toml", "--epochs", "2", "--show-scenario")
    assert result.code == 0, result.err
    assert tomllib.loads(result.out)["train"]["epochs"] == 2
