"""Solar profiles, measured traces and energy storage: seasons, nights, exact pieces, energy balance."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hw_models import SpecError, load_battery, load_capacitor, load_panel
from hw_models.irradiance_trace import load_irradiance_csv
from hw_models.panel import SolarHarvester
from hw_models.solar import DAY_S, ClearSkyProfile, OfficeLightProfile, irradiance_pieces
from hw_models.storage import CellStore, SupercapStore, integrate

SUPERCAP = load_capacitor("PB-5R0V474")


def _day_energy(latitude, day):
    return ClearSkyProfile(latitude, day).energy_j_per_m2(0, DAY_S)


@pytest.mark.parametrize("latitude", [48.0, 30.0, -35.0])
def test_summer_days_bring_more_energy_than_winter_days(latitude):
    june, december = _day_energy(latitude, 172), _day_energy(latitude, 355)
    summer, winter = (june, december) if latitude > 0 else (december, june)
    assert summer > 1.5 * winter > 0


def test_clear_sky_midday_and_night():
    p = ClearSkyProfile(48.0, 172)
    assert p.irradiance_w_per_m2(0.0) == 0.0 and p.irradiance_w_per_m2(23 * 3600) == 0.0
    noon = p.irradiance_w_per_m2(DAY_S / 2)
    assert 850 < noon < 1000  # Haurwitz at zenith 25 deg: 1098 cos z exp(-0.059 / cos z)
    assert p.energy_j_per_m2(0, 3 * 3600) == 0.0  # before sunrise
    assert ClearSkyProfile(80.0, 355).energy_j_per_m2(0, DAY_S) == 0.0  # polar night
    cloudy = ClearSkyProfile(48.0, 172, cloud_cover=1.0)
    assert cloudy.energy_j_per_m2(0, DAY_S) == pytest.approx(0.25 * p.energy_j_per_m2(0, DAY_S))


def test_quadrature_matches_a_fine_numerical_integral():
    p = ClearSkyProfile(48.0, 80)
    fine = sum(p.irradiance_w_per_m2((i + 0.5) * 5.0) * 5.0 for i in range(int(DAY_S / 5)))
    assert p.energy_j_per_m2(0, DAY_S) == pytest.approx(fine, rel=1e-6)
    part = sum(p.irradiance_w_per_m2(30000 + (i + 0.5) * 2.0) * 2.0 for i in range(5000))
    assert p.energy_j_per_m2(30000, 40000) == pytest.approx(part, rel=1e-6)


@pytest.mark.parametrize("profile", [ClearSkyProfile(48.0, 100), OfficeLightProfile(1.5)])
def test_pieces_are_few_and_have_exact_means(profile):
    pieces = irradiance_pieces(profile, 1000.0, 3 * DAY_S + 500.0, max_piece_s=4 * 3600)
    assert sum(d for d, _ in pieces) == pytest.approx(3 * DAY_S - 500.0)
    assert sum(d * g for d, g in pieces) == pytest.approx(profile.energy_j_per_m2(1000.0, 3 * DAY_S + 500.0))
    assert len(pieces) <= 3 * 6  # a night, a few lit pieces, per day
    assert any(g == 0 for _, g in pieces)


def test_office_light_is_off_at_weekends():
    office = OfficeLightProfile(2.0, 9, 17, days_per_week=5)
    week = office.energy_j_per_m2(0, 7 * DAY_S)
    assert week == pytest.approx(5 * 8 * 3600 * 2.0)
    assert office.irradiance_w_per_m2(5 * DAY_S + 12 * 3600) == 0.0


def test_harvester_scales_by_area_and_efficiency():
    panel = load_panel("mono-outdoor-small")
    harvester = SolarHarvester(panel, ClearSkyProfile(48.0, 172))
    assert harvester.energy_j(0, DAY_S) == pytest.approx(
        ClearSkyProfile(48.0, 172).energy_j_per_m2(0, DAY_S) * panel.area_m2 * panel.efficiency
    )
    assert harvester.power_w(DAY_S / 2) > 0.4  # about 0.5 W at noon, as the panel is sold
    assert harvester.power_w(0.0) == 0.0


def _write(tmp_path, text):
    path = tmp_path / "trace.csv"
    path.write_text(text)
    return path


def test_trace_loads_interpolates_repeats_and_integrates_exactly(tmp_path):
    trace = load_irradiance_csv(
        _write(tmp_path, "# a day\ntime_s,irradiance_w_per_m2\n0,0\n43200,800\n86400,0\n")
    )
    assert trace.period_s == DAY_S
    assert trace.irradiance_w_per_m2(21600) == pytest.approx(400)
    assert trace.irradiance_w_per_m2(DAY_S + 21600) == pytest.approx(400)
    assert trace.energy_j_per_m2(0, DAY_S) == pytest.approx(0.5 * DAY_S * 800)
    assert trace.energy_j_per_m2(0, 10 * DAY_S) == pytest.approx(10 * 0.5 * DAY_S * 800)
    assert trace.energy_j_per_m2(0, 21600) == pytest.approx(0.5 * 21600 * 400)
    pieces = irradiance_pieces(trace, 0, 2 * DAY_S, max_piece_s=3600)
    assert sum(d * g for d, g in pieces) == pytest.approx(2 * 0.5 * DAY_S * 800)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("time,irradiance\n0,0\n10,1\n", "header"),
        ("time_s,irradiance_w_per_m2\n0,0\n", "at least 2 data rows"),
        ("time_s,irradiance_w_per_m2\n0,0\n10,abc\n", "row 3.*numbers"),
        ("time_s,irradiance_w_per_m2\n0,0\n10,-5\n", r"row 3\.irradiance_w_per_m2 = -5\.0"),
        ("time_s,irradiance_w_per_m2\n0,0\n10,2000\n", "within"),
        ("time_s,irradiance_w_per_m2\n0,0\n10,1\n10,2\n", r"row 4\.time_s.*after"),
        ("time_s,irradiance_w_per_m2\n5,0\n10,1\n", "time_s = 0"),
        ("time_s,irradiance_w_per_m2\n0,0\n10,nan\n", "finite"),
        ("time_s,irradiance_w_per_m2\n0,0,1\n10,1\n", "2 values"),
    ],
)
def test_trace_validation_errors_name_file_row_and_value(tmp_path, text, match):
    path = _write(tmp_path, text)
    with pytest.raises(SpecError, match=match) as err:
        load_irradiance_csv(path)
    assert str(path) in str(err.value)


def test_missing_trace_file_is_a_spec_error(tmp_path):
    with pytest.raises(SpecError, match="readable"):
        load_irradiance_csv(tmp_path / "nope.csv")


def test_supercap_energy_window_and_state_of_charge():
    store = SupercapStore(SUPERCAP, 5.0, 2.0, 5.0, 0.8)
    assert store.capacity_j == pytest.approx(0.5 * 0.47 * (25 - 4))
    assert store.state_of_charge == pytest.approx(1.0)
    assert SupercapStore(SUPERCAP, 2.0, 2.0, 5.0, 0.8).is_depleted
    assert SupercapStore(SUPERCAP, 1.0, 2.0, 5.0, 0.8).usable_energy_j == 0.0
    with pytest.raises(ValueError):
        SupercapStore(SUPERCAP, 3.0, 2.0, 6.0, 0.8)


def test_supercap_runs_a_load_until_the_empty_voltage_exactly():
    store = SupercapStore(SUPERCAP, 5.0, 2.0, 5.0, 1.0)
    step = store.step(0.0, 1e-3, 1e6)
    assert step.depleted and step.store.voltage_v == pytest.approx(2.0)
    # Without leakage it would last capacity / load; leakage shortens it.
    assert step.duration_s < store.capacity_j / 1e-3
    assert step.delivered_j + step.leaked_j == pytest.approx(store.capacity_j, rel=1e-9)
    assert step.store.step(0.0, 1e-3, 10.0).duration_s == 0.0


def test_supercap_leaks_exponentially_at_rest():
    store = SupercapStore(SUPERCAP, 5.0, 0.0 + 1e-9, 5.0, 1.0)
    tau = SUPERCAP.leakage_resistance_ohm * SUPERCAP.capacitance_f / 2
    after = store.step(0.0, 0.0, tau).store
    assert after.energy_j == pytest.approx(store.energy_j * math.exp(-1), rel=1e-12)


def test_full_storage_spills_the_surplus():
    store = SupercapStore(SUPERCAP, 4.9, 2.0, 5.0, 0.9)
    step = store.step(10e-3, 1e-3, 3600.0)
    assert step.store.voltage_v == pytest.approx(5.0)
    assert step.spilled_j > 0.5 * 10e-3 * 3600 * 0.9
    assert step.conversion_loss_j == pytest.approx(0.1 * 10e-3 * 3600)


def test_a_day_advances_in_a_few_steps_and_the_books_balance():
    harvester = SolarHarvester(load_panel("mono-outdoor-small"), ClearSkyProfile(48.0, 355, cloud_cover=0.7))
    load_w = 50e-6
    pieces = [(d, p, load_w) for d, p in harvester.pieces(0, 3 * DAY_S, 4 * 3600)]
    assert len(pieces) < 20
    store = SupercapStore(SUPERCAP, 4.5, 2.0, 5.0, 0.8)
    result = integrate(store, pieces)
    assert not result.depleted and result.duration_s == pytest.approx(3 * DAY_S)
    change = result.store.energy_j - store.energy_j
    assert result.stored_j - result.delivered_j - result.leaked_j == pytest.approx(change, abs=1e-9)
    assert result.harvested_j == pytest.approx(
        result.stored_j + result.spilled_j + result.conversion_loss_j, rel=1e-12
    )
    assert result.harvested_j == pytest.approx(harvester.energy_j(0, 3 * DAY_S), rel=1e-9)


def test_rechargeable_cell_store_charges_and_self_discharges():
    lir = load_battery("LIR2032")
    store = CellStore(lir, 0.5 * lir.energy_j, 0.85)
    step = store.step(1e-3, 0.0, 3600.0)
    assert step.store.energy_j == pytest.approx(store.energy_j + 0.85 * 3.6 - store.self_discharge_w * 3600)
    drained = CellStore(lir, 1.0, 0.85).step(0.0, 1e-3, 3600.0)
    assert drained.depleted and drained.duration_s == pytest.approx(1.0 / (1e-3 + store.self_discharge_w))


_pieces = st.lists(
    st.tuples(
        st.floats(0.0, 5e4), st.sampled_from([0.0, 1e-5, 1e-3, 0.05]), st.sampled_from([0.0, 1e-5, 1e-3])
    ),
    min_size=1,
    max_size=20,
)


@settings(max_examples=60, deadline=None)
@given(pieces=_pieces, volts=st.floats(0.0, 5.0), cell=st.booleans())
def test_property_storage_never_creates_energy(pieces, volts, cell):
    lir = load_battery("LIR2032")
    store = (
        CellStore(lir, volts / 5 * lir.energy_j, 0.9)
        if cell
        else SupercapStore(SUPERCAP, volts, 2.0, 5.0, 0.9)
    )
    e0 = store.energy_j
    result = integrate(store, pieces)
    assert 0.0 <= result.store.state_of_charge <= 1.0
    assert result.delivered_j <= e0 + result.stored_j + 1e-9
    assert result.stored_j <= result.harvested_j + 1e-12
    assert min(result.leaked_j, result.spilled_j, result.delivered_j) >= -1e-12
