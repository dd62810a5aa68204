"""Regulators, capacitors and the over-current plan; every supply preset loads and cites its values."""

import math
import tomllib
from pathlib import Path

import pytest

import hw_models
from hw_models import (
    SpecError,
    capacitor_names,
    load_battery,
    load_capacitor,
    load_panel,
    load_regulator,
    panel_names,
    regulator_names,
)
from hw_models.buffer import plan_burst
from hw_models.cell_models import make_cell

DATA = Path(hw_models.__file__).parent / "data"
CR2032 = load_battery("CR2032")


@pytest.mark.parametrize(
    ("folder", "names", "load"),
    [
        ("regulators", regulator_names(), load_regulator),
        ("panels", panel_names(), load_panel),
        ("capacitors", capacitor_names(), load_capacitor),
    ],
)
def test_every_supply_preset_loads_and_every_value_is_cited(folder, names, load):
    assert len(names) >= 2
    for name in names:
        part = load(name.lower())
        assert part.name == name
        data = tomllib.loads((DATA / folder / f"{name}.toml").read_text())
        for key in data:
            if key in ("name", "kind", "setting", "source") or key.endswith("_source"):
                continue
            assert data.get(f"{key}_source") or data.get("source"), f"{name}: {key} has no source"


def test_battery_model_fields_are_cited():
    for name in hw_models.battery_names():
        cell = load_battery(name)
        for field in ("peukert_exponent", "internal_resistance_ohm", "kibam_rate_per_s", "ocv_voltage_v"):
            assert cell.sources.get(field, "").strip(), f"{name}: {field}"


def test_ldo_efficiency_is_vout_over_vin_with_quiescent_current():
    ldo = load_regulator("TPS7A02").with_output_voltage(1.8)
    assert ldo.input_current_a(1e-3, 3.0) == pytest.approx(1e-3 + 25e-9)
    assert ldo.efficiency_at(10e-3, 3.0) == pytest.approx(1.8 / 3.0, rel=1e-5)
    assert ldo.efficiency_at(1e-6, 3.0) < 0.6 * 0.98  # quiescent current matters at a microamp
    assert ldo.efficiency_at(0.0, 3.0) == 0.0 and ldo.input_current_a(0.0, 3.0) == pytest.approx(25e-9)
    assert ldo.required_input_voltage_v == pytest.approx(2.0)


def test_buck_follows_its_curve_and_beats_the_ldo_from_a_3v_cell():
    buck, ldo = load_regulator("TPS62840"), load_regulator("TPS7A02")
    assert buck.efficiency_at(1e-6, 3.0) == pytest.approx(0.80)
    assert buck.efficiency_at(10e-3, 3.0) == pytest.approx(0.93)
    mid = buck.efficiency_at(math.sqrt(1e-3 * 10e-3), 3.0)  # log-interpolated halfway
    assert mid == pytest.approx((0.92 + 0.93) / 2)
    for load in (10e-6, 1e-3, 20e-3):
        assert buck.input_current_a(load, 3.0) < ldo.input_current_a(load, 3.0)
    assert buck.input_current_a(0.0, 3.0) == pytest.approx(60e-9)
    below = [buck.input_current_a(i, 3.0) for i in (0.0, 0.25e-6, 0.5e-6, 1e-6)]
    assert all(b > a for a, b in zip(below, below[1:], strict=False))


def test_regulator_output_outside_its_range_is_a_spec_error():
    with pytest.raises(SpecError, match="output_voltage_v = 3.6"):
        load_regulator("TPS62840").with_output_voltage(3.6)


def test_cr2032_burst_beyond_its_rating_without_a_buffer_says_so():
    plan = plan_burst(CR2032, 3.0, 20e-3, 2.0, min_voltage_v=2.0)
    assert plan.mode == "unbuffered"
    assert "exceeds" in plan.note and "no buffer" in plan.note and "3 mA" in plan.note
    assert plan.cell_segments() == ((20e-3, 2.0),)
    assert plan.lowest_voltage_v == pytest.approx(3.0 - 20e-3 * 20)
    assert plan.carried
    assert plan.required_capacitance_f == pytest.approx(17e-3 * 2.0 / 1.0)


