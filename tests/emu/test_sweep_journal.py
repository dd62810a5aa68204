"""The sweep journal: a torn last line is ignored and cut; a killed sweep resumes, nothing lost or doubled."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import emu
from emu.errors import ScenarioError
from emu.scenario.scenario import Scenario
from emu.study.journal import Journal
from emu.study.sweep_points import content_key

ROOT = Path(__file__).resolve().parents[2]
DEVICES = ROOT / "hw_models" / "data" / "devices"


@pytest.mark.parametrize("sync", ["record", "batch"])
def test_records_round_trip_and_the_last_one_of_a_key_wins(tmp_path, sync):
    journal = Journal(tmp_path / "j.jsonl", sync=sync)
    assert journal.read() == {}
    journal.append([{"key": "a", "x": 1.0000000000000002}, {"key": "b", "x": float("inf")}])
    journal.append([{"key": "a", "x": 3}])
    records = journal.read()
    assert records["a"] == {"key": "a", "x": 3}
    assert records["b"]["x"] == float("inf")
    assert len((tmp_path / "j.jsonl").read_text().splitlines()) == 3


def test_a_torn_last_line_is_ignored_then_cut_before_the_next_append(tmp_path):
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.append([{"key": "a", "x": 1}])
    with open(path, "ab") as f:
        f.write(b'{"key": "b", "x"')  # a write that a kill interrupted
    assert set(journal.read()) == {"a"}
    journal.append([{"key": "c", "x": 2}])
    lines = path.read_text().splitlines()
    assert [json.loads(line)["key"] for line in lines] == ["a", "c"]


def test_a_complete_record_without_its_newline_is_not_counted_done(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_text('{"key": "a", "x": 1}\n{"key": "b", "x": 2}')
    journal = Journal(path)
    assert set(journal.read()) == {"a"}  # the newline is part of the write: without it the point is not done
    journal.append([{"key": "b", "x": 2}])
    assert path.read_text().count('"b"') == 1


def test_a_corrupt_line_or_a_folder_is_a_clear_error(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_text('not json\n{"key": "a"}\n')
    with pytest.raises(ScenarioError, match="line 1"):
        Journal(path).read()
    with pytest.raises(ScenarioError, match="not a folder"):
        Journal(tmp_path)
    with pytest.raises(ScenarioError, match="record, batch"):
        Journal(path, sync="never")
    with pytest.raises(ScenarioError, match="existing folder"):
        Journal(tmp_path / "missing" / "j.jsonl")


def test_the_content_key_changes_with_inputs_files_answers_and_version(tmp_path, monkeypatch):
    import emu.scenario.values as values

    data = {"device": {"name": "nrf52840"}, "model": {"name": "mlp"}, "plan": {"batch_size": 1}}
    key = content_key(Scenario.from_dict(data), ("plan",))
    assert key == content_key(Scenario.from_dict(dict(data), source="elsewhere.toml"), ("plan",))
    batch_2 = {**data, "plan": {"batch_size": 2}}
    assert key != content_key(Scenario.from_dict(batch_2), ("plan",))
    assert key != content_key(Scenario.from_dict(data), ("plan", "run"))
    monkeypatch.setattr(values, "tinyemu_version", lambda: "99.0.0")
    assert key != content_key(Scenario.from_dict(data), ("plan",))
    monkeypatch.undo()
    # a device file edited in place: same scenario text, new bytes, new key
    device = tmp_path / "board.toml"
    device.write_text(DEVICES.joinpath("nrf52840.toml").read_text())
    on_file = {**data, "device": {"name": str(device)}}
    before = content_key(Scenario.from_dict(on_file), ("plan",))
    device.write_text(device.read_text().replace("nrf52840", "nrf52840-edited", 1))
    assert before != content_key(Scenario.from_dict(on_file), ("plan",))


BASE = {
    "name": "killed",
    "device": {"name": "nrf52840"},
    "model": {"name": "lenet-digits"},
    "plan": {"update": "last:1", "batch_size": 1},
    "deployment": {"horizon": "30d"},
}
AXES = {"deployment.inference_period_s": [30 + 5 * i for i in range(12)], "plan.batch_size": [1, 2, 4]}
SWEEP = f"""
import emu, sys
emu.sweep({BASE!r}, {AXES!r}, what=("plan", "lifetime"), store=sys.argv[1], workers=1)
"""


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _start(store: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SWEEP, str(store)], cwd=ROOT)


def test_a_sweep_killed_at_random_moments_resumes_with_no_point_lost_or_doubled(tmp_path):
    store = tmp_path / "journal.jsonl"
    total = len(AXES["deployment.inference_period_s"]) * len(AXES["plan.batch_size"])
    rng = random.Random(11)
    kills = 0
    for _ in range(3):
        before = _lines(store)
        target = before + rng.randint(1, 8)
        process = _start(store)
        deadline = time.monotonic() + 60
        while _lines(store) < target and process.poll() is None and time.monotonic() < deadline:
            time.sleep(rng.uniform(0.0, 0.02))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            kills += 1
        process.wait()
        assert _lines(store) < total, "the sweep finished before it could be killed: make the grid longer"
    assert kills == 3
    resumed = emu.sweep(BASE, AXES, what=("plan", "lifetime"), store=store, workers=1)
    assert 0 < resumed.reused < total
    uninterrupted = emu.sweep(BASE, AXES, what=("plan", "lifetime"), workers=1)
    assert resumed == uninterrupted
    keys = [json.loads(line)["key"] for line in store.read_text().splitlines()]
    assert len(keys) == len(set(keys)) == total
    assert sorted(keys) == sorted(r.key for r in uninterrupted.rows)
