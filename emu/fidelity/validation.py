"""``emu.validate``: predicted vs published inference latency and energy for every calibration row whose
board has a device preset, and the published training-throughput anchors.

Each row becomes a scenario: the board's preset at the row's clock (its first operating point there),
the benchmark's zoo model, update ``none`` in the row's precision, the row's kernel library (TFLM
reference kernels or an optimised stack), one sample from SRAM. The prediction is one simulated
inference (the step, without wake-up). Energy is predicted at the row's ``supply_v`` where the CSV
gives one (the TFLM reference rows were measured at 1.8 V), at the preset's voltage otherwise; the
preset's run current is kept at the other voltage (E: the cores run from an internal regulator, so the
supply current barely depends on VDD and power scales with it).

Honesty about the fit: most rows are also the rows the cost tables were fitted on (``in_sample``); their
error is a residual. For those rows the report adds the leave-one-out prediction: the same simulation
with the row's fitted constants refitted without the row (:mod:`emu.fidelity.holdout`), the out-of-sample
figure. Leave-one-board-out and leave-one-engine-out do the same with every row of the row's SoC, or of
its software stack, left out of the fit: the error on a board or an engine the tables have never seen.
Where a fit without them is unconstrained (:mod:`emu.fidelity.fitting` explains when) the figure is
None (a family whose rows all come from one board has no leave-one-board-out figure).
Rows the fits do not use are out of sample already: their held-out figures are the prediction.

Rows whose board has a preset but whose benchmark, core, library or precision the cost tables cannot
represent are listed with the reason (``not_representable``), never dropped silently; rows without a
preset are listed in ``skipped``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from emu.fidelity.fitting import (
    BENCH_MODELS,
    FitResult,
    HeldOut,
    RowFit,
    fit_all,
    fits_by_row,
    library_of,
)
from emu.fidelity.holdout import refit_table, step_with_table
from emu.fidelity.training_anchors import TrainingAnchor, training_anchors
from emu.scenario.scenario import Scenario
from emu.sim.simulation import simulate
from hw_models.calibration import CalibrationRow, calibration_rows
from hw_models.cores import load_core_table
from hw_models.device import Device
from hw_models.errors import SpecError
from hw_models.loader import device_names, load_device
from workloads.plan import TrainingPlan
from workloads.zoo import build_model

SOC_PRESETS = {
    "STM32L4R5": "stm32l4r5",
    "STM32H7A3": "stm32h7a3",
    "nRF5340": "nrf5340",
    "PSoC62": "psoc62",
    "RA8D1": "ra8d1",
}
"""Calibration SoC -> device preset name (rows count only when the preset exists)."""

_MODES: dict[HeldOut, str] = {
    "row": "leave-one-out",
    "board": "leave-one-board-out",
    "engine": "leave-one-engine-out",
}
"""Held-out fit -> its name in a refitted table's source."""

_SUPPLY_NOTE = (
    "E: the calibration row's supply_v; the preset's run current kept (the core runs from an internal "
    "regulator, so supply current barely depends on VDD)"
)


def _pct(predicted: float | None, published: float | None) -> float | None:
    if predicted is None or published is None:
        return None
    return 100 * (predicted - published) / published


