"""``tinyemu sweep``: the grid's table and JSON, the store, and bad input as one line with exit code 2."""

import json
from pathlib import Path

import emu

ROOT = Path(__file__).resolve().parents[2]
KWS = "examples/kws_nrf52840.toml"
GRID = ["--vary", "plan.batch_size=1,2,4", "--vary", "device=nrf52840,stm32f746", "--what", "plan"]


def test_json_holds_every_point_as_the_python_api_computes_it(cli):
    run = cli("sweep", KWS, *GRID, "--workers", "1", "--json")
    assert run.code == 0, run.err
    document = json.loads(run.out)
    expected = emu.sweep(
        ROOT / KWS,
        {"plan.batch_size": [1, 2, 4], "device": ["nrf52840", "stm32f746"]},
        what="plan",
        workers=1,
    )
    assert document["rows"] == expected.to_records()
    assert document["axes"] == ["plan.batch_size", "device.name"]
    assert document["counts"] == {"ok": 5, "infeasible": 1, "error": 0}
    assert run.err == ""  # no progress bar when stderr is not a terminal


def test_the_table_shows_each_point_and_the_counts(cli):
    run = cli("sweep", KWS, *GRID, "--workers", "2")
    assert run.code == 0, run.err
    cells = [line.replace("│", " ").split() for line in run.out.splitlines()]
    rows = [c for c in cells if len(c) > 3 and c[0].isdigit() and c[1].isdigit()]
    assert [(r[1], r[2], r[3]) for r in rows] == [
        ("1", "nrf52840", "ok"),
        ("1", "stm32f746", "ok"),
        ("2", "nrf52840", "ok"),
        ("2", "stm32f746", "ok"),
        ("4", "nrf52840", "infeasible"),
        ("4", "stm32f746", "ok"),
    ]
    assert "5 ok, 1 infeasible, 0 failed" in run.out
    assert "infeasible #4: SRAM over by" in run.out


def test_sort_zip_and_samples(cli):
    run = cli("sweep", KWS, *GRID, "--zip", "--json", "--vary", "session.clock_mhz=16,32,64")
    # 3, 2 and 3 values do not zip; under --json the error is a JSON object on stdout
    assert run.code == 2 and json.loads(run.out)["field"] == "--zip" and "one length" in run.out
    run = cli(
        "sweep", KWS, "--vary", "plan.batch_size=1,2,4", "--what", "plan", "--sort=-peak_sram_bytes", "--json"
    )
    sram = [row["peak_sram_bytes"] for row in json.loads(run.out)["rows"]]
    assert sram == sorted(sram, reverse=True) and len(set(sram)) == 3
    run = cli(
        "sweep",
        KWS,
        "--vary",
        "session.clock_mhz=16..64",
        "--samples",
        "4",
        "--seed",
        "2",
        "--what",
        "run",
        "--json",
    )
    clocks = [row["session.clock_mhz"] for row in json.loads(run.out)["rows"]]
    assert len(clocks) == 4 and all(16 <= c <= 64 for c in clocks)


def test_a_rerun_with_the_store_takes_the_points_from_it(cli, tmp_path):
    store = tmp_path / "sweep.jsonl"
    first = cli("sweep", KWS, *GRID, "--store", str(store), "--json", "--csv", str(tmp_path / "t.csv"))
    assert (tmp_path / "t.csv").read_text().count("\n") == 7  # header + 6 points
    again = cli("sweep", KWS, *GRID, "--store", str(store))
    assert first.code == again.code == 0
    assert len(store.read_text().splitlines()) == 6
    assert "6 from the store" in again.out


def test_no_point_that_fits_is_exit_code_1(cli):
    run = cli(
        "sweep", KWS, "--vary", "plan.batch_size=8,16", "--what", "plan", "--set", "device.name=nrf52840"
    )
    assert run.code == 1, run.err
    assert "0 ok, 2 infeasible" in run.out


def test_bad_input_is_one_line_and_exit_code_2(cli, tmp_path):
    cases = [
        (["--vary", "plan.bach_size=1,2"], "did you mean 'batch_size'"),
        (["--vary", "plan.batch_size=1,0"], "sweep point 1: plan.batch_size=0"),
        (["--vary", "device=nrf52840,nrf5284"], "sweep point 1"),
        (["--vary", "session.clock_mhz=16..64"], "--samples"),
        (
            ["--vary", "plan.batch_size=1", "--sort", "lifetim", "--what", "lifetime"],
            "did you mean 'lifetime_s'",
        ),
        (["--vary", "plan.batch_size=1", "--store", str(tmp_path / "no" / "j.jsonl")], "existing folder"),
        (["--vary", "plan.batch_size=1", "--dask", "somehost"], "tcp://host:8786"),
        (["--vary", "plan.batch_size=1", "--csv", str(tmp_path / "no" / "t.csv")], "existing folder"),
    ]
    for args, message in cases:
        run = cli("sweep", KWS, *args)
        assert run.code == 2, (args, run.out, run.err)
        assert message in run.err, (args, run.err)
        assert "Traceback" not in run.err and len(run.err.strip().splitlines()) == 1, run.err
    missing = cli("sweep", "examples/nope.toml", "--vary", "plan.batch_size=1")
    assert missing.code == 2 and "an existing TOML file" in missing.err


def test_ctrl_c_keeps_the_finished_points_and_says_how_to_resume(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    store = tmp_path / "sweep.jsonl"
    args = ["sweep", KWS, "--vary", "deployment.inference_period_s=30..150:5", "--what", "lifetime"]
    args += ["--set", "deployment.horizon=1y", "--workers", "1", "--store", str(store)]
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while (not store.exists() or not store.read_bytes().count(b"\n")) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "rerun the same command to resume" in err.decode() and "Traceback" not in err.decode()
    kept = len(store.read_text().splitlines())
    assert 0 < kept < 25


def test_pareto_marks_the_front_in_the_table_and_the_json(cli):
    grid = ["--vary", "plan.batch_size=1,2,4", "--vary", "device=nrf52840,stm32f746", "--what", "plan,run"]
    run = cli("sweep", KWS, *grid, "--pareto", "peak_sram_bytes,step_energy_j", "--json")
    assert run.code == 0, run.err
    document = json.loads(run.out)
    ok = [r for r in document["rows"] if r["status"] == "ok"]
    front = set(document["pareto"]["indices"])
    cost = {r["index"]: (r["peak_sram_bytes"], r["step_energy_j"]) for r in ok}

    def beaten(i):
        return any(
            all(a <= b for a, b in zip(cost[j], cost[i], strict=True)) and cost[j] != cost[i] for j in cost
        )

    assert front and front == {i for i in cost if not beaten(i)}
    table = cli("sweep", KWS, *grid, "--pareto", "peak_sram_bytes,step_energy_j")
    assert "Pareto front (peak_sram_bytes min, step_energy_j min): " in table.out
    bad = cli("sweep", KWS, *grid, "--pareto", "lifetime")
    assert bad.code == 2 and "pareto" in bad.err and "Traceback" not in bad.err
