"""emu.compare picks by what was asked: accuracy when every plan lives the whole horizon, the Pareto choice
of lifetime and accuracy when they differ, or the one objective asked for; a plan that does not fit gets no
lifetime."""

from dataclasses import replace
from pathlib import Path

import pytest

import emu
from emu.study.comparison import DOES_NOT_FIT, ComparedPlan, PlanComparison, compare

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def plan():
    return emu.Scenario.from_toml(EXAMPLES / "kws_coin_cell.toml").plan


def row(plan, label, lifetime_s, energy_j, accuracy=None, cause="horizon_reached", feasible=True):
    return ComparedPlan(
        label, plan, feasible, 1, 1, 1.0, 1.0, 1.0, lifetime_s, cause, energy_j, 0.1, accuracy
    )


def test_when_every_plan_lives_the_horizon_the_most_accurate_wins(plan):
    rows = (row(plan, "last:1", 100, 1.0, 0.658), row(plan, "full", 100, 3.0, 0.903))
    result = PlanComparison("s", "d", "m", rows)
    assert result.best_by == "accuracy" and result.best.label == "full"
    assert result.longest_living.label == "last:1"  # the least energy among equals: still reported
    assert result.to_dict()["best"] == "full" and result.to_dict()["best_by"] == "accuracy"


def test_when_lifetimes_differ_the_pareto_choice_weighs_both(plan):
    # last:1 is 27 % short of the best accuracy; full lives half as long (50 % short): last:1
    rows = (row(plan, "last:1", 100, 1.0, 0.658), row(plan, "full", 50, 3.0, 0.903, "battery_cutoff"))
    result = PlanComparison("s", "d", "m", rows)
    assert result.best_by == "pareto" and result.best.label == "last:1"
    assert [p.label for p in result.pareto] == ["last:1", "full"]


def test_the_pareto_choice_is_the_balanced_plan_of_the_front(plan):
    rows = (
        row(plan, "bias", 100, 1.0, 0.50),
        row(plan, "last:2", 90, 2.0, 0.88, "battery_cutoff"),
        row(plan, "worse", 80, 2.0, 0.80, "battery_cutoff"),  # last:2 lives longer and scores higher
        row(plan, "full", 50, 3.0, 0.90, "battery_cutoff"),
    )
    result = PlanComparison("s", "d", "m", rows)
    assert [p.label for p in result.pareto] == ["bias", "last:2", "full"]
    assert result.best_by == "pareto" and result.best.label == "last:2"
    assert result.to_dict()["pareto"] == ["bias", "last:2", "full"]
    by_life = PlanComparison("s", "d", "m", rows, objective="lifetime")
    assert by_life.best_by == "lifetime" and by_life.best.label == "bias"
    by_score = PlanComparison("s", "d", "m", rows, objective="accuracy")
    assert by_score.best_by == "accuracy" and by_score.best.label == "full"


def test_a_regressor_is_picked_by_its_lowest_error(plan):
    def mse_row(label, life, mse):
        return replace(row(plan, label, life, 1.0, mse, "battery_cutoff"), metric="mse")

    rows = (mse_row("a", 100, 0.040), mse_row("b", 95, 0.011), mse_row("c", 40, 0.010))
    result = PlanComparison("s", "d", "m", rows)
    assert [p.label for p in result.pareto] == ["a", "b", "c"]
    assert result.best.label == "b"  # 5 % short on lifetime, 10 % on error; a is 3x the error, c 60 % short
    assert PlanComparison("s", "d", "m", rows, objective="accuracy").best.label == "c"


def test_a_comparison_reads_back_from_its_document(plan):
    import json

    rows = (
        row(plan, "bias", 100, 1.0, 0.5),
        row(plan, "full", None, None, None, DOES_NOT_FIT, feasible=False),
    )
    result = PlanComparison("s", "d", "m", rows, objective="lifetime")
    again = PlanComparison.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again == result and again.to_dict() == result.to_dict()


def test_an_unknown_objective_is_refused():
    with pytest.raises(emu.ScenarioError, match="objective"):
        compare(emu.Scenario.from_toml(EXAMPLES / "kws_coin_cell.toml"), objective="cheapest")


def test_without_accuracy_lifetime_decides(plan):
    rows = (row(plan, "a", 100, 2.0), row(plan, "b", 100, 1.0))
    result = PlanComparison("s", "d", "m", rows)
    assert result.best_by == "lifetime" and result.best.label == "b"


def test_a_plan_that_does_not_fit_is_never_picked(plan):
    rows = (
        row(plan, "small", 100, 1.0, 0.5),
        row(plan, "big", None, None, None, DOES_NOT_FIT, feasible=False),
    )
    result = PlanComparison("s", "d", "m", rows)
    assert result.best.label == "small" and result.best_by == "accuracy"
    assert PlanComparison("s", "d", "m", rows[1:]).best is None


def test_a_variant_that_does_not_fit_gets_no_lifetime():
    vww = emu.Scenario.from_toml(EXAMPLES / "vww_full_stm32f746.toml")
    result = compare(vww, [{"update": "bias"}], horizon_s="1d")
    (only,) = result.plans
    assert not only.feasible and only.lifetime_s is None and only.life_energy_j is None
    assert only.end_cause == DOES_NOT_FIT and result.best is None
    assert result.to_dict()["plans"][0]["lifetime_s"] is None
