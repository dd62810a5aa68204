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
