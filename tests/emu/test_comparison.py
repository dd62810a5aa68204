"""emu.compare: each row is what the single-plan commands answer for that variant, and the pick is right."""

from dataclasses import replace
from pathlib import Path

import pytest

import emu
from emu.errors import ScenarioError
from emu.study.comparison import DEFAULT_UPDATES, ComparedPlan, PlanComparison, compare, parse_variant

KWS = Path(__file__).resolve().parents[2] / "examples" / "kws_coin_cell.toml"


@pytest.fixture(scope="module")
def kws():
    return emu.Scenario.from_toml(KWS)


def test_default_variants_are_the_scenario_plan_then_the_other_policies(kws):
    result = compare(kws, horizon_s="30d")
    assert [p.label for p in result.plans] == ["scenario plan"] + [f"update={u}" for u in DEFAULT_UPDATES]


def test_each_row_equals_the_single_plan_answers(kws):
    result = compare(kws, [{"update": "last:2", "optimizer": "adam"}], horizon_s="400d")
    row = result.plans[0]
    variant = replace(kws, plan=kws.plan.with_changes(update="last:2", optimizer="adam"))
    assert row.peak_sram_bytes == emu.plan(variant).memory.peak_sram_bytes
    assert row.step_energy_j == emu.simulate(variant).step_energy_j
    life = emu.lifetime(variant, horizon_s="400d")
    assert (row.lifetime_s, row.end_cause) == (life.lifetime_s, life.end_cause)


def test_longest_living_breaks_ties_by_the_energy_drawn():
    def row(label, lifetime_s, energy_j, feasible=True):
        plan = emu.Scenario.from_toml(KWS).plan
        return ComparedPlan(label, plan, feasible, 1, 1, 1.0, 1.0, 1.0, lifetime_s, "x", energy_j)

    result = PlanComparison(
        "s", "d", "m", (row("a", 10, 5), row("b", 10, 4), row("c", 20, 9, feasible=False))
    )
    assert result.longest_living.label == "b"
    assert PlanComparison("s", "d", "m", (row("c", 20, 9, feasible=False),)).longest_living is None


def test_variants_parse_and_bad_ones_name_the_field(kws):
    assert parse_variant("last:2") == {"update": "last:2"}
    assert parse_variant("update=full,batch_size=4,reorder=true") == {
        "update": "full",
        "batch_size": 4,
        "reorder": True,
    }
    with pytest.raises(ScenarioError, match="optimiser"):
        compare(kws, [{"optimiser": "adam"}])
    with pytest.raises(ScenarioError, match="plan.update"):
        compare(kws, [{"update": "most"}])


def test_variants_given_as_text_mean_what_the_cli_flag_means(kws):
    as_text = compare(kws, ["last:2", "update=bias,optimizer=adam"], horizon_s="30d")
    mappings = [{"update": "last:2"}, {"update": "bias", "optimizer": "adam"}]
    as_mappings = compare(kws, mappings, horizon_s="30d")
    assert as_text == as_mappings
    with pytest.raises(ScenarioError, match="variants"):
        compare(kws, [3], horizon_s="30d")  # type: ignore[list-item]
