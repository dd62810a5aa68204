"""Battery models: charge conservation, Peukert's rate law, KiBaM's exact step, recovery and limits."""

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hw_models import SpecError, battery_names, load_battery
from hw_models.cell_models import CELL_MODELS, make_cell
from hw_models.cell_voltage import cutoff_soc, mean_ocv_v, ocv_v
from hw_models.cells import YEAR_S, IdealCell, PeukertCell
from hw_models.kibam import KibamCell

CR2032 = load_battery("CR2032")
# No self-discharge, flat voltage, no resistance: the charge arithmetic alone.
BARE = dataclasses.replace(
    CR2032, self_discharge_per_year=0.0, internal_resistance_ohm=None, ocv_soc=(), ocv_voltage_v=()
)


def test_ideal_cell_conserves_charge_over_many_draws():
    cell = IdealCell.full(CR2032)
    delivered = leaked = 0.0
    for current, seconds in [(2e-6, 3600.0), (5e-3, 0.5), (0.2e-3, 7200.0)] * 20:
        d = cell.draw(current, seconds)
        delivered += d.charge_c
        leaked += d.self_discharge_c
        cell = d.cell
    used = (1 - cell.state_of_charge) * CR2032.capacity_c
    assert used == pytest.approx(delivered + leaked, rel=1e-12)
    assert leaked > 0


def test_ideal_cell_delivers_its_rated_charge_to_cutoff():
    cell = IdealCell.full(BARE)
    d = cell.draw(1e-3, 1e9)
    assert d.depleted and d.cell.is_depleted
    assert d.charge_c == pytest.approx(BARE.capacity_c, rel=1e-12)
    assert d.duration_s == pytest.approx(BARE.capacity_c / 1e-3, rel=1e-12)


def test_peukert_capacity_equals_rated_at_reference_and_shrinks_with_current():
    cell = PeukertCell.full(BARE)
    ref = CR2032.rated_current_a
    assert cell.capacity_c(ref) == pytest.approx(BARE.capacity_c, rel=1e-12)
    assert cell.capacity_c(ref / 100) == pytest.approx(BARE.capacity_c, rel=1e-12)  # clamped below I_ref
    caps = [cell.capacity_c(i) for i in (ref, 1e-3, 3e-3, 15e-3, 30e-3)]
    assert all(b < a for a, b in zip(caps, caps[1:], strict=False))
    k = CR2032.peukert_exponent
    assert caps[3] == pytest.approx(BARE.capacity_c * (ref / 15e-3) ** (k - 1), rel=1e-12)


def test_peukert_time_to_cutoff_matches_a_full_draw():
    cell = PeukertCell.full(CR2032)
    t = cell.time_to_cutoff_s(10e-3)
    d = cell.draw(10e-3, 2 * t)
    assert d.depleted and d.duration_s == pytest.approx(t, rel=1e-12)
    assert not cell.draw(10e-3, 0.999 * t).depleted


def _pulsed(cell, on_a, on_s, off_a, off_s, limit=10**6):
    delivered = 0.0
    for _ in range(limit):
        for current, seconds in ((on_a, on_s), (off_a, off_s)):
            d = cell.draw(current, seconds)
            delivered += d.charge_c
            cell = d.cell
            if d.depleted:
                return delivered
    raise AssertionError("never depleted")


def test_kibam_delivers_less_than_ideal_under_pulsed_heavy_load():
    kibam = _pulsed(KibamCell.full(BARE), 30e-3, 600.0, 0.0, 60.0)
    ideal = _pulsed(IdealCell.full(BARE), 30e-3, 600.0, 0.0, 60.0)
    assert ideal == pytest.approx(BARE.capacity_c, rel=1e-9)
    assert kibam < 0.8 * ideal


def test_kibam_recovers_during_rest():
    cell = KibamCell.full(BARE)
    d = cell.draw(30e-3, 1e9)  # until the available well is empty
    assert d.depleted and d.cell.available_c == pytest.approx(0.0, abs=1e-9)
    assert not d.cell.is_depleted  # bound charge remains
    assert d.cell.time_to_cutoff_s(30e-3) == 0.0
    rested = d.cell.draw(0.0, 3600.0).cell
    assert rested.available_c > 1.0
    assert rested.state_of_charge == pytest.approx(d.cell.state_of_charge, rel=1e-12)  # no charge made
    assert rested.time_to_cutoff_s(30e-3) > 0


def test_more_rest_between_pulses_gets_more_charge_out():
    short = _pulsed(KibamCell.full(BARE), 30e-3, 600.0, 0.0, 60.0)
    long = _pulsed(KibamCell.full(BARE), 30e-3, 600.0, 0.0, 6000.0)
    assert long > 1.1 * short


