"""The tables of `tinyemu validate`: predicted vs published with the in-sample and leave-one-out error,
the mean absolute error per core family and overall (in sample, and held out by row, board and engine),
and the rows that could not be predicted."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emu.fidelity.validation import ValidationReport

from rich.console import Console
from rich.table import Table

from cli.render import borderless, print_table, too_wide


def _pct(value: float | None) -> str:
    return f"{value:+.1f}%" if value is not None else "-"


def _mae(value: float | int | None, rows: float | int | None = None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}% ({rows})" if rows is not None else f"{value:.1f}%"


def _uj(value: float | None) -> str:
    return f"{value * 1e6:,.0f}" if value is not None else "-"


LATENCY = (("ms", "ms"), ("ms_pred", "pred"), ("ms_err", "err"), ("ms_loo", "LOO"))
"""(key, header) of the latency columns."""
ENERGY = (("uj", "uJ"), ("uj_pred", "pred"), ("uj_err", "err"), ("uj_loo", "LOO"), ("v", "V"))
"""(key, header) of the energy columns."""


def render_validation(report: ValidationReport, out: Console) -> None:
    if too_wide(out, borderless(_rows_table(report, LATENCY + ENERGY))):  # latency and energy apart
        print_table(out, _rows_table(report, LATENCY))
        print_table(out, _rows_table(report, ENERGY))
    else:
        print_table(out, _rows_table(report, LATENCY + ENERGY))
    _render_summary(report, out)


def _rows_table(report: ValidationReport, figures: tuple[tuple[str, str], ...]) -> Table:
    """The per-row table with the given figure columns (of :data:`LATENCY` and :data:`ENERGY`)."""
    keys = [key for key, _ in figures]
    parts = [part for part, cols in (("latency", LATENCY), ("energy", ENERGY)) if cols[0] in figures]
    caption = (
        "fit: in = the cost table was fitted on this row (err is a residual), out = not; "
        "LOO = leave-one-out error (the fit redone without the row; - where that fit is unconstrained)"
    )
    if "v" in keys:
        caption += "; V = supply of the energy prediction (* from the row, else the preset's)"
    table = Table(
        title="MLPerf Tiny inference: published vs predicted (pred) " + " and ".join(parts), caption=caption
    )
    for col in ("board", "by", "lib", "bench", "prec", "fit"):
        table.add_column(col, no_wrap=True)
    for _, header in figures:
        table.add_column(header, justify="right", no_wrap=True)
    for v in report.rows:
        r = v.row
        cells = {
            "ms": f"{r.latency_s * 1e3:.2f}",
            "ms_pred": f"{v.predicted_latency_s * 1e3:.2f}",
            "ms_err": _pct(v.latency_error_pct),
            "ms_loo": _pct(v.loo_latency_error_pct),
            "uj": _uj(r.energy_j),
            "uj_pred": _uj(v.predicted_energy_j),
            "uj_err": _pct(v.energy_error_pct),
            "uj_loo": _pct(v.loo_energy_error_pct),
            "v": f"{v.supply_v:.1f}" + ("*" if v.supply_v_from == "row" else ""),
        }
        table.add_row(
            v.device,
            r.submitter,
            "ref" if v.library == "reference" else "opt",
            r.bench,
            r.precision,
            "in" if v.in_sample else "out",
            *(cells[key] for key in keys),
        )
    return table


_HELD_OUT = ("loo", "lobo", "loeo")
"""Key prefixes of the held-out means: leave one row, board (SoC), engine (stack) out."""


def _summary_table(report: ValidationReport, quantities: tuple[str, ...]) -> Table:
    """Mean absolute error per core family and over all rows, of ``quantities`` (latency, energy)."""
    mae = Table(
        title="Mean absolute error per core family" + ("" if len(quantities) > 1 else f": {quantities[0]}"),
        caption="(n) = rows with the figure: held-out means cover only the rows that have one; "
        "in-sample = rows the tables were fitted on; LOO / LOBO / LOEO = the fit redone without the row / "
        "every row of its board / every row of its engine; - = no row has the figure (no published "
        "energy, or each fit without the row is unconstrained)",
    )
    columns = ["core", "rows", "in-sample"]
    for q in quantities:
        columns += [q, *(f"{p.upper()}\n{q}" for p in _HELD_OUT)]
    rows = []
    for core, m in [*report.mean_abs_error_pct().items(), ("all", report.overall_mean_abs_error_pct())]:
        cells = [core, str(m["rows"]), str(m["in_sample_rows"])]
        for q in quantities:
            cells.append(_mae(m[q], m["energy_rows"] if q == "energy" else None))
            cells += [_mae(m[f"{p}_{q}"], m[f"{p}_{q}_rows"]) for p in _HELD_OUT]
        rows.append(cells)
    for i, col in enumerate(columns):  # a figure never breaks: its whole width is the column's minimum
        width = max(len(cells[i]) for cells in rows)
        mae.add_column(col, justify="left" if col == "core" else "right", no_wrap=True, min_width=width)
    for cells in rows:
        mae.add_row(*cells)
    return mae


def _render_summary(report: ValidationReport, out: Console) -> None:
    if too_wide(out, borderless(_summary_table(report, ("latency", "energy")))):  # latency and energy apart
        print_table(out, _summary_table(report, ("latency",)))
        print_table(out, _summary_table(report, ("energy",)))
    else:
        print_table(out, _summary_table(report, ("latency", "energy")))
    out.print(
        f"{len(report.rows)} of {report.rows_with_preset} calibration rows with a device preset predicted; "
        f"{len(report.unrepresented)} not representable by the cost tables; {len(report.skipped)} "
        "without a preset."
    )
    if report.training:
        anchors = Table(
            title="Training: published vs predicted (one full fp32 SGD step of mlperf-dscnn)",
            caption="in = the backward cost ratio was derived from this figure; the published figures do not "
            "say which network they ran",
        )
        for col in ("anchor", "device", "quantity", "published", "pred", "err", "fit"):
            anchors.add_column(col, justify="right" if col in ("published", "pred", "err") else "left")
        for a in report.training:
            anchors.add_row(
                a.name,
                a.device,
                a.quantity,
                f"{a.published:g}",
                f"{a.predicted:.3g}",
                _pct(a.error_pct),
                "in" if a.in_sample else "out",
            )
        print_table(out, anchors)
    for u in report.unrepresented:
        out.print(f"  not representable: {u.row.label} on {u.device}: {u.reason}")
    for line in report.skipped:
        out.print(f"  skipped: {line}")
