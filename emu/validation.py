"""``emu.validate``: predicted vs published inference latency and energy for every calibration row the
project can reproduce (its benchmark is a zoo model and its board a device preset).

Each row becomes a scenario: the board's preset at the row's clock, the benchmark's zoo model, update
``none`` in the row's precision, the row's kernel library (TFLM reference kernels or an optimised
stack), one sample from SRAM. The prediction is one simulated inference (the step, without wake-up).
Rows the cost tables were fitted on are in-sample: the errors are residuals, not out-of-sample accuracy
(``python -m emu.fitting`` prints leave-one-out errors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emu.fitting import BENCH_MODELS, library_of
from emu.scenario import Scenario
from emu.simulation import simulate
from hw_models.calibration import CalibrationRow, calibration_rows
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


@dataclass(frozen=True)
class ValidationRow:
    """One calibration row, predicted."""

    row: CalibrationRow
    device: str
    library: str
    predicted_latency_s: float
    predicted_energy_j: float

    @property
    def latency_error_pct(self) -> float:
        return 100 * (self.predicted_latency_s - self.row.latency_s) / self.row.latency_s

    @property
    def energy_error_pct(self) -> float | None:
        if self.row.energy_j is None:
            return None
        return 100 * (self.predicted_energy_j - self.row.energy_j) / self.row.energy_j

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
        }


@dataclass(frozen=True)
class ValidationReport:
    """Every reproducible row, and the mean absolute error per core family."""

    rows: tuple[ValidationRow, ...]
    skipped: tuple[str, ...]

    def mean_abs_error_pct(self) -> dict[str, dict[str, float | None]]:
        """core family -> {"latency": MAE %, "energy": MAE % (None without energy rows), "rows": n}."""
        out: dict[str, dict[str, float | None]] = {}
        for core in sorted({v.row.core for v in self.rows}):
            mine = [v for v in self.rows if v.row.core == core]
            energy = [abs(e) for v in mine if (e := v.energy_error_pct) is not None]
            out[core] = {
                "latency": sum(abs(v.latency_error_pct) for v in mine) / len(mine),
                "energy": sum(energy) / len(energy) if energy else None,
                "rows": len(mine),
            }
        return out

    def to_dict(self) -> dict[str, Any]:
        """The ``tinyemu validate --json`` document."""
        return {
            "rows": [v.to_dict() for v in self.rows],
            "mean_abs_error_pct": self.mean_abs_error_pct(),
            "skipped": list(self.skipped),
        }


def predict(row: CalibrationRow, preset: str) -> ValidationRow:
    """Simulate one inference of a row's benchmark on its board."""
    library = library_of(row)
    scenario = Scenario(
        device=load_device(preset),
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
    result = simulate(scenario)
    return ValidationRow(row, preset, library, result.step_time_s, result.step_energy_j)


def validate() -> ValidationReport:
    """Predict every calibration row whose benchmark and board the project has."""
    presets = set(device_names())
    rows, skipped = [], []
    for row in calibration_rows():
        preset = SOC_PRESETS.get(row.soc)
        if row.bench not in BENCH_MODELS or preset not in presets:
            skipped.append(f"{row.label}: no device preset for {row.soc}")
            continue
        rows.append(predict(row, preset))
    return ValidationReport(tuple(rows), tuple(skipped))
