"""tinyemu validate: every row with a preset is predicted or explained, in-sample rows get a leave-one-out
prediction, energy uses the row's supply voltage."""

from dataclasses import replace

import pytest

from emu.fidelity.fitting import fit, fit_all, fits_by_row
from emu.fidelity.holdout import step_with_table
from emu.fidelity.validation import SOC_PRESETS, _scenario, predict, validate
from emu.sim.simulation import simulate
from hw_models.calibration import calibration_rows
from hw_models.cores import load_core_table
from hw_models.loader import device_names, load_device

OLD_ROW_KEYS = {
    "round", "submitter", "stack", "soc", "core", "device", "bench", "model", "precision", "library",
    "clock_hz", "published_latency_s", "predicted_latency_s", "latency_error_pct", "published_energy_j",
    "predicted_energy_j", "energy_error_pct",
}  # fmt: skip
HELD_OUT_ROW_KEYS = ("latency_s", "latency_error_pct", "energy_j", "energy_error_pct")


@pytest.fixture(scope="module")
def report():
    return validate()


def test_every_row_with_a_preset_is_predicted_or_explained(report):
    presets = set(device_names())
    with_preset = [r for r in calibration_rows() if SOC_PRESETS.get(r.soc) in presets]
    assert report.rows_with_preset == len(with_preset) == len(report.rows) + len(report.unrepresented)
    assert len(report.skipped) == len(calibration_rows()) - len(with_preset)
    assert {v.row.label for v in report.rows} | {u.row.label for u in report.unrepresented} == {
        r.label for r in with_preset
    }
    assert {v.device for v in report.rows} >= {"stm32l4r5", "stm32h7a3", "nrf5340", "psoc62", "ra8d1"}


def test_in_sample_rows_carry_the_fits_leave_one_out(report):
    fits = fits_by_row(fit_all())
    exact = 0
    for v in report.rows:
        assert v.in_sample == (v.row.label in fits)
        _, row_fit = fits[v.row.label]
        if row_fit.loo_predicted_cycles is None:
            assert v.loo_latency_s is None and v.loo_latency_error_pct is None
            continue
        assert v.loo_energy_j == pytest.approx(v.predicted_energy_j * v.loo_latency_s / v.predicted_latency_s)
        shift_fit = row_fit.loo_predicted_cycles - row_fit.predicted_cycles
        shift_sim = (v.loo_latency_s - v.predicted_latency_s) * v.row.clock_hz
        assert shift_sim == pytest.approx(shift_fit, rel=0.05, abs=0.002 * row_fit.measured_cycles)
        if load_device(v.device).flash.read_throughput_at(v.row.clock_hz) is None:
            # no execute-in-place bound: the simulated step is the fit's count, up to the table's rounding
            exact += 1
            loo_cycles = v.loo_latency_s * v.row.clock_hz
            assert loo_cycles == pytest.approx(row_fit.loo_predicted_cycles, rel=2e-3), v.row.label
    assert exact >= 5


def test_held_out_path_matches_the_simulator_on_the_shipped_table():
    row = next(r for r in calibration_rows() if r.soc == "nRF5340" and r.bench == "kws")
    scenario = _scenario(row, load_device("nrf5340"), "optimized")
    step_s, energy_j = step_with_table(scenario, load_core_table("cortex-m33"))
    result = simulate(scenario)
    assert step_s == pytest.approx(result.step_time_s, rel=1e-9)
    assert energy_j == pytest.approx(result.step_energy_j, rel=1e-9)


def test_energy_at_the_rows_supply_voltage():
    row = next(r for r in calibration_rows() if r.stack.startswith("TFLM") and r.bench == "ad")
    assert row.supply_v == 1.8
    at_row = predict(row, "stm32l4r5")
    at_preset = predict(replace(row, supply_v=None), "stm32l4r5")
    assert (at_row.supply_v, at_row.supply_v_from) == (1.8, "row")
    assert (at_preset.supply_v, at_preset.supply_v_from) == (3.0, "preset")
    assert at_row.predicted_latency_s == pytest.approx(at_preset.predicted_latency_s, rel=1e-12)
    assert at_row.predicted_energy_j / at_preset.predicted_energy_j == pytest.approx(1.8 / 3.0)


