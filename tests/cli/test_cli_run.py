"""`tinyemu run` and `tinyemu validate` through the real command."""

import json


def test_run_json_keys_and_trace(cli, tmp_path):
    trace = tmp_path / "trace.json"
    r = cli(
        "run", "-s", "examples/kws_session_nrf52840.toml", "--samples", "3", "--json", "--trace", str(trace)
    )
    assert r.code == 0, r.err
    d = json.loads(r.out)
    for key in (
        "step_time_s",
        "step_energy_j",
        "session_time_s",
        "session_energy_j",
        "energy_by_component_j",
        "energy_by_phase_j",
        "layers",
        "peak_sram_bytes",
        "feasible",
    ):
        assert key in d
    assert d["steps"] == 6 and json.loads(trace.read_text())["traceEvents"]


def test_run_tables_and_exit_codes(cli):
    r = cli("run", "-d", "stm32l4r5", "-m", "mlp", "--clock", "60", "--analytical")
    assert r.code == 0 and "Energy by component" in r.out
    assert cli("run", "-d", "nrf52840", "-m", "mlperf-mbv1-vww", "--update", "full").code == 1
    bad = cli("run", "-d", "stm32l4r5", "-m", "mlp", "--clock", "999")
    assert bad.code == 2 and "clock_mhz" in bad.err and "Traceback" not in bad.err


def test_validate_reports_errors(cli):
    r = cli("validate", "--json")
    assert r.code == 0, r.err
    d = json.loads(r.out)
    assert d["rows"] and all(abs(row["latency_error_pct"]) < 1000 for row in d["rows"])
    assert "cortex-m4f" in d["mean_abs_error_pct"]
    table = cli("validate", columns=120)
    assert "Mean absolute error" in table.out and "%" in table.out
