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


def test_lifetime_result_reads_back_from_its_document():
    import json

    from emu.deploy.lifetime_result import LifetimeResult

    scenario = emu.Scenario.from_toml(EXAMPLES / "kws_coin_cell.toml")
    life = emu.lifetime(scenario, horizon_s="60d")
    document = json.loads(json.dumps(life.to_dict()))  # what a store holds: JSON, string keys
    again = LifetimeResult.from_dict(document)
    assert again == life
    assert again.to_dict() == life.to_dict()


def test_train_result_reads_back_from_its_document():
    import json

    from emu.functional.training import TrainResult

    scenario = emu.Scenario.from_toml(EXAMPLES / "digits_personalise.toml")
    trained = emu.train(scenario, epochs=1, pretrain_epochs=1, samples=16)
    document = json.loads(json.dumps(trained.to_dict()))
    again = TrainResult.from_dict(document)
    assert again == trained and again.to_dict() == trained.to_dict()


def _answers(path: str) -> dict:
    """Every kind of result for one scenario, computed in whichever process calls this."""
    scenario = emu.Scenario.from_toml(path)
    return {
        "plan": emu.plan(scenario),
        "simulate": emu.simulate(scenario),
        "lifetime": emu.lifetime(scenario, horizon_s="30d"),
        "compare": emu.compare(scenario, ["bias", "last:1"], horizon_s="30d"),
        "optimize": emu.optimize(scenario, pareto_points=2),
        "sweep": emu.sweep(scenario, {"plan.batch_size": [1, 2]}, what="plan", workers=1),
    }


def test_every_result_comes_back_equal_from_a_worker_process():
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    path = str(EXAMPLES / "kws_session_nrf52840.toml")
    here = _answers(path)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        there = pool.submit(_answers, path).result(timeout=300)
    assert set(there) == set(here)
    for kind, result in here.items():
        assert type(there[kind]) is type(result), kind
        assert _without_wall_clock(there[kind].to_dict()) == _without_wall_clock(result.to_dict()), kind


def _without_wall_clock(document: dict) -> dict:
    return {k: v for k, v in document.items() if k != "solve_s"}  # the optimiser's own run time
