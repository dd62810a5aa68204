"""Timeline export in the Chrome / Perfetto trace-event format (open it at https://ui.perfetto.dev).

One process ("tinyemu"), one thread track per component (core, dma, flash, sleep), a complete slice
("X") per task or hardware action with its phase, layer and action, and two counter tracks: supply power
(W) and SRAM in use (bytes). Times are microseconds, as the format wants. The trace shows what was
simulated event by event: with a reused step, the first step, then the session tail after a marker slice
standing for the identical steps 2..N.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from emu.sim.simulation import SimulationResult
from workloads.output_file import atomic_write

_TRACKS = {"core": 1, "dma": 2, "flash": 3, "sleep": 4, "sram": 5}
_US = 1e6


def chrome_trace(result: SimulationResult) -> dict[str, Any]:
    """The trace-event document of ``result`` (simulate with ``trace=True`` for the counters)."""
    record = result.record
    events: list[dict[str, Any]] = [
        {"ph": "M", "pid": 1, "name": "process_name", "args": {"name": f"tinyemu {result.scenario.name}"}}
    ]
    for name, tid in _TRACKS.items():
        events.append({"ph": "M", "pid": 1, "tid": tid, "name": "thread_name", "args": {"name": name}})
    steps_end = record.head_s + record.step_s * record.steps_simulated
    skipped = result.steps - record.steps_simulated
    shift = record.step_s * skipped
    for span in record.spans:
        start = span.start_s + (shift if span.start_s >= steps_end else 0.0)
        events.append(
            {
                "ph": "X",
                "pid": 1,
                "tid": _TRACKS[span.component],
                "name": span.name,
                "cat": span.phase,
                "ts": start * _US,
                "dur": span.duration_s * _US,
                "args": {"phase": span.phase, "layer": span.layer, "action": span.action},
            }
        )
    if skipped:
        events.append(
            {
                "ph": "X",
                "pid": 1,
                "tid": _TRACKS["core"],
                "name": f"steps {record.steps_simulated + 1}..{result.steps} (identical to step 1)",
                "cat": "steps",
                "ts": steps_end * _US,
                "dur": shift * _US,
                "args": {"steps": skipped},
            }
        )
    for t, power in record.power_samples:
        start = t + (shift if t > steps_end else 0.0)
        events.append(
            {"ph": "C", "pid": 1, "name": "supply power (W)", "ts": start * _US, "args": {"W": power}}
        )
    for t, used in record.sram_samples:
        start = t + (shift if t > steps_end else 0.0)
        events.append(
            {"ph": "C", "pid": 1, "name": "SRAM in use (B)", "ts": start * _US, "args": {"bytes": used}}
        )
    return {"traceEvents": events, "displayTimeUnit": "ms", "otherData": {"scenario": result.scenario.name}}


def write_trace(result: SimulationResult, path: str | Path) -> None:
    """Write :func:`chrome_trace` of ``result`` to ``path`` as JSON."""
    data = json.dumps(chrome_trace(result)).encode("utf-8")
    atomic_write(path, lambda handle: handle.write(data), "trace file")
