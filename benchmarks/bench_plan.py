"""Wall time of ``tinyemu plan`` for every zoo model, as a user runs it (a fresh process each time).

Goal (issue 2): under 0.3 s wall per answer, on a path that never imports numba.
Run: ``python benchmarks/bench_plan.py`` (prints one row per model and the worst case).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from workloads.zoo import model_names

REPEATS = 5


def time_plan(model: str, device: str = "stm32h743") -> float:
    """Median wall seconds of ``python -m cli plan --json`` over ``REPEATS`` fresh processes."""
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "cli",
                "plan",
                "--device",
                device,
                "--model",
                model,
                "--update",
                "full",
                "--json",
            ],
            capture_output=True,
            text=True,
        )
        samples.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"plan failed for {model}: {proc.stderr}")
    return statistics.median(samples)


def numba_free() -> bool:
    code = "import sys, emu, cli.app; emu.plan; print('numba' in sys.modules)"
    return (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
    )


def main() -> None:
    print(f"tinyemu plan --update full --json, median of {REPEATS} fresh processes (goal < 0.300 s)")
    worst = 0.0
    for model in model_names():
        seconds = time_plan(model)
        worst = max(worst, seconds)
        print(f"  {model:20s} {seconds:6.3f} s")
    print(
        f"worst: {worst:.3f} s ({'meets' if worst < 0.3 else 'MISSES'} the 0.3 s goal); "
        f"numba imported on the plan path: {'no' if numba_free() else 'YES'}"
    )


if __name__ == "__main__":
    main()
