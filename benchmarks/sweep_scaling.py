"""Speed of emu.sweep: serial against the process pool, and what the store costs (prints; not a test).

Run: python benchmarks/sweep_scaling.py [--workers N] [--points N]

The grid is the coin-cell keyword spotter (``examples/kws_coin_cell.toml``) over batch sizes and inference
periods with a one-year horizon: ``lifetime`` points of a few tens of milliseconds each, the cost the
issue's 10,000-point target is about. Each mode runs the same grid from a cold start of its executor (the
pool's start-up is part of its time) and must give the same table as the serial run. CPU seconds are
printed beside wall seconds: on a machine that others load, the wall ratio says little, while equal CPU
totals say the pool wastes no work. A third run times a
sweep of cheap ``plan`` points with and without the JSON-lines store.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import emu

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "examples" / "kws_coin_cell.toml"


def cpu_s() -> float:
    """CPU seconds of this process and its finished children (the pool's workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(label: str, **kwargs) -> tuple[float, emu.SweepTable]:
    start, cpu = time.perf_counter(), cpu_s()
    table = emu.sweep(**kwargs)
    seconds, points = time.perf_counter() - start, len(table.rows)
    print(
        f"{label}: {seconds:.2f} s wall for {points} points ({points / seconds:,.1f} points/s), "
        f"{cpu_s() - cpu:.2f} s CPU here and in pool workers"
    )
    return seconds, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--points", type=int, default=48, help="lifetime points (rounded to the grid)")
    args = parser.parse_args()
    print(
        f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores "
        "(wall-time ratios mean something only on idle cores)"
    )
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
    try:
        import distributed  # noqa: F401

        from emu.study.dask_cluster import dask_executor
    except ImportError:
        print("dask: skipped (pip install 'tinyemu[dask]')")
    else:
        start = time.perf_counter()
        with dask_executor("local", args.workers) as executor:
            up_s = time.perf_counter() - start
            dask_s, on_dask = timed(
                f"dask local ({args.workers} worker processes)", **common, executor=executor
            )
        assert on_dask == serial, "the Dask table differs from the serial one"
        speedup = serial_s / dask_s
        print(
            f"dask speed-up {speedup:.2f}x, parallel efficiency {speedup / args.workers:.0%} "
            f"(cluster start-up {up_s:.1f} s not counted; its workers' CPU is not in the CPU figure)"
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
