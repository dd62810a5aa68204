"""emu.compare picks by what was asked: accuracy when every plan lives the whole horizon; a plan that
does not fit gets no lifetime."""

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


def test_when_a_plan_dies_first_lifetime_decides(plan):
    rows = (row(plan, "last:1", 100, 1.0, 0.658), row(plan, "full", 50, 3.0, 0.903, "battery_cutoff"))
    result = PlanComparison("s", "d", "m", rows)
    assert result.best_by == "lifetime" and result.best.label == "last:1"


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
