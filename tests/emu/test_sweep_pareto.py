"""The Pareto front: no point on it is dominated, every point off it is."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emu.errors import ScenarioError
from emu.study.pareto import _dominates, pareto_front, parse_objectives
from emu.study.sweep_table import SweepRow, SweepTable


def table_of(pairs, statuses=None):
    rows = tuple(
        SweepRow(
            i,
            (("x", i),),
            (statuses or {}).get(i, "ok"),
            None,
            (("step_energy_j", a), ("step_time_s", b)),
            f"k{i}",
        )
        for i, (a, b) in enumerate(pairs)
    )
    return SweepTable(("x",), ("run",), rows)


def test_objectives_parse_with_a_minus_to_maximise():
    assert parse_objectives("step_energy_j,-step_time_s") == (("step_energy_j", False), ("step_time_s", True))
    with pytest.raises(ScenarioError):
        parse_objectives("e_j,,")


def test_the_front_of_a_small_table():
    table = table_of([(1.0, 5.0), (2.0, 9.0), (2.0, 4.0), (3.0, 9.0), (0.5, 1.0)], statuses={4: "infeasible"})
    front = pareto_front(table, parse_objectives("step_energy_j,-step_time_s"))
    assert [r.index for r in front] == [0, 1]  # 2 and 3 are dominated; 4 does not fit
    with pytest.raises(ScenarioError, match="did you mean 'step_time_s'"):
        pareto_front(table, parse_objectives("step_tim_s"))


@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=30))
def test_front_points_are_undominated_and_the_rest_dominated(pairs):
    table = table_of([(float(a), float(b)) for a, b in pairs])
    objectives = parse_objectives("step_energy_j,-step_time_s")
    front = {r.index for r in pareto_front(table, objectives)}
    cost = {r.index: (r.value("step_energy_j"), -r.value("step_time_s")) for r in table.rows}
    assert front
    for i in cost:
        beaten = any(_dominates(cost[j], cost[i]) for j in cost)
        assert (i in front) == (not beaten)
