"""Fit the cycles-per-MAC constants of the core cost tables on the MLPerf Tiny calibration rows.

Run ``python -m emu.fidelity.fitting``: it recomputes every fitted constant from
``hw_models/data/calibration/mlperf_tiny_inference.csv``, prints it next to the value in the table, with
the residual of every row and a leave-one-out error, so a table edited by hand cannot drift from its
data unnoticed (a test compares them).

Method
------
1. For each calibration row, the benchmark's zoo model (ic: ``mlperf-resnet8``, kws: ``mlperf-dscnn``,
   vww: ``mlperf-mbv1-vww``, ad: ``mlperf-autoencoder``) is lowered for inference (update ``none``) in
   the row's precision, and each task's work is counted exactly as the simulator counts it
   (:func:`emu.cost.task_work`): MACs, outputs and calls per kernel class.
2. The measured cycles are ``latency x clock``. The per-output and per-call constants are priors taken
   from the table (estimates, tagged E there); what they predict is subtracted.
3. The remaining cycles are explained by cycles-per-MAC constants for groups of kernel classes:
   ``conv`` / ``pointwise + depthwise`` / ``dense`` when the rows include the depthwise-separable
   benchmarks with enough rows (at least 4) to leave a residual, otherwise ``conv + pointwise +
   depthwise`` / ``dense``. Depthwise and pointwise share a constant because no row separates them.
4. Non-negative least squares on relative errors (each row divided by its measured cycles), so a 5 ms
   and a 700 ms benchmark weigh the same.
5. Residual: predicted vs measured cycles per row, in percent; leave-one-out: the error of each row when
   the fit is redone without it (the honest out-of-sample figure; in-sample residuals flatter a fit with
   as many constants as rows minus one). Leave-one-board-out and leave-one-engine-out redo the fit
   without every row of the row's SoC, or of its software stack: the figure for a board or an engine
   the tables have never seen. A held-out prediction never reads the row's own measurement (a test
   perturbs it).

A leave-one-out error is shown as n/a when, without the held-out row, some group carries under 20 % of
the MACs of every remaining row (its constant would be unconstrained). Derived constants (tagged D or E in
the tables: a library or precision without rows on one core taking another core's figures) state their
rule in their own source string.
The flash execute-in-place bound of :mod:`emu.cost.task_cost` is not part of the fit (the measured latencies
include whatever stalls the boards had).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.optimize import nnls

from emu.cost.task_cost import task_work
from hw_models.calibration import CalibrationRow, calibration_rows
from hw_models.cores import CoreCostTable, load_core_table
from workloads.plan import TrainingPlan
from workloads.program import lower
from workloads.step_program import StepProgram
from workloads.zoo import build_model

BENCH_MODELS = {
    "ic": "mlperf-resnet8",
    "kws": "mlperf-dscnn",
    "vww": "mlperf-mbv1-vww",
    "ad": "mlperf-autoencoder",
}
"""MLPerf Tiny benchmark -> zoo model."""

REFERENCE_STACK = "TFLM 2.3.1 reference kernels"

HeldOut = Literal["row", "board", "engine"]
"""What a held-out fit leaves out with a row: the row, every row of its SoC, every row of its stack."""


def library_of(row: CalibrationRow) -> str:
    """The kernel library a row's stack stands for: TFLM reference kernels or an optimised stack."""
    return "reference" if row.stack == REFERENCE_STACK else "optimized"


@dataclass(frozen=True)
class FitSpec:
    """Which rows fit which table entries."""

    family: str
    library: str
    precision: str
    select: Callable[[CalibrationRow], bool]
    description: str


def _rows(core: str, library: str, precision: str) -> Callable[[CalibrationRow], bool]:
    return lambda r: r.core == core and library_of(r) == library and r.precision == precision


FITS: tuple[FitSpec, ...] = (
    FitSpec(
        "cortex-m4f",
        "optimized",
        "int8",
        _rows("cortex-m4f", "optimized", "int8"),
        "L4R5 X-CUBE-AI 10.2, PSoC62 Plumerai and HALE int8",
    ),
    FitSpec("cortex-m4f", "optimized", "fp32", _rows("cortex-m4f", "optimized", "fp32"), "PSoC62 HALE fp32"),
    FitSpec(
        "cortex-m4f", "reference", "int8", _rows("cortex-m4f", "reference", "int8"), "L4R5 TFLM 2.3.1 ref"
    ),
    FitSpec("cortex-m7", "optimized", "int8", _rows("cortex-m7", "optimized", "int8"), "H7A3 X-CUBE-AI 8.1"),
    FitSpec("cortex-m7", "optimized", "fp32", _rows("cortex-m7", "optimized", "fp32"), "H7A3 HALE fp32"),
    FitSpec(
        "cortex-m33",
        "optimized",
        "int8",
        _rows("cortex-m33", "optimized", "int8"),
        "nRF5340 microTVM+CMSIS-NN",
    ),
    FitSpec(
        "cortex-m85",
        "optimized",
        "int8",
        _rows("cortex-m85", "optimized", "int8"),
        "RA8D1 Renesas (Helium)",
    ),
)