@dataclass(frozen=True)
class ValidationRow:
    """One calibration row, predicted in sample and (where it was fitted on) held out.

    Attributes
    ----------
    supply_v : float
        Supply voltage of the energy prediction; ``supply_v_from`` says whether it is the row's
        (``"row"``) or the preset's (``"preset"``).
    fit : str or None
        The table entry fitted on this row (``"cortex-m4f optimized int8"``); None: out of sample.
    loo_latency_s, loo_energy_j : float or None
        Leave-one-out prediction (the prediction itself for out-of-sample rows; None where the fit
        without the row is unconstrained).
    lobo_latency_s, lobo_energy_j, loeo_latency_s, loeo_energy_j : float or None
        The same with every row of the row's board (SoC), or of its engine (stack), left out of the fit.
    """

    row: CalibrationRow
    device: str
    library: str
    predicted_latency_s: float
    predicted_energy_j: float
    supply_v: float = 0.0
    supply_v_from: str = "preset"
    fit: str | None = None
    loo_latency_s: float | None = None
    loo_energy_j: float | None = None
    lobo_latency_s: float | None = None
    lobo_energy_j: float | None = None
    loeo_latency_s: float | None = None
    loeo_energy_j: float | None = None

    @property
    def in_sample(self) -> bool:
        """Whether the cost table was fitted on this row (its error is then a residual)."""
        return self.fit is not None

    @property
    def latency_error_pct(self) -> float:
        return 100 * (self.predicted_latency_s - self.row.latency_s) / self.row.latency_s

    @property
    def energy_error_pct(self) -> float | None:
        return _pct(self.predicted_energy_j, self.row.energy_j)

    @property
    def loo_latency_error_pct(self) -> float | None:
        return _pct(self.loo_latency_s, self.row.latency_s)

    @property
    def loo_energy_error_pct(self) -> float | None:
        return _pct(self.loo_energy_j, self.row.energy_j)

    def held_out_error_pct(self, mode: HeldOut, quantity: Literal["latency", "energy"]) -> float | None:
        """Error of the ``mode`` (row, board, engine) held-out ``quantity`` (latency, energy) prediction."""
        prefix = {"row": "loo", "board": "lobo", "engine": "loeo"}[mode]
        if quantity == "latency":
            return _pct(getattr(self, f"{prefix}_latency_s"), self.row.latency_s)
        return _pct(getattr(self, f"{prefix}_energy_j"), self.row.energy_j)

    def to_dict(self) -> dict[str, Any]:
        r = self.row
        return {
            "round": r.round,
            "submitter": r.submitter,
            "stack": r.stack,
            "soc": r.soc,
            "core": r.core,
            "device": self.device,
            "bench": r.bench,
            "model": BENCH_MODELS[r.bench],
            "precision": r.precision,
            "library": self.library,
            "clock_hz": r.clock_hz,
            "published_latency_s": r.latency_s,
            "predicted_latency_s": self.predicted_latency_s,
            "latency_error_pct": self.latency_error_pct,
            "published_energy_j": r.energy_j,
            "predicted_energy_j": self.predicted_energy_j,
            "energy_error_pct": self.energy_error_pct,
            "in_sample": self.in_sample,
            "fit": self.fit,
            "loo_latency_s": self.loo_latency_s,
            "loo_latency_error_pct": self.loo_latency_error_pct,
            "loo_energy_j": self.loo_energy_j,
            "loo_energy_error_pct": self.loo_energy_error_pct,
            "lobo_latency_s": self.lobo_latency_s,
            "lobo_latency_error_pct": self.held_out_error_pct("board", "latency"),
            "lobo_energy_j": self.lobo_energy_j,
            "lobo_energy_error_pct": self.held_out_error_pct("board", "energy"),
            "loeo_latency_s": self.loeo_latency_s,
            "loeo_latency_error_pct": self.held_out_error_pct("engine", "latency"),
            "loeo_energy_j": self.loeo_energy_j,
            "loeo_energy_error_pct": self.held_out_error_pct("engine", "energy"),
            "supply_v": self.supply_v,
            "supply_v_from": self.supply_v_from,
        }


@dataclass(frozen=True)
class UnrepresentedRow:
    """A calibration row whose board has a preset but which the cost tables cannot represent."""

    row: CalibrationRow
    device: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        r = self.row
        return {
            "label": r.label,
            "soc": r.soc,
            "stack": r.stack,
            "bench": r.bench,
            "precision": r.precision,
            "device": self.device,
            "reason": self.reason,
        }


def _mae(values: Sequence[float | None]) -> tuple[float | None, int]:
    present = [abs(v) for v in values if v is not None]
    return (sum(present) / len(present) if present else None), len(present)


