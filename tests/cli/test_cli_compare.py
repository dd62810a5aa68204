"""tinyemu compare: the table, the JSON document, accuracy on data, and bad variants."""

import json

import pytest


def test_compare_json_has_every_plan_and_the_pick(cli):
    result = cli("compare", "-s", "examples/kws_coin_cell.toml", "--horizon", "90d", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert len(data["plans"]) == 5
    for row in data["plans"]:
        assert {"label", "feasible", "peak_sram_bytes", "step_energy_j", "lifetime_s", "end_cause"} <= set(
            row
        )
    assert data["longest_living"] in {row["label"] for row in data["plans"]}


def test_compare_with_accuracy_trains_each_plan(cli):
    result = cli(
        "compare",
        "-s",
        "examples/digits_personalise.toml",
        "--variant",
        "last:1",
        "--accuracy",
        "--epochs",
        "1",
        "--horizon",
        "2d",
    )
    assert result.code == 0, result.err
    assert "accuracy" in result.out and "->" in result.out


@pytest.mark.parametrize("columns", [80, 140])
def test_compare_table_keeps_every_label_and_figure_whole_in_a_narrow_terminal(cli, columns):
    result = cli("compare", "-s", "examples/kws_coin_cell.toml", "--horizon", "90d", columns=columns)
    assert result.code == 0, result.err
    assert max(len(line) for line in result.out.splitlines()) <= columns
    assert "…" not in result.out
    labels = ("scenario plan", "update=bias", "update=last:1", "update=full")
    for text in (*labels, "E/life", "ends by", "horizon"):
        assert text in result.out
    assert "figures too" in result.out  # the caption's end: nothing cropped at the right edge


def test_a_bad_variant_is_exit_2(cli):
    result = cli("compare", "-s", "examples/kws_coin_cell.toml", "--variant", "update=most")
    assert result.code == 2 and "plan.update" in result.err and "Traceback" not in result.err


def test_a_plan_that_does_not_fit_shows_no_lifetime_and_sram_has_a_unit(cli):
    result = cli("compare", "-s", "examples/vww_full_stm32f746.toml", "--variant", "bias", "--horizon", "1d")
    assert result.code == 1, result.err
    assert "does not fit" in result.out and "no plan fits" in result.out
    assert "SRAM: peak, in KiB" in result.out


def test_objective_lifetime_picks_the_longest_living_and_says_so_in_json(cli):
    result = cli(
        "compare", "-s", "examples/kws_coin_cell.toml", "--horizon", "90d", "--objective", "lifetime"
    )
    assert result.code == 0, result.err
    assert "longest-living plan that fits" in result.out
    doc = json.loads(
        cli(
            "compare",
            "-s",
            "examples/kws_coin_cell.toml",
            "--horizon",
            "90d",
            "--objective",
            "lifetime",
            "--json",
        ).out
    )
    assert doc["objective"] == "lifetime" and doc["best_by"] == "lifetime"
    assert doc["best"] == doc["longest_living"] and doc["best"] in doc["pareto"]


def test_an_unknown_objective_is_a_one_line_error(cli):
    from tests.cli.cli_checks import one_line_error

    result = cli("compare", "-s", "examples/kws_coin_cell.toml", "--objective", "cheapest")
    assert result.code == 2
    one_line_error(result, "objective", "cheapest")


def test_the_pareto_pick_names_the_front_and_how_to_pick_by_one_objective():
    from io import StringIO

    from rich.console import Console

    import emu
    from cli.render.compare import render_comparison
    from emu.study.comparison import ComparedPlan, PlanComparison

    plan = emu.Scenario.from_toml("examples/kws_coin_cell.toml").plan
    rows = tuple(
        ComparedPlan(label, plan, True, 1, 1, 1.0, 1.0, 1.0, life_s, "battery_cutoff", 1.0, 0.1, score)
        for label, life_s, score in (("bias", 8.64e6, 0.5), ("last:2", 7.8e6, 0.88), ("full", 4.3e6, 0.9))
    )
    out = StringIO()
    render_comparison(PlanComparison("s", "d", "m", rows), Console(file=out, width=200))
    text = " ".join(out.getvalue().split())  # as read, whatever the wrapping
    assert "Pareto choice of lifetime and accuracy: last:2" in text
    assert "the front: bias, last:2, full" in text and "--objective lifetime or accuracy" in text