@dataclass(frozen=True)
class RowFit:
    """One row of a fit: measured and fitted cycles, and the fit redone without the row.

    Attributes
    ----------
    loo_predicted_cycles : float or None
        The row predicted by the fit of the other rows (None where that fit is unconstrained).
    loo_fitted : dict[str, float] or None
        Kernel class -> cycles per MAC of the fit without this row (the table entry a held-out
        prediction uses); None where ``loo_predicted_cycles`` is None.
    lobo_predicted_cycles, lobo_fitted, loeo_predicted_cycles, loeo_fitted
        The same for the fit without every row of this row's board (SoC), or of its engine (stack).
    """

    label: str
    measured_cycles: float
    predicted_cycles: float
    loo_predicted_cycles: float | None
    loo_fitted: dict[str, float] | None = None
    lobo_predicted_cycles: float | None = None
    lobo_fitted: dict[str, float] | None = None
    loeo_predicted_cycles: float | None = None
    loeo_fitted: dict[str, float] | None = None

    @property
    def error_pct(self) -> float:
        return 100 * (self.predicted_cycles - self.measured_cycles) / self.measured_cycles

    @property
    def loo_error_pct(self) -> float | None:
        if self.loo_predicted_cycles is None:
            return None
        return 100 * (self.loo_predicted_cycles - self.measured_cycles) / self.measured_cycles

    def held_out(self, mode: HeldOut) -> tuple[float | None, dict[str, float] | None]:
        """(predicted cycles, per-class cycles per MAC) of the fit without this row's ``mode`` group.

        ``mode``: ``"row"`` (leave-one-row-out), ``"board"`` (every row of the row's SoC left out) or
        ``"engine"`` (every row of the row's software stack left out).
        """
        return {
            "row": (self.loo_predicted_cycles, self.loo_fitted),
            "board": (self.lobo_predicted_cycles, self.lobo_fitted),
            "engine": (self.loeo_predicted_cycles, self.loeo_fitted),
        }[mode]


@dataclass(frozen=True)
class FitResult:
    """The fitted cycles per MAC of one table entry, and how well they explain their rows."""

    spec: FitSpec
    groups: tuple[tuple[str, ...], ...]
    fitted: dict[str, float]
    in_table: dict[str, float]
    rows: tuple[RowFit, ...]

    @property
    def rms_error_pct(self) -> float:
        return float(np.sqrt(np.mean([r.error_pct**2 for r in self.rows])))


def program_for(row: CalibrationRow) -> StepProgram:
    """The inference program of a row's benchmark in the row's precision."""
    graph = build_model(BENCH_MODELS[row.bench])
    return lower(graph, TrainingPlan(update="none", precision=row.precision))


def _features(
    program: StepProgram, table: CoreCostTable, library: str, precision: str
) -> tuple[dict[str, float], float]:
    """MACs per kernel class, and the cycles the fixed (per-output, per-call) priors predict."""
    macs: dict[str, float] = {}
    fixed = 0.0
    for task in program.tasks:
        work = task_work(task, program)
        if work.kernel_class is None:
            continue
        kernel = table.kernel(library, precision, work.kernel_class)
        fixed += kernel.cycles(0, work.outputs)
        macs[work.kernel_class] = macs.get(work.kernel_class, 0) + work.macs
    return macs, fixed


def _groups(rows: Sequence[CalibrationRow]) -> tuple[tuple[str, ...], ...]:
    benches = {r.bench for r in rows}
    if len(rows) >= 4 and {"kws", "vww"} & benches and "ic" in benches:
        return (("conv",), ("pointwise", "depthwise"), ("dense",))
    return (("conv", "pointwise", "depthwise"), ("dense",))


def _solve(
    features: Sequence[tuple[dict[str, float], float, float]], groups: tuple[tuple[str, ...], ...]
) -> np.ndarray:
    a = np.array([[sum(m.get(c, 0) for c in g) / y for g in groups] for m, _, y in features])
    b = np.array([(y - fixed) / y for _, fixed, y in features])
    solution, _ = nnls(a, b)
    return solution