def test_a_row_outside_every_fit_is_out_of_sample():
    row = replace(next(r for r in calibration_rows() if r.soc == "RA8D1" and r.bench == "vww"), round="v9")
    v = validate([row]).rows[0]
    assert not v.in_sample and v.fit is None
    assert v.loo_latency_s == v.predicted_latency_s and v.loo_latency_error_pct == v.latency_error_pct


def test_rows_the_tables_cannot_represent_say_why():
    base = next(r for r in calibration_rows() if r.soc == "RA8D1")
    bad = [
        replace(base, precision="int16"),
        replace(base, core="cortex-m7"),
        replace(base, bench="vae"),
        replace(base, soc="STM32F446"),
    ]
    result = validate(bad)
    assert not result.rows and len(result.skipped) == 1 and result.rows_with_preset == 3
    reasons = [u.reason for u in result.unrepresented]
    assert "int16" in reasons[0] and "cortex-m7" in reasons[1] and "vae" in reasons[2]
    doc = result.to_dict()
    assert [u["reason"] for u in doc["not_representable"]] == reasons


def test_json_keeps_old_keys_and_adds_the_new(report):
    doc = report.to_dict()
    assert {"rows", "mean_abs_error_pct", "skipped", "not_representable", "rows_with_preset"} <= set(doc)
    for row in doc["rows"]:
        assert OLD_ROW_KEYS <= set(row)
        assert {"in_sample", "fit", "loo_latency_s", "loo_latency_error_pct", "supply_v"} <= set(row)
        assert {f"{p}_{q}" for p in ("lobo", "loeo") for q in HELD_OUT_ROW_KEYS} <= set(row)
    assert set(doc["overall_mean_abs_error_pct"]) == set(doc["mean_abs_error_pct"]["cortex-m4f"])
    assert doc["overall_mean_abs_error_pct"]["rows"] == len(report.rows)
    for core, mae in doc["mean_abs_error_pct"].items():
        assert {"latency", "energy", "rows", "loo_latency", "loo_energy", "in_sample_rows"} <= set(mae)
        assert {
            f"{p}_{q}{n}" for p in ("lobo", "loeo") for q in ("latency", "energy") for n in ("", "_rows")
        } <= set(mae)
        mine = [v for v in report.rows if v.row.core == core]
        loo = [abs(e) for v in mine if (e := v.loo_latency_error_pct) is not None]
        assert mae["loo_latency_rows"] == len(loo)
        if loo:
            assert mae["loo_latency"] == pytest.approx(sum(loo) / len(loo))


@pytest.mark.parametrize(("mode", "key"), [("board", "soc"), ("engine", "stack")])
def test_held_out_fits_leave_out_every_row_of_the_board_or_engine(mode, key):
    """Leave-one-board-out (-engine-out) constants are the fit on the rows of other boards (engines)."""
    rows = calibration_rows()
    m4f = next(f for f in fit_all(rows) if f.spec.family == "cortex-m4f" and f.spec.precision == "int8")
    checked = 0
    for row_fit in m4f.rows:
        row = next(r for r in rows if r.label == row_fit.label)
        predicted, fitted = row_fit.held_out(mode)
        others = [r for r in rows if getattr(r, key) != getattr(row, key)]
        assert len(others) < len(rows) - 1  # more than the row itself is left out
        if fitted is None:
            assert predicted is None
            continue
        refit = fit(m4f.spec, others)
        assert fitted == pytest.approx(refit.fitted, rel=1e-9)
        checked += 1
    assert checked >= 8


def test_overall_mean_covers_every_row(report):
    overall = report.overall_mean_abs_error_pct()
    per_core = report.mean_abs_error_pct()
    for prefix, mode in (("loo", "row"), ("lobo", "board"), ("loeo", "engine")):
        n = overall[f"{prefix}_latency_rows"]
        assert n == sum(m[f"{prefix}_latency_rows"] for m in per_core.values())
        errors = [e for v in report.rows if (e := v.held_out_error_pct(mode, "latency")) is not None]
        assert n == len(errors) and overall[f"{prefix}_latency"] == pytest.approx(sum(map(abs, errors)) / n)