def _summary(rows: Sequence[ValidationRow]) -> dict[str, float | int | None]:
    """Mean absolute errors of ``rows``: in sample and held out by row, board and engine."""
    out: dict[str, float | int | None] = {
        "latency": _mae([v.latency_error_pct for v in rows])[0],
        "energy": _mae([v.energy_error_pct for v in rows])[0],
        "rows": len(rows),
        "energy_rows": sum(v.energy_error_pct is not None for v in rows),
        "in_sample_rows": sum(v.in_sample for v in rows),
    }
    modes: tuple[tuple[str, HeldOut], ...] = (("loo", "row"), ("lobo", "board"), ("loeo", "engine"))
    for prefix, mode in modes:
        for quantity in ("latency", "energy"):
            mean, n = _mae([v.held_out_error_pct(mode, quantity) for v in rows])
            out[f"{prefix}_{quantity}"], out[f"{prefix}_{quantity}_rows"] = mean, n
    return out


@dataclass(frozen=True)
class ValidationReport:
    """Every reproducible row, the rows a preset board has but the tables cannot represent, the rest."""

    rows: tuple[ValidationRow, ...]
    skipped: tuple[str, ...]
    unrepresented: tuple[UnrepresentedRow, ...] = ()
    training: tuple[TrainingAnchor, ...] = ()

    @property
    def rows_with_preset(self) -> int:
        """Calibration rows whose board has a device preset (predicted or not representable)."""
        return len(self.rows) + len(self.unrepresented)

    def mean_abs_error_pct(self) -> dict[str, dict[str, float | int | None]]:
        """core family -> mean absolute errors in percent, in sample and leave-one-out.

        Keys: ``latency``, ``energy`` (None without energy rows), ``rows``, ``energy_rows`` (rows with a
        published energy), ``in_sample_rows``,
        ``loo_latency``, ``loo_latency_rows``, ``loo_energy``, ``loo_energy_rows`` (each leave-one-out
        mean over the rows that have the figure), and the same ``lobo_*`` (leave-one-board-out) and
        ``loeo_*`` (leave-one-engine-out).
        """
        return {
            core: _summary([v for v in self.rows if v.row.core == core])
            for core in sorted({v.row.core for v in self.rows})
        }

    def overall_mean_abs_error_pct(self) -> dict[str, float | int | None]:
        """The keys of :meth:`mean_abs_error_pct` over every predicted row."""
        return _summary(self.rows)

    def to_dict(self) -> dict[str, Any]:
        """The ``tinyemu validate --json`` document."""
        return {
            "rows": [v.to_dict() for v in self.rows],
            "mean_abs_error_pct": self.mean_abs_error_pct(),
            "overall_mean_abs_error_pct": self.overall_mean_abs_error_pct(),
            "skipped": list(self.skipped),
            "not_representable": [u.to_dict() for u in self.unrepresented],
            "rows_with_preset": self.rows_with_preset,
            "training_anchors": [a.to_dict() for a in self.training],
        }


def unrepresentable_reason(row: CalibrationRow, device: Device) -> str | None:
    """Why the cost tables cannot predict ``row`` on ``device`` (None if they can)."""
    if row.bench not in BENCH_MODELS:
        return f"benchmark {row.bench!r} has no zoo model (known: {', '.join(BENCH_MODELS)})"
    family = device.core.family
    if row.core != family:
        return f"the row's core {row.core} is not the preset's core {family}"
    if row.clock_hz > device.clock_hz:
        return f"clock {row.clock_hz / 1e6:g} MHz is above the preset's {device.clock_hz / 1e6:g} MHz"
    try:
        table = load_core_table(family)
    except SpecError as err:
        return f"no cost table: {err}"
    library = library_of(row)
    if library not in table.libraries:
        return f"the {family} table has no {library!r} library for stack {row.stack!r}"
    if row.precision not in table.libraries[library]:
        return f"the {family} table has no {row.precision} entries for the {library} library"
    return None