def _identified(features: Sequence[tuple[dict[str, float], float, float]], groups) -> bool:
    """Whether every group carries at least 20 % of the MACs of some row (else its constant is a guess)."""
    if len(features) < len(groups):
        return False
    for g in groups:
        shares = [sum(m.get(c, 0) for c in g) / max(sum(m.values()), 1) for m, _, _ in features]
        if max(shares) < 0.2:
            return False
    return True


def _predict(feature: tuple[dict[str, float], float, float], groups, x: np.ndarray) -> float:
    macs, fixed, _ = feature
    return fixed + sum(xi * sum(macs.get(c, 0) for c in g) for xi, g in zip(x, groups, strict=True))


def _per_class(x: np.ndarray, groups: tuple[tuple[str, ...], ...]) -> dict[str, float]:
    return {c: float(xi) for xi, g in zip(x, groups, strict=True) for c in g}


_HELD_OUT_KEYS: tuple[Callable[[CalibrationRow], str], ...] = (
    lambda r: r.label,
    lambda r: r.soc,
    lambda r: r.stack,
)
"""What a held-out fit leaves out with a row: itself, its board (SoC), its engine (stack)."""


def _held_out(
    feature: tuple[dict[str, float], float, float],
    others: Sequence[tuple[dict[str, float], float, float]],
    groups: tuple[tuple[str, ...], ...],
) -> tuple[float | None, dict[str, float] | None]:
    """``feature`` predicted by the fit of ``others`` (None, None where that fit is unconstrained)."""
    if not _identified(others, groups):
        return None, None
    x = _solve(others, groups)
    return _predict(feature, groups, x), _per_class(x, groups)


def fit(spec: FitSpec, rows: Sequence[CalibrationRow] | None = None) -> FitResult:
    """Fit one table entry (see the module docstring)."""
    chosen = [r for r in (rows if rows is not None else calibration_rows()) if spec.select(r)]
    table = load_core_table(spec.family)
    features = [(*_features(program_for(r), table, spec.library, spec.precision), r.cycles) for r in chosen]
    groups = _groups(chosen)
    x = _solve(features, groups)
    fits = []
    for i, row in enumerate(chosen):
        loo, lobo, loeo = (
            _held_out(
                features[i], [f for f, r in zip(features, chosen, strict=True) if key(r) != key(row)], groups
            )
            for key in _HELD_OUT_KEYS
        )
        fits.append(
            RowFit(
                row.label,
                row.cycles,
                _predict(features[i], groups, x),
                loo_predicted_cycles=loo[0],
                loo_fitted=loo[1],
                lobo_predicted_cycles=lobo[0],
                lobo_fitted=lobo[1],
                loeo_predicted_cycles=loeo[0],
                loeo_fitted=loeo[1],
            )
        )
    fitted = _per_class(x, groups)
    in_table = {c: table.kernel(spec.library, spec.precision, c).cycles_per_mac for c in fitted}
    return FitResult(spec, groups, fitted, in_table, tuple(fits))


def fit_all(rows: Sequence[CalibrationRow] | None = None) -> tuple[FitResult, ...]:
    """Every fit of :data:`FITS` (on the shipped calibration rows unless ``rows`` is given)."""
    rows = calibration_rows() if rows is None else rows
    return tuple(fit(spec, rows) for spec in FITS)


def fits_by_row(results: Sequence[FitResult]) -> dict[str, tuple[FitResult, RowFit]]:
    """Row label -> the fit it belongs to and its row of that fit (rows no fit uses are absent)."""
    return {row.label: (result, row) for result in results for row in result.rows}


def main() -> None:
    for result in fit_all():
        s = result.spec
        print(f"\n{s.family} {s.library} {s.precision}: {s.description}")
        for group in result.groups:
            c = group[0]
            print(
                f"  cycles_per_mac[{' + '.join(group)}] = {result.fitted[c]:.4f}"
                f"  (table: {result.in_table[c]:.4f})"
            )
        for row in result.rows:
            held = []
            for mode, name in (("row", "leave-one-out"), ("board", "board-out"), ("engine", "engine-out")):
                predicted = row.held_out(mode)[0]
                pct = None if predicted is None else 100 * (predicted / row.measured_cycles - 1)
                held.append(f"{name} " + (f"{pct:+7.1f} %" if pct is not None else "    n/a"))
            print(
                f"    {row.label:<62} measured {row.measured_cycles / 1e6:8.2f} Mcyc"
                f"  fit {row.error_pct:+7.1f} %  " + "  ".join(held)
            )
        print(f"  RMS residual {result.rms_error_pct:.1f} %")


if __name__ == "__main__":
    main()
