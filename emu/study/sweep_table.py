"""A sweep's answers: one row per point, in grid order, as records or a pandas DataFrame."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emu.errors import ScenarioError

STATUSES = ("ok", "infeasible", "error")
"""A point's outcome: it fits and ran, it ran but does not fit (a verdict), or it raised (the reason says
why); no outcome stops the sweep."""


@dataclass(frozen=True)
class SweepRow:
    """One point's answers.

    Attributes
    ----------
    index
        The point's place in the grid.
    point
        The (key, value) pairs it sets, in axis order.
    status
        One of :data:`STATUSES`.
    reason
        Why it is infeasible or failed (``None`` when ok).
    values
        The answers asked for, as (name, value) pairs (``peak_sram_bytes``, ``step_energy_j``,
        ``lifetime_s``...).
    key
        The point's content key (what the store records it under).
    """

    index: int
    point: tuple[tuple[str, Any], ...]
    status: str
    reason: str | None
    values: tuple[tuple[str, Any], ...]
    key: str

    def to_dict(self) -> dict[str, Any]:
        """Flat: ``index``, the varied keys, ``status``, ``reason``, the answers."""
        return {
            "index": self.index,
            **dict(self.point),
            "status": self.status,
            "reason": self.reason,
            **dict(self.values),
        }

    def value(self, name: str) -> Any:
        """One answer by name (``None`` if not computed)."""
        return dict(self.values).get(name)


@dataclass(frozen=True)
class SweepTable:
    """Every point's row, in grid order whatever order the points finished in.

    Attributes
    ----------
    axes
        The varied keys, in axis order.
    what
        The answers computed per point.
    rows
        One :class:`SweepRow` per point.
    reused
        How many rows came from the store rather than being computed in this call (not part of equality).
    """

    axes: tuple[str, ...]
    what: tuple[str, ...]
    rows: tuple[SweepRow, ...]
    reused: int = 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SweepTable):
            return NotImplemented
        return (self.axes, self.what, self.rows) == (other.axes, other.what, other.rows)

    __hash__ = None  # type: ignore[assignment]  # rows may hold dict values (an inline-table axis)

    @property
    def columns(self) -> tuple[str, ...]:
        """The record keys, in order: index, the varied keys, status, reason, the answers' figures."""
        from emu.study.sweep_worker import ANSWER_COLUMNS

        figures = [c for answer in self.what for c in ANSWER_COLUMNS[answer]]
        return tuple(dict.fromkeys(("index", *self.axes, "status", "reason", *figures)))

    def check_column(self, column: str, option: str) -> None:
        """Raise the input error of ``option`` (``--sort``, ``--pareto``) when ``column`` is not one."""
        if column not in self.columns:
            from workloads.errors import did_you_mean

            raise ScenarioError(
                option,
                option.lstrip("-"),
                column,
                f"a column: {', '.join(self.columns)}" + did_you_mean(column, self.columns),
            )

    def sorted_by(self, column: str, descending: bool = False) -> SweepTable:
        """The same rows ordered by ``column`` (rows without a value, or NaN, last; ties keep grid order)."""
        self.check_column(column, "--sort")

        def present(row: SweepRow) -> bool:
            value = row.to_dict().get(column)
            return value is not None and value == value  # NaN != NaN

        have = [r for r in self.rows if present(r)]
        have.sort(key=lambda r: r.to_dict()[column], reverse=descending)
        rows = tuple(have) + tuple(r for r in self.rows if not present(r))
        return SweepTable(self.axes, self.what, rows, self.reused)

    def to_records(self) -> list[dict[str, Any]]:
        """One flat dict per row (every row has every column; a missing answer is ``None``)."""
        columns = self.columns
        return [{c: row.to_dict().get(c) for c in columns} for row in self.rows]

    def to_dict(self) -> dict[str, Any]:
        """The ``tinyemu sweep --json`` document."""
        counts = {s: sum(1 for r in self.rows if r.status == s) for s in STATUSES}
        return {"axes": list(self.axes), "what": list(self.what), "counts": counts, "rows": self.to_records()}

    def to_pandas(self) -> Any:
        """The rows as a ``pandas.DataFrame`` (needs pandas: ``pip install 'tinyemu[sweep]'``)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "SweepTable.to_pandas needs pandas, which is not installed: pip install 'tinyemu[sweep]'"
            ) from None
        return pd.DataFrame.from_records(self.to_records(), columns=list(self.columns))


def row_from_record(index: int, point: tuple[tuple[str, Any], ...], record: Mapping[str, Any]) -> SweepRow:
    """A row from a computed or stored record (the point and index come from the current grid)."""
    return SweepRow(
        index=index,
        point=point,
        status=str(record["status"]),
        reason=record.get("reason"),
        values=tuple((str(k), v) for k, v in dict(record.get("values") or {}).items()),
        key=str(record["key"]),
    )
