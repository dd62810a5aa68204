"""tinyemu lifetime: exit codes, JSON keys, horizon errors, the plot extra."""

import importlib.util
import json

import pytest


def test_lifetime_json(cli):
    r = cli("lifetime", "--scenario", "examples/kws_coin_cell.toml", "--horizon", "90d", "--json")
    assert r.code == 0, r.err
    d = json.loads(r.out)
    for key in (
        "lifetime_s",
        "end_cause",
        "training_sessions",
        "inferences",
        "energy_by_phase_j",
        "soc_timeline",
    ):
        assert key in d
    assert d["end_cause"] == "horizon_reached"
    assert d["lifetime_s"] == pytest.approx(90 * 86400)
    assert d["training_sessions"] == 89  # nightly from the end of day 1; the 90th would be at the horizon


def test_lifetime_report_and_battery_flag(cli):
    r = cli("lifetime", "--scenario", "examples/kws_coin_cell.toml", "--battery", "CR2", "--horizon", "1y")
    assert r.code == 0, r.err
    assert "state of charge |" in r.out and "CR2" in r.out
    assert "Energy over the whole life" in r.out and "still running at the horizon" in r.out


@pytest.mark.parametrize("horizon", ["5x", "ten years", "-1d", "0s"])
def test_bad_horizon_exits_2(cli, horizon):
    r = cli("lifetime", "--scenario", "examples/kws_coin_cell.toml", "--horizon", horizon)
    assert r.code == 2
    assert "--horizon" in r.err and "Traceback" not in r.err


def test_bad_battery_exits_2(cli):
    r = cli("lifetime", "--scenario", "examples/kws_coin_cell.toml", "--battery", "CR2033")
    assert r.code == 2 and "Traceback" not in r.err


def test_infeasible_plan_exits_1(cli):
    r = cli("lifetime", "--scenario", "examples/vww_full_stm32f746.toml", "--horizon", "2d", "--json")
    assert r.code == 1, r.err
    assert json.loads(r.out)["feasible"] is False


def test_plot(cli, tmp_path):
    target = tmp_path / "soc.png"
    r = cli("lifetime", "--scenario", "examples/solar_vww.toml", "--horizon", "30d", "--plot", str(target))
    if importlib.util.find_spec("matplotlib") is None:
        assert r.code == 2 and "pip install 'tinyemu[plot]'" in r.err and "pip install '.[plot]'" in r.err
    else:
        assert r.code == 0, r.err
        assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_cell_below_what_the_chip_runs_on_without_a_regulator_is_refused(cli):
    from tests.cli.cli_checks import one_line_error

    r = cli("lifetime", "--scenario", "examples/kws_coin_cell.toml", "--battery", "AA-alkaline")
    one_line_error(r, "supply.battery", "AA-alkaline", "1.8 V")