def test_cr2032_burst_with_a_buffer_is_carried_and_charge_is_conserved():
    cap = load_capacitor("electrolytic-1000uF")
    ok = plan_burst(CR2032, 3.0, 20e-3, 0.02, min_voltage_v=2.0, buffer=cap, background_current_a=2e-6)
    assert ok.mode == "buffered" and ok.carried and "buffer" in ok.note
    assert ok.cell_current_a == CR2032.max_continuous_current_a
    drop = 17e-3 * 0.02 / 1e-3 + 17e-3 * 0.1
    assert ok.lowest_voltage_v == pytest.approx(3.0 - 2e-6 * 20 - drop)
    cell_charge = sum(i * t for i, t in ok.cell_segments())
    load_charge = 20e-3 * 0.02 + (2e-6 + ok.leakage_current_a) * ok.recharge_duration_s
    assert cell_charge == pytest.approx(load_charge, rel=1e-12)
    # A two-second burst drains the same capacitor below the minimum: not carried, and the note says why.
    long = plan_burst(CR2032, 3.0, 20e-3, 2.0, min_voltage_v=2.0, buffer=cap)
    assert not long.carried and "sags" in long.note
    assert long.required_capacitance_f > cap.capacitance_f
    bigger = plan_burst(CR2032, 3.0, 20e-3, 2.0, min_voltage_v=2.0, buffer=load_capacitor("PB-5R0V474"))
    assert bigger.carried


def test_a_load_within_the_rating_is_direct():
    plan = plan_burst(CR2032, 3.0, 1e-3, 10.0, min_voltage_v=2.0)
    assert plan.mode == "direct" and plan.carried and plan.recharge_duration_s == 0
    assert "within" in plan.note


def test_buffered_segments_feed_a_battery_model_consistently():
    cap = load_capacitor("electrolytic-1000uF")
    plan = plan_burst(CR2032, 3.0, 20e-3, 0.02, min_voltage_v=2.0, buffer=cap)
    cell = make_cell(CR2032, "kibam")
    for current, seconds in plan.cell_segments():
        d = cell.draw(current, seconds)
        assert not d.depleted
        cell = d.cell
    used = (1 - cell.state_of_charge) * CR2032.capacity_c
    assert used == pytest.approx(
        sum(i * t for i, t in plan.cell_segments())
        + cell.self_discharge_a * (plan.burst_duration_s + plan.recharge_duration_s),
        rel=1e-9,
    )


def test_capacitor_energy_window():
    cap = load_capacitor("PB-5R0V105")
    assert cap.window_energy_j(5.0, 2.0) == pytest.approx(0.5 * 1.0 * (25 - 4))
    assert cap.leakage_resistance_ohm == pytest.approx(5.0 / 12e-6)
    with pytest.raises(SpecError, match="voltage window"):
        cap.window_energy_j(6.0, 2.0)


def test_supply_loader_errors_name_file_field_and_value(tmp_path):
    with pytest.raises(SpecError, match="did you mean 'TPS62840'"):
        load_regulator("TPS62480")
    bad = tmp_path / "reg.toml"
    lines = [
        'name = "x"',
        'kind = "ldo"',
        "output_voltage_v = 1.8",
        "min_output_voltage_v = 1",
        "max_output_voltage_v = 3",
        "min_input_voltage_v = 2",
        "max_input_voltage_v = 5",
        "dropout_voltage_mv = 100",
        "quiescent_current_ua = 1",
        "max_output_current_ma = 100",
        "efficiency_pct = [90, 91]",
        'source = "mine"',
    ]
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(SpecError, match="efficiency") as err:
        load_regulator(bad)
    assert str(bad) in str(err.value)
    panel = tmp_path / "panel.toml"
    panel.write_text('name = "p"\nsetting = "indor"\narea_cm2 = 10\nefficiency_pct = 5\nsource = "mine"\n')
    with pytest.raises(SpecError, match="did you mean 'indoor'"):
        load_panel(panel)
    cap = tmp_path / "cap.toml"
    cap.write_text(
        'name = "c"\ncapacitance_f = 1\nrated_voltage_v = 5\nesr_ohm = 1\nleakage_current_ua = 2\n'
    )
    with pytest.raises(SpecError, match="has no source"):
        load_capacitor(cap)
