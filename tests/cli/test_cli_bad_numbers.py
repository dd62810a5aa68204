"""Numbers that cannot be (NaN, infinity, booleans, fractions of a count, absurd sizes) are input errors.

Each case goes through the real command: exit code 2, one line naming the field, the value and the range,
never a traceback. Cases are one per class of check (scenario numbers, zoo options, plan grammar, device
data), not one per field.
"""

from pathlib import Path

import pytest
from cli_checks import one_line_error

ROOT = Path(__file__).resolve().parents[2]
PLAN = ("plan", "-d", "nrf52840", "-m", "mlp")


@pytest.mark.parametrize(
    ("assignment", "needles"),
    [
        ("plan.learning_rate=nan", ("plan.learning_rate", "nan", "(0, 1000]")),
        ("plan.momentum=5", ("plan.momentum", "5", "[0, 1)")),
        ("model.classes=2.5", ("model.classes", "2.5", "whole number")),
        ("model.classes=inf", ("model.classes", "inf", "finite")),
        ("memory.reserved_sram_kib=nan", ("memory.reserved_sram_kib", "nan", "KiB")),
        ("supply.latitude_deg=true", ("supply.latitude_deg", "True", "[-90, 90]")),
        ("session.sleep_s=-inf", ("session.sleep_s", "-inf", "[0,")),
        ("checkpoint.slots=1000000000", ("checkpoint.slots", "1000000000", "[1, 4,096]")),
        ("plan.sparse_weights={dense_0=nan}", ("plan.sparse_weights.dense_0", "nan", "finite")),
    ],
)
def test_scenario_numbers_are_checked_where_they_enter(cli, assignment, needles):
    one_line_error(cli(*PLAN, "--set", assignment), *needles)


def test_a_scenario_file_number_is_checked_too(cli, tmp_path):
    text = (
        (ROOT / "examples" / "solar_vww.toml")
        .read_text()
        .replace("latitude_deg = 48.0", "latitude_deg = nan")
    )
    path = tmp_path / "s.toml"
    path.write_text(text)
    one_line_error(cli("plan", "-s", str(path)), str(path), "supply.latitude_deg", "nan", "[-90, 90]")


def test_a_width_that_rounds_channels_to_zero_is_refused(cli):
    result = cli("plan", "-d", "apollo4p", "-m", "mlperf-mbv1-vww", "--set", "model.width=0.001")
    one_line_error(result, "model.width", "0.001", "[0.03125, 4]")


@pytest.mark.parametrize("update", ["last:²", "last:" + "9" * 5000, "last:0", "last:-1"])
def test_last_k_has_a_bounded_ascii_grammar(cli, update):
    result = cli(*PLAN, "--update", update)
    one_line_error(result, "plan.update", "last:K", "at most 6 digits")
    assert len(result.err) < 400  # 5,000 digits are not echoed back whole


@pytest.mark.parametrize(
    ("old", "new", "needles"),
    [
        ("sram_kib = 256", "sram_kib = nan", ("memory.sram_kib", "nan", "finite")),
        ("sram_kib = 256", "sram_kib = 1e30", ("memory.sram_kib", "at most")),
        ("count = 256", "count = 10000000000", ("flash.sectors[0].count", "10000000000", "1,048,576")),
    ],
)
def test_device_numbers_are_checked_in_the_loader(cli, tmp_path, old, new, needles):
    text = (ROOT / "hw_models" / "data" / "devices" / "nrf52840.toml").read_text()
    assert old in text
    path = tmp_path / "dev.toml"
    path.write_text(text.replace(old, new))
    one_line_error(cli("plan", "-d", str(path), "-m", "mlp"), str(path), *needles)


@pytest.mark.parametrize(
    "assignment",
    ['plan.update="full"\nbatch_size = 0', 'plan.update="full"\rplan.batch_size=0'],
)
def test_a_set_value_cannot_smuggle_a_second_key(cli, assignment):
    one_line_error(cli(*PLAN, "--set", assignment), "--set", "one line")


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (
            ("train", "-d", "nrf52840", "-m", "mlp", "--epochs", "1000000000000"),
            ("train.epochs", "1,000,000"),
        ),
        (("lifetime", "-d", "nrf52840", "-m", "mlp", "--horizon", "1000000y"), ("--horizon", "100y")),
        (("run", "-d", "nrf52840", "-m", "mlp", "--clock", "nan"), ("session.clock_mhz", "nan", "MHz")),
    ],
)
def test_flags_get_the_checks_of_the_fields_they_set(cli, args, needles):
    one_line_error(cli(*args), *needles)
