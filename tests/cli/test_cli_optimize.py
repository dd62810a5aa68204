"""tinyemu optimize: the answer, the scenario it writes, the verdict when nothing fits, bad input."""

import json


def test_optimize_writes_a_scenario_that_plan_accepts(cli, tmp_path):
    out = tmp_path / "best.toml"
    args = ("-s", "examples/kws_nrf52840.toml", "--device", "stm32h743", "--update", "full")
    result = cli(
        "optimize", *args, "--precision", "fp32", "--batch", "4", "--sram-budget", "500", "--out", str(out)
    )
    assert result.code == 0, result.err
    assert "cheapest plan that fits" in result.out and "Trade-off" in result.out
    planned = cli("plan", "-s", str(out), "--json")
    assert planned.code == 0, planned.err
    data = json.loads(planned.out)
    assert data["peak_sram_bytes"] <= 500 * 1024 and data["plan"]["recompute"]


def test_optimize_json_has_the_contract_keys(cli):
    result = cli("optimize", "-s", "examples/kws_nrf52840.toml", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert {"feasible", "plan", "step_energy_j", "peak_sram_bytes", "pareto", "method", "gap"} <= set(data)
    assert data["feasible"] and data["pareto"][0]["peak_sram_bytes"] == data["peak_sram_bytes"]


def test_nothing_fits_is_exit_1_with_the_overflow_and_no_file(cli, tmp_path):
    out = tmp_path / "none.toml"
    result = cli("optimize", "-s", "examples/kws_nrf52840.toml", "--sram-budget", "40", "--out", str(out))
    assert result.code == 1, result.err
    assert "nothing fits" in result.out and "SRAM overflows by" in result.out
    assert "largest at the peak" in result.out and not out.exists()


def test_bad_levers_and_budgets_are_one_line_errors(cli):
    for args, field in ((("--allow", "optimizer=sgd"), "allow"), (("--sram-budget", "0"), "sram_budget")):
        result = cli("optimize", "-s", "examples/kws_nrf52840.toml", *args)
        assert result.code == 2 and field in result.err and "Traceback" not in result.err


def test_impossible_budgets_and_out_paths_are_refused_before_the_search(cli, tmp_path):
    for budget in ("nan", "inf", "-3", "1e300"):
        result = cli("optimize", "-s", "examples/kws_nrf52840.toml", "--sram-budget", budget)
        assert result.code == 2 and "sram_budget" in result.err and "Traceback" not in result.err, budget
    (tmp_path / "d.toml").mkdir()
    for target, why in (
        (tmp_path / "d.toml", "a directory"),
        (tmp_path / "no" / "x.toml", "existing folder"),
    ):
        result = cli("optimize", "-s", "examples/kws_nrf52840.toml", "--out", str(target))
        assert result.code == 2 and why in result.err and result.out == "", (target, result.err)
    result = cli("optimize", "-s", "examples/kws_nrf52840.toml", "--out", str(tmp_path / "best.json"))
    assert result.code == 2 and ".toml" in result.err
