"""The tables of `tinyemu validate`: predicted vs published with the in-sample and leave-one-out error,
the mean absolute error per core family, and the rows that could not be predicted."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emu.validation import ValidationReport

from rich.console import Console
from rich.table import Table


def _pct(value: float | None) -> str:
    return f"{value:+.1f}%" if value is not None else "-"


def _mae(value: float | int | None, rows: float | int | None = None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}% ({rows})" if rows is not None else f"{value:.1f}%"


def _uj(value: float | None) -> str:
    return f"{value * 1e6:,.0f}" if value is not None else "-"


def render_validation(report: ValidationReport, out: Console) -> None:
    table = Table(
        title="MLPerf Tiny inference: published vs predicted (pred) latency and energy",
        caption="fit: in = the cost table was fitted on this row (err is a residual), out = not; "
        "LOO = leave-one-out error (the fit redone without the row; - where that fit is unconstrained); "
        "V = supply of the energy prediction (* from the row, else the preset's)",
    )
    headers = ("board", "by", "lib", "bench", "prec", "fit", "ms", "pred", "err", "LOO")
    headers += ("uJ", "pred", "err", "LOO", "V")
    for col in headers:
        table.add_column(col, justify="left" if col in headers[:6] else "right", no_wrap=True)
    for v in report.rows:
        r = v.row
        table.add_row(
            v.device,
            r.submitter,
            "ref" if v.library == "reference" else "opt",
            r.bench,
            r.precision,
            "in" if v.in_sample else "out",
            f"{r.latency_s * 1e3:.2f}",
            f"{v.predicted_latency_s * 1e3:.2f}",
            _pct(v.latency_error_pct),
            _pct(v.loo_latency_error_pct),
            _uj(r.energy_j),
            _uj(v.predicted_energy_j),
            _pct(v.energy_error_pct),
            _pct(v.loo_energy_error_pct),
            f"{v.supply_v:.1f}" + ("*" if v.supply_v_from == "row" else ""),
        )
    out.print(table)
    mae = Table(
        title="Mean absolute error per core family",
        caption="(n) = rows with the figure: leave-one-out means cover only the rows that have one; "
        "in-sample = rows the tables were fitted on",
    )
    for col in ("core", "rows", "in-sample", "latency", "LOO latency", "energy", "LOO energy"):
        mae.add_column(col, justify="left" if col == "core" else "right", no_wrap=True)
    for core, m in report.mean_abs_error_pct().items():
        energy_rows = sum(1 for v in report.rows if v.row.core == core and v.energy_error_pct is not None)
        mae.add_row(
            core,
            str(m["rows"]),
            str(m["in_sample_rows"]),
            _mae(m["latency"]),
            _mae(m["loo_latency"], m["loo_latency_rows"]),
            _mae(m["energy"], energy_rows),
            _mae(m["loo_energy"], m["loo_energy_rows"]),
        )
    out.print(mae)
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
        out.print(anchors)
    for u in report.unrepresented:
        out.print(f"  not representable: {u.row.label} on {u.device}: {u.reason}")
    for line in report.skipped:
        out.print(f"  skipped: {line}")
