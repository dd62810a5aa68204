"""A measured irradiance trace a user provides as CSV: ``time_s,irradiance_w_per_m2`` rows.

Irradiance is linear between rows; the trace repeats with period ``last time_s`` (the first row is at
time 0), so one measured day or year drives a horizon of years. Energies are exact integrals of the
piecewise-linear trace.
"""

from __future__ import annotations

import bisect
import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

from hw_models.errors import SpecError
from hw_models.input_file import read_input_text

__all__ = ["IrradianceTrace", "MAX_IRRADIANCE_W_PER_M2", "load_irradiance_csv"]

HEADER = ("time_s", "irradiance_w_per_m2")
# Above the solar constant (about 1361 W/m^2) with margin for cloud-edge enhancement.
MAX_IRRADIANCE_W_PER_M2 = 1500.0


@dataclass(frozen=True)
class IrradianceTrace:
    """A periodic, piecewise-linear irradiance trace.

    Parameters
    ----------
    times_s : tuple[float, ...]
        Strictly rising, starting at 0; the last is the period.
    values_w_per_m2 : tuple[float, ...]
        Irradiance, one per time, in [0, MAX_IRRADIANCE_W_PER_M2].
    source : str
        Where it came from (the CSV path).
    """

    times_s: tuple[float, ...]
    values_w_per_m2: tuple[float, ...]
    source: str = "trace"
    _cumulative: tuple[float, ...] = field(init=False, repr=False, compare=False)
    """Exposure from 0 to each time (derived in ``__post_init__``)."""

    def __post_init__(self) -> None:
        _validate(self.source, list(zip(self.times_s, self.values_w_per_m2, strict=True)), None)
        cumulative = [0.0]
        for i in range(len(self.times_s) - 1):
            dt = self.times_s[i + 1] - self.times_s[i]
            cumulative.append(
                cumulative[-1] + dt * (self.values_w_per_m2[i] + self.values_w_per_m2[i + 1]) / 2
            )
        object.__setattr__(self, "_cumulative", tuple(cumulative))

    @property
    def period_s(self) -> float:
        """The trace's length; it repeats after that."""
        return self.times_s[-1]

    def irradiance_w_per_m2(self, t_s: float) -> float:
        """Linear interpolation at ``t_s`` (wrapped into the period)."""
        x = t_s % self.period_s
        ts, vs = self.times_s, self.values_w_per_m2
        i = min(bisect.bisect_right(ts, x) - 1, len(ts) - 2)
        return vs[i] + (vs[i + 1] - vs[i]) * (x - ts[i]) / (ts[i + 1] - ts[i])

    def _from_zero(self, t_s: float) -> float:
        """Exposure over ``[0, t_s]``."""
        periods, x = divmod(t_s, self.period_s)
        ts, vs, cum = self.times_s, self.values_w_per_m2, self._cumulative
        i = min(bisect.bisect_right(ts, x) - 1, len(ts) - 2)
        partial = cum[i] + (x - ts[i]) * (vs[i] + self.irradiance_w_per_m2(x)) / 2
        return periods * cum[-1] + partial

    def energy_j_per_m2(self, t0_s: float, t1_s: float) -> float:
        """Exact exposure over ``[t0_s, t1_s]``."""
        return self._from_zero(t1_s) - self._from_zero(t0_s)

    def breakpoints(self, t0_s: float, t1_s: float) -> list[float]:
        """None: pieces are cut on the regular grid (a trace has a kink at every row)."""
        return []


def _validate(source: str, rows: list[tuple[float, float]], lines: list[int] | None) -> None:
    def where(i: int) -> str:
        return f"row {lines[i]}" if lines else f"row {i + 1}"

    if len(rows) < 2:
        raise SpecError(source, "rows", len(rows), "need at least 2 data rows (the last time is the period)")
    for i, (t, g) in enumerate(rows):
        if not math.isfinite(t) or not math.isfinite(g):
            raise SpecError(source, where(i), (t, g), "time_s and irradiance_w_per_m2 must be finite numbers")
        if not 0 <= g <= MAX_IRRADIANCE_W_PER_M2:
            raise SpecError(
                source,
                f"{where(i)}.irradiance_w_per_m2",
                g,
                f"must be within [0, {MAX_IRRADIANCE_W_PER_M2:g}] W/m^2",
            )
        if i == 0 and t != 0:
            raise SpecError(source, f"{where(i)}.time_s", t, "the first row must be at time_s = 0")
        if i > 0 and t <= rows[i - 1][0]:
            raise SpecError(
                source, f"{where(i)}.time_s", t, f"must be after the previous row's {rows[i - 1][0]}"
            )


def load_irradiance_csv(path: str | Path) -> IrradianceTrace:
    """Read a trace from a CSV with the header ``time_s,irradiance_w_per_m2`` (``#`` comment lines allowed).

    Raises
    ------
    SpecError
        Missing or unreadable file, wrong header, a non-numeric, non-finite, negative or implausible
        value, times not rising from 0, or fewer than two rows; naming the file and the row.
    """
    source = str(path)
    text = read_input_text(path, "CSV file")
    numbered = [
        (n, line)
        for n, line in enumerate(text.splitlines(), 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        raise SpecError(source, "header", "<empty>", f"must be {','.join(HEADER)}")
    header = tuple(h.strip() for h in next(csv.reader([numbered[0][1]])))
    if header != HEADER:
        raise SpecError(source, "header", ",".join(header), f"must be exactly {','.join(HEADER)}")
    rows, lines = [], []
    for n, line in numbered[1:]:
        cells = next(csv.reader([line]))
        if len(cells) != 2:
            raise SpecError(source, f"row {n}", line, "must have 2 values: time_s,irradiance_w_per_m2")
        try:
            rows.append((float(cells[0]), float(cells[1])))
        except ValueError:
            raise SpecError(source, f"row {n}", line, "values must be numbers") from None
        lines.append(n)
    _validate(source, rows, lines)
    times, values = zip(*rows, strict=True)
    return IrradianceTrace(tuple(times), tuple(values), source)
