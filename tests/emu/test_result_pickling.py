"""Results are values: a worker process can return them (they pickle and come back equal)."""

import pickle
from pathlib import Path

import emu
from hw_models.cores import load_core_table
from hw_models.frozen_mapping import FrozenMapping

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_core_cost_table_pickles_and_stays_read_only():
    table = load_core_table("cortex-m4f")
    again = pickle.loads(pickle.dumps(table))
    assert again == table
    assert isinstance(again.libraries, FrozenMapping)
    try:
        again.libraries["x"] = {}  # type: ignore[index]
    except TypeError:
        pass
    else:
        raise AssertionError("a core table's libraries can be changed")


def test_simulation_and_lifetime_results_pickle():
    scenario = emu.Scenario.from_toml(EXAMPLES / "kws_session_nrf52840.toml")
    simulated = emu.simulate(scenario)
    assert pickle.loads(pickle.dumps(simulated)).to_dict() == simulated.to_dict()
    life = emu.lifetime(scenario, horizon_s="30d")
    assert pickle.loads(pickle.dumps(life)).to_dict() == life.to_dict()


def test_frozen_mapping_hashes_by_content():
    assert hash(FrozenMapping({"a": 1})) == hash(FrozenMapping({"a": 1}))
    assert FrozenMapping({"a": 1}) == {"a": 1}
    assert FrozenMapping({"a": 1}) != FrozenMapping({"a": 2})
