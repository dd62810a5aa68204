"""A held-out prediction never reads the row's own measurement: change one row's published latency and
energy, refit, and its leave-one-out, leave-one-board-out and leave-one-engine-out predictions stay the
same to the last bit, while its in-sample prediction moves (so the perturbation reaches the fit)."""

from dataclasses import replace

import pytest

from emu.fidelity.fitting import RowFit, fit_all, fits_by_row
from emu.fidelity.validation import SOC_PRESETS, predict
from hw_models.calibration import CalibrationRow, calibration_rows

MODES = ("row", "board", "engine")
SHIPPED = calibration_rows()
SHIPPED_FITS = fits_by_row(fit_all(SHIPPED))
HELD_OUT_LABELS = [
    label
    for label, (_, row_fit) in SHIPPED_FITS.items()
    if any(row_fit.held_out(m)[1] is not None for m in MODES)
]


def _perturbed(label: str, factor: float = 1.5) -> tuple[CalibrationRow, ...]:
    """The shipped rows with ``label``'s measured latency and energy scaled by ``factor``."""
    out = []
    for r in SHIPPED:
        if r.label == label:
            energy = None if r.energy_j is None else r.energy_j * factor
            r = replace(r, latency_s=r.latency_s * factor, energy_j=energy)
        out.append(r)
    return tuple(out)


def _row_fit(rows: tuple[CalibrationRow, ...], label: str) -> RowFit:
    return fits_by_row(fit_all(rows))[label][1]


def test_most_fitted_rows_have_a_held_out_figure():
    assert len(HELD_OUT_LABELS) >= 15
    assert any(SHIPPED_FITS[label][1].lobo_fitted is not None for label in HELD_OUT_LABELS)
    assert any(SHIPPED_FITS[label][1].loeo_fitted is not None for label in HELD_OUT_LABELS)


@pytest.mark.parametrize("label", HELD_OUT_LABELS)
def test_held_out_fit_ignores_the_rows_own_cycles(label):
    before = SHIPPED_FITS[label][1]
    after = _row_fit(_perturbed(label), label)
    assert after.measured_cycles == pytest.approx(1.5 * before.measured_cycles)
    assert abs(after.predicted_cycles - before.predicted_cycles) > 1e-4 * before.measured_cycles
    for mode in MODES:
        assert after.held_out(mode) == before.held_out(mode), (label, mode)


def test_a_perturbed_row_moves_the_other_rows_held_out_fits():
    """The converse: the row does count in the fits that leave another row out (the test can see a change)."""
    label = next(lbl for lbl in HELD_OUT_LABELS if "STM32L4R5 kws" in lbl)
    neighbour = next(lbl for lbl in HELD_OUT_LABELS if "STM32L4R5 ic" in lbl)
    after = _row_fit(_perturbed(label), neighbour)
    assert after.held_out("row") != SHIPPED_FITS[neighbour][1].held_out("row")


@pytest.mark.parametrize("where", ["STM32L4R5 kws int8", "PSoC62 vww int8"])
def test_held_out_latency_and_energy_ignore_the_rows_own_measurement(where):
    label = next(lbl for lbl in HELD_OUT_LABELS if where in lbl)
    row = next(r for r in SHIPPED if r.label == label)
    rows = _perturbed(label)
    preset = SOC_PRESETS[row.soc]
    before = predict(row, preset, SHIPPED_FITS)
    after = predict(next(r for r in rows if r.label == label), preset, fits_by_row(fit_all(rows)))
    figures = [f"{p}_{q}" for p in ("loo", "lobo", "loeo") for q in ("latency_s", "energy_j")]
    assert all(getattr(before, f) is not None for f in figures if "latency" in f)
    for f in figures:
        assert getattr(after, f) == getattr(before, f), f
    assert after.loo_latency_error_pct != before.loo_latency_error_pct  # measured against the new figure
