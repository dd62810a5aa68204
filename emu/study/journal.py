"""A sweep's result store: a JSON-lines journal that a kill at any moment leaves readable.

Why a journal rather than SQLite or Parquet: appending one line is the whole write (no pages, no
footer: Parquet cannot be appended and a crash before its footer loses the file), a person can read it
with ``tail``, and the crash-safe pattern is small (Optuna's journal storage uses it): each finished point
is one ``write`` of a complete line under an exclusive lock, then ``flush`` and ``os.fsync``; the reader
ignores a last line that a kill tore (no newline, or not JSON), and the next writer cuts that torn tail
off before it appends. The store, not the executor, is the record of what is done: a point is done when
its line is in the file.

Records are keyed by the point's content key (:func:`emu.study.sweep_points.content_key`), which covers
the scenario, the answers asked for and the tinyemu version: a point whose inputs changed gets a new key
and is recomputed.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emu.errors import ScenarioError

SYNCS = ("record", "batch")


@dataclass(frozen=True)
class Journal:
    """A JSON-lines file of finished points, one record a line.

    Parameters
    ----------
    path
        The journal file (created on the first append; its folder must exist).
    sync
        ``record``: ``os.fsync`` after each record; ``batch``: after each batch of records that finished
        together (a chunk of points). Either way each record is one ``write`` of a whole line, which a
        killed process cannot tear once the call returned; the fsync is what a power cut needs, and it
        costs milliseconds (``benchmarks/sweep_scaling.py`` prints how much it adds to cheap points).
    """

    path: Path
    sync: str = "record"

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        if self.sync not in SYNCS:
            raise ScenarioError("--store", "sync", self.sync, f"one of {', '.join(SYNCS)}")
        if self.path.is_dir():
            raise ScenarioError("--store", "store", str(self.path), "a file path, not a folder")
        if not self.path.parent.is_dir():
            raise ScenarioError("--store", "store", str(self.path), "a path in an existing folder")

    def read(self) -> dict[str, dict[str, Any]]:
        """Every complete record by content key (the last one wins if a key repeats).

        A last line without its newline is a write that a kill tore: ignored (the point was not done, and
        the next append cuts it off). A corrupt complete line is an error: the file is not a journal.
        """
        records: dict[str, dict[str, Any]] = {}
        for number, line in enumerate(_complete_lines(self.path), start=1):
            try:
                record = json.loads(line)
                key = record["key"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise ScenarioError(
                    str(self.path), f"line {number}", line[:60], "a JSON record with a key (a sweep journal)"
                ) from None
            records[str(key)] = record
        return records

    def append(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Append ``records``, each one line, flushed and fsynced before the next (a kill loses at most
        the line being written, which the reader then ignores)."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # two sweeps on one journal never interleave a line
            _cut_torn_tail(fd, self.path)
            for record in records:
                os.write(fd, (json.dumps(record, separators=(",", ":")) + "\n").encode())
                if self.sync == "record":
                    os.fsync(fd)
            if self.sync == "batch":
                os.fsync(fd)
        finally:
            os.close(fd)  # closing releases the lock


def _complete_lines(path: Path) -> list[str]:
    """The lines that end in a newline (a last line without one is a torn write, left out)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    complete = data[: data.rfind(b"\n") + 1].decode("utf-8", errors="replace")
    return [line for line in complete.split("\n") if line.strip()]


def _cut_torn_tail(fd: int, path: Path) -> None:
    """Drop a last line without a newline (a write a kill interrupted), so the next line starts clean."""
    size = os.lseek(fd, 0, os.SEEK_END)
    if size == 0:
        return
    back = min(size, 1 << 16)
    os.lseek(fd, size - back, os.SEEK_SET)
    tail = os.read(fd, back)
    if tail.endswith(b"\n"):
        return
    cut = tail.rfind(b"\n")
    if cut < 0 and back < size:
        # a line longer than 64 KiB with no end: not one a sweep wrote; appending after it would glue a
        # record to it, so refuse rather than guess
        raise ScenarioError("--store", "store", str(path), "a sweep journal")
    os.ftruncate(fd, size - back + cut + 1)
    os.fsync(fd)
