"""A sweep's table as a CSV file, written atomically (a crash leaves the old file or the new one whole)."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from emu.errors import ScenarioError
from emu.study.sweep_table import SweepTable


def csv_text(table: SweepTable) -> str:
    """One header line (the table's columns), then one line per row; a table or list value (an
    inline-table axis) is written as JSON, a missing value as an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.columns)
    for record in table.to_records():
        writer.writerow(_cell(record[c]) for c in table.columns)
    return out.getvalue()


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, sort_keys=True)
    return repr(value) if isinstance(value, float) else value  # repr: the float reads back exactly


def write_csv(table: SweepTable, path: str | Path) -> Path:
    """Write ``table`` to ``path`` as CSV: a temporary file in the same folder, fsynced, then renamed."""
    path = Path(path)
    if not path.parent.is_dir():
        raise ScenarioError("--csv", "csv", str(path), "a path in an existing folder")
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as f:
            f.write(csv_text(table))
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
