"""The sweep on a real Dask cluster of worker processes gives the serial run's table, bit for bit."""

import pytest

import emu
from emu.errors import ScenarioError

pytest.importorskip("distributed")

from emu.study.dask_cluster import dask_executor  # noqa: E402

BASE = {
    "name": "tiny",
    "device": {"name": "nrf52840"},
    "model": {"name": "lenet-digits"},
    "plan": {"update": "last:1", "batch_size": 1},
    "deployment": {"horizon": "30d"},
}
AXES = {"plan.batch_size": [1, 2, 4], "device": ["nrf52840", "stm32f746"]}


def test_serial_pool_and_a_local_dask_cluster_give_identical_tables(tmp_path):
    serial = emu.sweep(BASE, AXES, what="plan,run,lifetime", workers=1)
    pool = emu.sweep(BASE, AXES, what="plan,run,lifetime", workers=2)
    store = tmp_path / "journal.jsonl"
    with dask_executor("local", workers=2) as executor:
        dask = emu.sweep(BASE, AXES, what="plan,run,lifetime", executor=executor, store=store)
    assert serial == pool == dask
    assert [r.values for r in dask.rows] == [r.values for r in serial.rows]  # floats equal, not close
    assert len(store.read_text().splitlines()) == len(serial.rows)


def test_a_bad_scheduler_address_is_a_scenario_error():
    with pytest.raises(ScenarioError, match="tcp://host:8786"):
        with dask_executor("somehost"):
            pass