@pytest.mark.parametrize("current_a", [0.0, 2e-6, 3e-3, 30e-3])
def test_kibam_closed_form_step_equals_many_small_steps(current_a):
    cell = KibamCell.full(CR2032).draw(20e-3, 1800.0).cell  # wells out of level
    total_s = 3000.0
    one = cell.draw(current_a, total_s)
    many = cell
    for _ in range(1000):
        many = many.draw(current_a, total_s / 1000).cell
    assert not one.depleted
    assert many.available_c == pytest.approx(one.cell.available_c, rel=1e-9)
    assert many.bound_c == pytest.approx(one.cell.bound_c, rel=1e-9)


def test_kibam_tends_to_the_ideal_counter_as_k_grows():
    ideal = IdealCell.full(BARE).time_to_cutoff_s(30e-3)
    times = [KibamCell.full(BARE, rate_per_s=k).time_to_cutoff_s(30e-3) for k in (1e-5, 1e-3, 1e-1, 1e3)]
    assert all(b > a for a, b in zip(times, times[1:], strict=False))
    assert times[-1] == pytest.approx(ideal, rel=1e-6)


@pytest.mark.parametrize("model", CELL_MODELS)
@pytest.mark.parametrize("current_a", [5e-6, 2e-3, 25e-3])
def test_time_to_cutoff_is_consistent_with_stepping(model, current_a):
    cell = make_cell(CR2032, model).draw(8e-3, 7200.0).cell
    t = cell.time_to_cutoff_s(current_a)
    assert 0 < t < math.inf
    assert not cell.draw(current_a, t * (1 - 1e-6)).depleted
    d = cell.draw(current_a, t * 1.5)
    assert d.depleted and d.duration_s == pytest.approx(t, rel=1e-9)
    # Stepping in 50 pieces reaches the cut-off at the same time.
    stepped, elapsed = cell, 0.0
    for _ in range(60):
        step = stepped.draw(current_a, t / 50)
        elapsed += step.duration_s
        stepped = step.cell
        if step.depleted:
            break
    assert elapsed == pytest.approx(t, rel=1e-6)


def test_voltage_cutoff_comes_earlier_under_a_heavier_load():
    assert cutoff_soc(CR2032, 0.0) == 0.0
    light, heavy = cutoff_soc(CR2032, 1e-3), cutoff_soc(CR2032, 20e-3)
    assert 0 < light < heavy < 1
    assert ocv_v(CR2032, heavy) - 20e-3 * CR2032.internal_resistance_ohm == pytest.approx(2.0)
    assert cutoff_soc(CR2032, 1.0) == math.inf  # 1 A through 20 ohm: never
    assert IdealCell.full(CR2032).draw(1.0, 1.0).depleted


def test_energy_is_charge_times_mean_terminal_voltage():
    cell = IdealCell.full(CR2032)
    d = cell.draw(5e-3, 36000.0)
    mean_v = mean_ocv_v(CR2032, 1.0, d.cell.state_of_charge) - 5e-3 * 20
    assert d.energy_j == pytest.approx(d.charge_c * mean_v, rel=1e-12)
    assert 2.7 < mean_v < 3.1


def test_self_discharge_alone_empties_a_cell_in_about_a_century():
    t = IdealCell.full(CR2032).time_to_cutoff_s(0.0)
    assert t / YEAR_S == pytest.approx(100.0, rel=1e-9)  # 1 % per year, linear


def test_make_cell_rejects_unknown_model_with_suggestion():
    with pytest.raises(SpecError, match="did you mean 'kibam'"):
        make_cell(CR2032, "kibamm")
    with pytest.raises(SpecError, match="peukert_exponent"):
        make_cell(dataclasses.replace(CR2032, peukert_exponent=None), "peukert")


@pytest.mark.parametrize("name", battery_names())
@pytest.mark.parametrize("model", CELL_MODELS)
def test_every_preset_runs_every_model(name, model):
    cell = make_cell(load_battery(name), model)
    assert cell.state_of_charge == 1.0 and not cell.is_depleted
    assert cell.voltage_v() > load_battery(name).cutoff_voltage_v
    assert cell.time_to_cutoff_s(1e-3) > 0


_draws = st.lists(
    st.tuples(st.sampled_from([0.0, 1e-6, 1e-4, 3e-3, 2e-2, 8e-2]), st.floats(0.0, 2e5)),
    min_size=1,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(model=st.sampled_from(CELL_MODELS), draws=_draws)
def test_property_no_energy_is_created_and_soc_stays_in_range(model, draws):
    cell = make_cell(CR2032, model)
    delivered_c = delivered_j = 0.0
    for current, seconds in draws:
        d = cell.draw(current, seconds)
        assert 0 <= d.duration_s <= seconds
        assert d.energy_j >= 0 and d.charge_c >= 0
        delivered_c += d.charge_c
        delivered_j += d.energy_j
        soc_before = cell.state_of_charge
        cell = d.cell
        assert 0.0 <= cell.state_of_charge <= soc_before + 1e-12
    assert delivered_c <= CR2032.capacity_c * (1 + 1e-12)
    assert delivered_j <= CR2032.capacity_c * max(CR2032.ocv_voltage_v) * (1 + 1e-12)
    assert delivered_c <= (1 - cell.state_of_charge) * CR2032.capacity_c * (1 + 1e-9) + 1e-9
