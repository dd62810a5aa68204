"""Bad input raises SpecError naming the file, the field and the value; a user's own file loads."""

from pathlib import Path

import pytest

from hw_models import SpecError, load_battery, load_device

GOOD = """
name = "my_dev"
description = "A user's board"

[core]
family = "cortex-m4f"
has_fpu = true
has_dsp_simd = true
cores = 1
source = "my board notes"

[supply]
voltage_v = 3.0
source = "my board notes"

[[operating_points]]
clock_mhz = 48
voltage_v = 3.0
run_current_ua_per_mhz = 50
source = "my measurement"

[memory]
sram_kib = 64
source = "datasheet"

[flash]
size_kib = 256
external = false
needs_erase = true
sectors = [{ count = 64, size_kib = 4 }]
program_unit_bytes = 4
program_time_us = 40
program_current_ma = 3
erase_time_ms = 20
erase_current_ma = 3
endurance_cycles = 10000
source = "datasheet"

[dma]
throughput_mb_per_s = 96
current_ma = 0.5
memory_to_memory = true
source = "estimate"

[[sleep_states]]
name = "stop"
current_ua = 2
wakeup_us = 5
retains_sram = true
source = "datasheet"
"""


@pytest.fixture
def write(tmp_path):
    def _write(text: str, name: str = "my_dev.toml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return _write


def raises(path: Path) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_device(path)
    return info.value


def test_user_device_file_loads(write):
    device = load_device(write(GOOD))
    assert device.name == "my_dev"
    assert device.sram_bytes == 64 * 1024 == device.largest_sram_bank_bytes
    assert device.flash_bytes == 256 * 1024
    assert device.clock_hz == 48e6
    assert device.operating_points[0].run_current_a == pytest.approx(50e-6 * 48)
    assert device.sources["operating_points[0].run_current_a"] == "my measurement"


def test_user_device_loads_from_str_path(write):
    assert load_device(str(write(GOOD))).name == "my_dev"


def test_unknown_key_suggests_the_right_unit(write):
    err = raises(write(GOOD.replace("sram_kib = 64", "sram_kb = 64")))
    assert err.field == "memory.sram_kb" and err.value == 64
    assert "did you mean 'sram_kib'?" in str(err)
    assert str(err).startswith(f"{err.source}: memory.sram_kb = 64: unknown key")
    assert err.source.endswith("my_dev.toml")


def test_unknown_table_key_suggests(write):
    err = raises(write(GOOD.replace("has_fpu = true", "has_fpuu = true")))
    assert err.field == "core.has_fpuu" and "did you mean 'has_fpu'?" in str(err)


def test_missing_field(write):
    err = raises(write(GOOD.replace("program_time_us = 40\n", "")))
    assert err.field == "flash.program_time_bytes" or err.field.startswith("flash.program_time")
    assert "required" in err.allowed and "program_time_us" in err.allowed
    assert "my_dev.toml" in str(err)


def test_missing_table(write):
    err = raises(write(GOOD.replace("[dma]", "[dmaa]")))
    assert err.field == "dmaa" and "did you mean 'dma'?" in str(err)


def test_negative_size_message(write):
    err = raises(write(GOOD.replace("sram_kib = 64", "sram_kib = -4")))
    assert str(err) == f"{err.source}: memory.sram_kib = -4: must be a positive number"
    assert (err.field, err.value) == ("memory.sram_kib", -4)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("cores = 1", 'cores = "one"', "core.cores"),
        ("has_fpu = true", "has_fpu = 1", "core.has_fpu"),
        ("clock_mhz = 48", 'clock_mhz = "48"', "operating_points[0].clock_mhz"),
        ("clock_mhz = 48", "clock_mhz = 0", "operating_points[0].clock_mhz"),
        ('family = "cortex-m4f"', 'family = "cortex-m4"', None),
        ('family = "cortex-m4f"', 'family = "cortexm7"', "core.family"),
        ("size_kib = 256", "size_kib = 300", "flash.sector_sizes_bytes"),
        ("sram_kib = 64", "sram_kib = 64.3", "memory.sram_kib"),
    ],
)
def test_wrong_types_and_values(write, old, new, field):
    text = GOOD.replace(old, new)
    if field is None:
        assert load_device(write(text)).core.family == "cortex-m4"
        return
    err = raises(write(text))
    assert err.field == field
    assert err.source.endswith("my_dev.toml")


def test_family_typo_suggests(write):
    err = raises(write(GOOD.replace('family = "cortex-m4f"', 'family = "cortex-m7f"')))
    assert "did you mean" in str(err) and "cortex-m7" in err.allowed


def test_value_without_source(write):
    text = GOOD.replace('voltage_v = 3.0\nsource = "my board notes"', "voltage_v = 3.0")
    err = raises(write(text))
    assert err.field == "supply.voltage_v" and "has no source" in str(err)


def test_per_key_source_satisfies_citation(write):
    text = GOOD.replace(
        'voltage_v = 3.0\nsource = "my board notes"', 'voltage_v = 3.0\nvoltage_v_source = "schematic"'
    )
    assert load_device(write(text)).sources["supply_voltage_v"] == "schematic"


def test_two_units_for_one_field(write):
    err = raises(write(GOOD.replace("sram_kib = 64", "sram_kib = 64\nsram_bytes = 65536")))
    assert "give only one of" in str(err)


def test_bad_toml_is_a_spec_error(write):
    err = raises(write("name = \n[core"))
    assert err.source.endswith("my_dev.toml") and "valid TOML" in str(err) and "line" in str(err)


def test_missing_file(tmp_path):
    err = raises(tmp_path / "nope.toml")
    assert "nope.toml" in str(err) and "no such device file" in str(err)


def test_unknown_preset_lists_names_and_suggests():
    with pytest.raises(SpecError) as info:
        load_device("nrf52480")
    text = str(info.value)
    assert "did you mean 'nrf52840'?" in text and "stm32h743" in text and info.value.value == "nrf52480"


def test_unknown_battery_preset():
    with pytest.raises(SpecError) as info:
        load_battery("CR2023")
    assert "CR2032" in str(info.value)


def test_bad_battery_file(tmp_path):
    path = tmp_path / "cell.toml"
    path.write_text(
        'name = "x"\nchemistry = "Li"\nnominal_voltage_v = 3.0\ncutoff_voltage_v = 3.5\n'
        'capacity_mah = 10\nmax_continuous_current_ma = 1\nself_discharge_pct_per_year = 1\nsource = "me"\n'
    )
    with pytest.raises(SpecError) as info:
        load_battery(path)
    assert info.value.field == "cutoff_voltage_v" and "cell.toml" in str(info.value)


def test_spec_error_is_a_value_error():
    assert issubclass(SpecError, ValueError)


def test_a_required_read_is_given_after_finish_and_a_missing_one_is_reported_by_finish():
    from hw_models.toml_table import TomlTable, given

    table = TomlTable({"count": 0, "source": "notes"}, file="f.toml", sources={})
    present, absent = table.count("count", minimum=0), table.count("other")
    assert given(present) == 0  # a falsy value is still a value
    with pytest.raises(SpecError, match="other"):
        table.finish()
    with pytest.raises(RuntimeError, match="finish"):
        given(absent)
