"""Published measurements the cost tables are fitted on and validated against (MLPerf Tiny inference)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from hw_models.errors import SpecError

__all__ = ["CalibrationRow", "calibration_rows"]

_CSV = Path(__file__).parent / "data" / "calibration" / "mlperf_tiny_inference.csv"


@dataclass(frozen=True)
class CalibrationRow:
    """One published inference result: a benchmark on a board with a software stack.

    Attributes
    ----------
    latency_s : float
        Median latency of one inference.
    energy_j : float or None
        Median energy of one inference, where an energy run was submitted.
    supply_v : float or None
        Supply voltage of the energy run, where stated.
    """

    round: str
    submitter: str
    stack: str
    board: str
    soc: str
    core: str
    clock_hz: float
    supply_v: float | None
    bench: str
    precision: str
    latency_s: float
    energy_j: float | None

    @property
    def label(self) -> str:
        """``'v1.3 STMicro X-CUBE-AI 10.2 STM32L4R5 kws int8'``."""
        return f"{self.round} {self.submitter} {self.stack} {self.soc} {self.bench} {self.precision}"

    @property
    def cycles(self) -> float:
        """Latency in core cycles at the row's clock."""
        return self.latency_s * self.clock_hz


def calibration_rows(path: str | Path = _CSV) -> tuple[CalibrationRow, ...]:
    """Read the calibration CSV (lines starting with ``#`` are comments)."""
    path = Path(path)
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    rows = []
    for i, record in enumerate(csv.DictReader(lines)):
        try:
            rows.append(
                CalibrationRow(
                    round=record["round"],
                    submitter=record["submitter"],
                    stack=record["stack"],
                    board=record["board"],
                    soc=record["soc"],
                    core=record["core"],
                    clock_hz=float(record["clock_hz"]),
                    supply_v=float(record["supply_v"]) if record["supply_v"] else None,
                    bench=record["bench"],
                    precision=record["precision"],
                    latency_s=float(record["latency_ms"]) * 1e-3,
                    energy_j=float(record["energy_uj"]) * 1e-6 if record["energy_uj"] else None,
                )
            )
        except (KeyError, TypeError, ValueError) as err:
            raise SpecError(
                str(path), f"row {i + 1}", record, f"must be a complete calibration row ({err})"
            ) from None
    return tuple(rows)