def _at_supply(device: Device, supply_v: float) -> Device:
    """``device`` with every operating point and the supply at ``supply_v``, run currents kept."""
    sources = dict(device.sources)
    sources["supply_voltage_v"] = _SUPPLY_NOTE
    points = []
    for i, point in enumerate(device.operating_points):
        sources[f"operating_points[{i}].voltage_v"] = _SUPPLY_NOTE
        points.append(replace(point, voltage_v=supply_v))
    return replace(device, operating_points=tuple(points), supply_voltage_v=supply_v, sources=sources)


def _scenario(row: CalibrationRow, device: Device, library: str) -> Scenario:
    return Scenario(
        device=device,
        model=build_model(BENCH_MODELS[row.bench]),
        plan=TrainingPlan(update="none", precision=row.precision),
        name=f"validate {row.label}",
        source="calibration",
        settings={
            "session": {
                "clock_mhz": row.clock_hz / 1e6,
                "library": library,
                "write_back": False,
                "sample_source": "sram",
            }
        },
    )


def predict(
    row: CalibrationRow, preset: str, fits: dict[str, tuple[FitResult, RowFit]] | None = None
) -> ValidationRow:
    """Simulate one inference of a row's benchmark on its board, and held out where it was fitted on.

    Parameters
    ----------
    fits
        Row label -> (fit, row fit) from :func:`emu.fitting.fits_by_row`; None recomputes the fits.
    """
    if fits is None:
        fits = fits_by_row(fit_all())
    library = library_of(row)
    device = load_device(preset)
    supply_from = "preset"
    if row.supply_v is not None:
        device, supply_from = _at_supply(device, row.supply_v), "row"
    scenario = _scenario(row, device, library)
    result = simulate(scenario)
    latency_s, energy_j = result.step_time_s, result.step_energy_j
    fit_label = None
    held: dict[HeldOut, tuple[float | None, float | None]] = {m: (latency_s, energy_j) for m in _MODES}
    if row.label in fits:
        result_fit, row_fit = fits[row.label]
        spec = result_fit.spec
        fit_label = f"{spec.family} {spec.library} {spec.precision}"
        for mode, what in _MODES.items():
            _, fitted = row_fit.held_out(mode)
            held[mode] = (None, None)
            if fitted is not None:
                table = refit_table(
                    load_core_table(spec.family),
                    spec.library,
                    spec.precision,
                    fitted,
                    f"{what} refit of {fit_label} without {row.label}",
                )
                held[mode] = step_with_table(scenario, table)
    return ValidationRow(
        row,
        preset,
        library,
        latency_s,
        energy_j,
        supply_v=device.supply_voltage_v,
        supply_v_from=supply_from,
        fit=fit_label,
        loo_latency_s=held["row"][0],
        loo_energy_j=held["row"][1],
        lobo_latency_s=held["board"][0],
        lobo_energy_j=held["board"][1],
        loeo_latency_s=held["engine"][0],
        loeo_energy_j=held["engine"][1],
    )


def validate(rows: Sequence[CalibrationRow] | None = None) -> ValidationReport:
    """Predict every calibration row whose board has a preset (default: the shipped rows).

    In-sample status and leave-one-out constants always come from the fits on the shipped rows (the
    ones the committed tables were fitted on). The default run also predicts the published training
    anchors (:mod:`emu.fidelity.training_anchors`).
    """
    shipped = calibration_rows()
    fits = fits_by_row(fit_all(shipped))
    presets = set(device_names())
    predicted, unrepresented, skipped = [], [], []
    for row in shipped if rows is None else rows:
        preset = SOC_PRESETS.get(row.soc)
        if preset not in presets:
            skipped.append(f"{row.label}: no device preset for {row.soc}")
            continue
        reason = unrepresentable_reason(row, load_device(preset))
        if reason is not None:
            unrepresented.append(UnrepresentedRow(row, preset, reason))
            continue
        predicted.append(predict(row, preset, fits))
    anchors = training_anchors() if rows is None else ()
    return ValidationReport(tuple(predicted), tuple(skipped), tuple(unrepresented), anchors)
