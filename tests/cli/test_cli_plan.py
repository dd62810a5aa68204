"""The ``tinyemu`` command: golden output, JSON contract, exit codes, clear errors."""

import json


def test_plan_example_golden(cli, golden):
    result = cli("plan", "--scenario", "examples/kws_nrf52840.toml")
    assert result.code == 0, result.err
    golden("plan_kws_nrf52840.txt", result.out)


def test_infeasible_plan_exits_1_with_verdict_golden(cli, golden):
    result = cli("plan", "--scenario", "examples/vww_full_stm32f746.toml")
    assert result.code == 1
    assert "DOES NOT FIT" in result.out and "What would make it fit" in result.out
    golden("plan_vww_full_stm32f746.txt", result.out)


def test_models_golden_and_json(cli, golden):
    result = cli("models")
    assert result.code == 0
    golden("models.txt", result.out)
    rows = json.loads(cli("models", "--json").out)
    by_name = {r["name"]: r for r in rows}
    assert by_name["mlperf-dscnn"]["macs"] == 2656768
    assert set(rows[0]) >= {"name", "params", "macs", "input_shape"}


def test_devices_json_contract(cli):
    rows = json.loads(cli("devices", "--json").out)
    names = {r["name"] for r in rows}
    assert {
        "nrf52840",
        "stm32f746",
        "stm32h743",
        "stm32l4r5",
        "stm32u575",
        "esp32s3",
        "rp2040",
        "apollo4p",
    } <= names
    for row in rows:
        assert set(row) >= {"name", "core", "clock_hz", "sram_bytes", "flash_bytes"}
        assert row["sram_bytes"] > 0 and row["flash_bytes"] > 0


def test_plan_json_contract_and_flags_override_the_file(cli):
    result = cli(
        "plan", "-s", "examples/kws_nrf52840.toml", "--batch", "4", "--set", "plan.optimizer=adam", "--json"
    )
    data = json.loads(result.out)
    assert data["plan"]["batch_size"] == 4 and data["plan"]["optimizer"] == "adam"
    for key in (
        "feasible",
        "peak_sram_bytes",
        "sram_bytes",
        "flash_used_bytes",
        "flash_bytes",
        "breakdown",
        "layers",
    ):
        assert key in data
    assert result.code == (0 if data["feasible"] else 1)


def test_plan_from_flags_only(cli):
    result = cli("plan", "--device", "stm32h743", "--model", "mlperf-resnet8", "--update", "last:2", "--json")
    assert result.code == 0
    assert json.loads(result.out)["device"] == "stm32h743"


def test_user_device_file(cli, tmp_path):
    import shutil
    from pathlib import Path

    import hw_models

    source = Path(hw_models.__file__).parent / "data" / "devices" / "nrf52840.toml"
    mine = tmp_path / "my_board.toml"
    shutil.copy(source, mine)
    result = cli("plan", "--device", str(mine), "--model", "mlp", "--json")
    assert result.code == 0, result.err


BAD_INPUTS = [
    (("plan", "--device", "nrf5284", "--model", "mlp"), "nrf5284"),
    (("plan", "--device", "nrf52840", "--model", "resnet"), "model.name"),
    (("plan", "--device", "nrf52840", "--model", "mlp", "--update", "last:x"), "plan.update"),
    (("plan", "--device", "nrf52840", "--model", "mlp", "--batch", "0"), "plan.batch_size"),
    (
        ("plan", "--device", "nrf52840", "--model", "mlp", "--set", "plan.optimiser=adam"),
        "did you mean 'optimizer'",
    ),
    (("plan", "--device", "nrf52840", "--model", "mlp", "--set", "nonsense"), "section.key=value"),
    (("plan", "--scenario", "does/not/exist.toml"), "existing TOML file"),
    (("plan", "--model", "mlp"), "--device"),
    (("plan", "--device", "nrf52840", "--model", "mlp", "--batch", "two"), "--batch"),
]


def test_bad_input_is_one_clear_line_and_exit_2(cli):
    for args, fragment in BAD_INPUTS:
        result = cli(*args)
        assert result.code == 2, (args, result.out, result.err)
        assert fragment in result.err, (args, result.err)
        assert "Traceback" not in result.err
