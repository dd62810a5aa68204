"""emu.sweep: the grid validated up front, answers per point, bad points recorded, order kept."""

import sys
import threading
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path

import pytest

import emu
from emu.errors import ScenarioError
from emu.study.axes import Interval, Samples
from emu.study.journal import Journal
from workloads.errors import WorkloadError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

BASE = {
    "name": "tiny",
    "device": {"name": "nrf52840"},
    "model": {"name": "lenet-digits"},
    "plan": {"update": "last:1", "batch_size": 1},
    "deployment": {"horizon": "30d"},
}
AXES = {"plan.batch_size": [1, 2], "device": ["nrf52840", "stm32f746"]}


class NoRun(Executor):
    """An executor that fails the test if the sweep submits anything."""

    def submit(self, fn, /, *args, **kwargs):
        raise AssertionError("a point was run")


class Reversed(Executor):
    """Finishes the chunks in the reverse of the order they were submitted."""

    def __init__(self):
        self.count = 0

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()
        delay = max(0.0, 0.4 - 0.1 * self.count)
        self.count += 1
        threading.Timer(delay, lambda: future.set_result(fn(*args, **kwargs))).start()
        return future


def test_each_point_answers_what_a_single_run_answers():
    table = emu.sweep(BASE, AXES, what=("plan", "run", "lifetime"), workers=1)
    assert table.axes == ("plan.batch_size", "device.name")
    assert [r.index for r in table.rows] == [0, 1, 2, 3]
    row = table.rows[3]
    assert dict(row.point) == {"plan.batch_size": 2, "device.name": "stm32f746"}
    scenario = emu.Scenario.from_dict(
        {**BASE, "plan": {"update": "last:1", "batch_size": 2}, "device": {"name": "stm32f746"}}
    )
    assert row.value("peak_sram_bytes") == emu.plan(scenario).memory.peak_sram_bytes
    assert row.value("step_energy_j") == emu.simulate(scenario).step_energy_j
    assert row.value("lifetime_s") == emu.lifetime(scenario).lifetime_s
    records = table.to_records()
    assert records[3]["device.name"] == "stm32f746" and records[3]["status"] == row.status


def test_serial_pool_and_any_executor_give_the_same_table_in_grid_order():
    serial = emu.sweep(BASE, AXES, what="plan,run", workers=1)
    pool = emu.sweep(BASE, AXES, what="plan,run", workers=2)
    with ThreadPoolExecutor(2) as threads:
        threaded = emu.sweep(BASE, AXES, what="plan,run", executor=threads)
    backwards = emu.sweep(BASE, AXES, what="plan,run", executor=Reversed())
    assert serial == pool == threaded == backwards
    assert [r.index for r in backwards.rows] == [0, 1, 2, 3]


def test_a_typo_anywhere_in_the_grid_fails_before_any_point_runs(tmp_path):
    store = tmp_path / "journal.jsonl"
    with pytest.raises(ScenarioError, match="did you mean 'batch_size'"):
        emu.sweep(BASE, {"plan.bach_size": [1]}, what="plan", executor=NoRun(), store=store)
    with pytest.raises((ScenarioError, WorkloadError), match="sweep point 2"):
        emu.sweep(BASE, {"plan.batch_size": [1, 2, 0]}, what="plan", executor=NoRun(), store=store)
    with pytest.raises(ScenarioError, match="sweep point 1"):
        emu.sweep(
            BASE, {"session.sample_source": ["sram", "disk"]}, what="run", executor=NoRun(), store=store
        )
    with pytest.raises(ScenarioError, match="did you mean 'lifetime'"):
        emu.sweep(BASE, AXES, what="lifetme", executor=NoRun())
    assert not store.exists()


def test_infeasible_and_failing_points_are_rows_with_reasons():
    base = {**BASE, "model": {"name": "mlperf-dscnn", "classes": 12}, "plan": {"update": "last:1"}}
    table = emu.sweep(base, {"plan.batch_size": [1, 16]}, what="plan", workers=1)
    assert [r.status for r in table.rows] == ["ok", "infeasible"]
    assert "SRAM over by" in table.rows[1].reason
    # an inference longer than its period is only found out when the deployment runs: the point fails
    failing = emu.sweep(BASE, {"deployment.inference_period_s": [60, 1e-9]}, what="lifetime", workers=1)
    assert failing.rows[0].status == "ok"
    assert failing.rows[1].status == "error" and "inference_period_s" in failing.rows[1].reason


def test_samples_and_zip_through_the_api():
    samples = Samples((("session.clock_mhz", Interval(16, 64)),), 3, seed=1)
    table = emu.sweep(BASE, {"device": ["nrf52840"]}, what="run", samples=samples, workers=1)
    assert table.axes == ("device.name", "session.clock_mhz")
    assert len(table.rows) == 3 and all(r.status == "ok" for r in table.rows)
    zipped = emu.sweep(BASE, AXES, what="plan", zip_axes=True, workers=1)
    assert [dict(r.point) for r in zipped.rows] == [
        {"plan.batch_size": 1, "device.name": "nrf52840"},
        {"plan.batch_size": 2, "device.name": "stm32f746"},
    ]


def test_a_scenario_file_or_a_loaded_scenario_is_a_base():
    path = EXAMPLES / "kws_nrf52840.toml"
    from_path = emu.sweep(path, {"plan.batch_size": [1, 2]}, what="plan", workers=1)
    from_scenario = emu.sweep(
        emu.Scenario.from_toml(path), {"plan.batch_size": [1, 2]}, what="plan", workers=1
    )
    assert from_path == from_scenario


def test_resume_skips_stored_points_and_recomputes_changed_ones(tmp_path):
    store = tmp_path / "journal.jsonl"
    first = emu.sweep(BASE, AXES, what="plan", store=store, workers=1)
    again = emu.sweep(BASE, AXES, what="plan", store=store, executor=NoRun())
    assert again == first and again.reused == 4
    wider = emu.sweep(BASE, {**AXES, "plan.batch_size": [1, 2, 4]}, what="plan", store=store, workers=1)
    assert wider.reused == 4 and len(wider.rows) == 6
    assert len(Journal(store).read()) == 6
    # other answers asked for: other points, computed
    other = emu.sweep(BASE, AXES, what="run", store=store, workers=1)
    assert other.reused == 0


def test_to_pandas_or_a_clear_error(monkeypatch):
    table = emu.sweep(BASE, AXES, what="plan", workers=1)
    pd = pytest.importorskip("pandas")
    frame = table.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(table.columns)
    assert frame["peak_sram_bytes"].tolist() == [r.value("peak_sram_bytes") for r in table.rows]
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"tinyemu\[sweep\]"):
        table.to_pandas()


def test_csv_reads_back_to_the_records(tmp_path):
    import csv

    from emu.study.sweep_export import write_csv

    table = emu.sweep(BASE, AXES, what="plan,run", workers=1)
    path = write_csv(table, tmp_path / "table.csv")
    rows = list(csv.DictReader(path.open()))
    assert list(rows[0]) == list(table.columns)
    for row, record in zip(rows, table.to_records(), strict=True):
        assert float(row["step_energy_j"]) == record["step_energy_j"]  # exact, not close
        assert row["device.name"] == record["device.name"] and row["reason"] == ""
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]  # no temporary file left
