"""The table of `tinyemu validate`: predicted vs published, error in percent, MAE per core family."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from emu.validation import ValidationReport


def _pct(value: float | None) -> str:
    return f"{value:+.1f} %" if value is not None else "-"


def render_validation(report: ValidationReport, out: Console) -> None:
    table = Table(title="MLPerf Tiny inference: published vs predicted (pred) latency and energy")
    headers = ("board", "kernels", "bench", "prec", "ms", "pred ms", "err", "uJ", "pred uJ", "err")
    for col in headers:
        table.add_column(col, justify="left" if col in headers[:4] else "right")
    for v in report.rows:
        r = v.row
        table.add_row(
            v.device,
            v.library,
            r.bench,
            r.precision,
            f"{r.latency_s * 1e3:.2f}",
            f"{v.predicted_latency_s * 1e3:.2f}",
            _pct(v.latency_error_pct),
            f"{r.energy_j * 1e6:,.0f}" if r.energy_j is not None else "-",
            f"{v.predicted_energy_j * 1e6:,.0f}",
            _pct(v.energy_error_pct),
        )
    out.print(table)
    mae = Table(title="Mean absolute error per core family")
    for col in ("core", "rows", "latency", "energy"):
        mae.add_column(col, justify="left" if col == "core" else "right")
    for core, values in report.mean_abs_error_pct().items():
        energy = values["energy"]
        mae.add_row(
            core,
            str(values["rows"]),
            f"{values['latency']:.1f} %",
            f"{energy:.1f} %" if energy is not None else "-",
        )
    out.print(mae)
    out.print(
        f"{len(report.skipped)} calibration rows skipped (no device preset for their board). The cost "
        "tables were fitted on these rows: the errors are in-sample residuals "
        "(python -m emu.fitting prints leave-one-out errors)."
    )
