"""Speed of emu.sweep: serial against the process pool, and what the store costs (prints; not a test).

Run: python benchmarks/sweep_scaling.py [--workers N] [--points N]

The grid is the coin-cell keyword spotter (``examples/kws_coin_cell.toml``) over batch sizes and inference
periods with a one-year horizon: ``lifetime`` points of a few tens of milliseconds each, the cost the
issue's 10,000-point target is about. Each mode runs the same grid from a cold start of its executor (the
pool's start-up is part of its time) and must give the same table as the serial run. A third run times a
sweep of cheap ``plan`` points with and without the JSON-lines store.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import emu

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "examples" / "kws_coin_cell.toml"


def timed(label: str, **kwargs) -> tuple[float, emu.SweepTable]:
    start = time.perf_counter()
    table = emu.sweep(**kwargs)
    seconds = time.perf_counter() - start
    print(
        f"{label}: {seconds:.2f} s for {len(table.rows)} points ({len(table.rows) / seconds:,.1f} points/s)"
    )
    return seconds, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--points", type=int, default=48, help="lifetime points (rounded to the grid)")
    args = parser.parse_args()
    periods = max(1, args.points // 4)
    axes = {
        "plan.batch_size": [1, 2, 3, 4],
        "deployment.inference_period_s": [30 + 5 * i for i in range(periods)],
    }
    common = {"base": BASE, "axes": axes, "what": ("plan", "lifetime")}
    base = emu.Scenario.from_toml(BASE, {"deployment": {"horizon": "1y"}})
    common["base"] = base
    emu.sweep(base, {"plan.batch_size": [1]}, what=("plan", "lifetime"), workers=1)  # numba cache, imports
    serial_s, serial = timed("serial (1 process)", **common, workers=1)
    pool_s, pooled = timed(f"pool ({args.workers} processes)", **common, workers=args.workers)
    assert pooled == serial, "the pool's table differs from the serial one"
    speedup = serial_s / pool_s
    print(
        f"speed-up {speedup:.2f}x, parallel efficiency {speedup / args.workers:.0%} on {args.workers} workers"
    )

    plan_axes = {"plan.batch_size": list(range(1, 51)), "plan.update": ["bias", "last:1", "last:2", "full"]}
    bare_s, _ = timed("plan points, no store", base=base, axes=plan_axes, what="plan", workers=1)
    for sync in ("record", "batch"):
        with tempfile.TemporaryDirectory() as folder:
            store = emu.Journal(Path(folder) / "journal.jsonl", sync=sync)
            label = f"plan points, JSON-lines store, fsync per {sync}"
            stored_s, _ = timed(label, base=base, axes=plan_axes, what="plan", workers=1, store=store)
        print(f"the store (fsync per {sync}) adds {stored_s / bare_s - 1:+.1%} to a sweep of plan points")


if __name__ == "__main__":
    main()
