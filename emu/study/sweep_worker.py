"""What runs in a sweep's worker: one point's answers as a record, and the worker's one-thread BLAS.

A record is plain JSON data (the store writes it as is): the point's content key, the tinyemu version,
the fields it set, its status, the reason when it is infeasible or failed, and the answers. Numbers are
Python ``int`` and ``float`` so that a record read back from JSON equals the one computed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from emu.scenario.scenario import Scenario

ANSWER_COLUMNS = {
    "plan": ("feasible_plan", "peak_sram_bytes", "sram_bytes", "flash_used_bytes"),
    "run": ("step_time_s", "step_energy_j", "session_time_s", "session_energy_j"),
    "lifetime": ("lifetime_s", "end_cause", "life_energy_j", "training_sessions"),
    "train": ("metric", "score_before", "score_after", "score_gain"),
}
"""The figures each answer adds to a point's record (the table's columns, in this order)."""

BLAS_THREAD_VARIABLES = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def one_blas_thread() -> None:
    """A pool worker's initializer: BLAS and OpenMP to one thread each.

    Several processes on the cores share them already; a BLAS that also spreads over every core makes the
    processes fight (two on two cores ran 6x slower in a measurement). The variables hold for a worker
    that imports numpy after this runs (spawn, forkserver); threadpoolctl limits a BLAS that is already
    loaded (a forked worker inherits the parent's).
    """
    for name in BLAS_THREAD_VARIABLES:
        os.environ[name] = "1"
    import numpy  # noqa: F401  (load the BLAS now so that the limit reaches it)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def evaluate_many(
    tasks: Sequence[tuple[str, Scenario, str, tuple[tuple[str, Any], ...]]], what: tuple[str, ...]
) -> list[dict[str, Any]]:
    """The records of a chunk of points (content key, scenario, version, point), in the chunk's order."""
    return [evaluate(key, scenario, version, point, what) for key, scenario, version, point in tasks]


def evaluate(
    key: str, scenario: Scenario, version: str, point: tuple[tuple[str, Any], ...], what: tuple[str, ...]
) -> dict[str, Any]:
    """One point's record; a point that raises is recorded with the error, never raised."""
    record: dict[str, Any] = {"key": key, "version": version, "point": dict(point)}
    try:
        values, reasons = answers(scenario, what)
    except Exception as exc:  # a sweep records a failing point and goes on: the reason names the error
        record.update(status="error", reason=f"{type(exc).__name__}: {exc}", values={})
        return record
    record.update(status="infeasible" if reasons else "ok", reason="; ".join(reasons) or None, values=values)
    return record


def answers(scenario: Scenario, what: tuple[str, ...]) -> tuple[dict[str, Any], list[str]]:
    """The figures asked for, and the reasons the point does not fit (empty when it does)."""
    values: dict[str, Any] = {}
    reasons: list[str] = []

    def refuse(items: Sequence[str]) -> None:
        reasons.extend(str(r) for r in items if str(r) not in reasons)

    if "plan" in what:
        from emu.memory.planning import plan

        planned = plan(scenario, suggest=False)
        values.update(
            feasible_plan=bool(planned.feasible),
            peak_sram_bytes=int(planned.memory.peak_sram_bytes),
            sram_bytes=int(scenario.device.sram_bytes),
            flash_used_bytes=int(planned.memory.flash_used_bytes),
        )
        if not planned.feasible:
            verdict = planned.verdict
            over = [
                f"{name} over by {size:,} B"
                for name, size in (
                    ("SRAM", verdict.sram_overflow_bytes),
                    ("flash", verdict.flash_overflow_bytes),
                )
                if size > 0
            ]
            refuse(over or ["the plan does not fit"])
    if "run" in what:
        from emu.sim.simulation import simulate

        run = simulate(scenario).to_dict()
        values.update(
            step_time_s=float(run["step_time_s"]),
            step_energy_j=float(run["step_energy_j"]),
            session_time_s=float(run["session_time_s"]),
            session_energy_j=float(run["session_energy_j"]),
        )
        refuse(run["infeasibilities"])
    if "lifetime" in what:
        from emu.deploy.life import lifetime

        life = lifetime(scenario).to_dict()
        values.update(
            lifetime_s=float(life["lifetime_s"]),
            end_cause=str(life["end_cause"]),
            life_energy_j=float(life["supply_energy_j"]),
            training_sessions=int(life["training_sessions"]),
        )
        refuse(life["infeasibilities"])
    if "train" in what:
        from emu.functional.training import train

        trained = train(scenario)
        values.update(  # accuracy for classifiers, mse for regressors (TrainResult.metric)
            metric=trained.metric,
            score_before=float(trained.score_before),
            score_after=float(trained.score_after),
            score_gain=float(trained.gain),
        )
    return values, reasons
