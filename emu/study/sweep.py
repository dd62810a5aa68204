"""``emu.sweep``: a scenario varied over a grid of fields, every point's answers in one table.

The whole grid is built and validated first (a typo fails before the first point runs), the points a
store already holds are skipped, the rest run on an executor (a process pool by default, any
``concurrent.futures.Executor`` otherwise) in chunks, and each finished point goes to the store as soon as
its chunk returns. The table lists the points in grid order whatever order they finished in, so serial and
parallel runs give the same table.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from emu.errors import ScenarioError
from emu.scenario.scenario import Scenario
from emu.scenario.values import tinyemu_version
from emu.study.axes import Samples, grid
from emu.study.journal import Journal
from emu.study.sweep_points import SweepBase, SweepPoint, build_points, check_what
from emu.study.sweep_table import SweepTable, row_from_record
from emu.study.sweep_worker import evaluate_many, one_blas_thread

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each finished chunk (points from the store count as done)."""

MAX_CHUNK_POINTS = 64
"""At most this many points travel to a worker together: large enough that a cheap ``plan`` point does
not pay a round trip of its own, small enough that the store and the progress bar keep up."""


def sweep(
    base: SweepBase | Scenario | str | Path | Mapping[str, Any],
    axes: Mapping[str, Sequence[Any]],
    what: str | Sequence[str] = ("plan", "run", "lifetime"),
    executor: Executor | None = None,
    store: Journal | str | Path | None = None,
    *,
    zip_axes: bool = False,
    samples: Samples | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> SweepTable:
    """Run ``base`` at every point of ``axes`` and return each point's answers.

    Parameters
    ----------
    base
        The scenario varied: a scenario file path, its TOML structure as a dict, or a Scenario loaded from
        either.
    axes
        Dotted scenario key (as ``--set`` takes it, or ``device`` / ``model``) -> the values it takes,
        e.g. ``{"plan.batch_size": [1, 4, 16], "device": ["nrf52840", "stm32f746"]}``.
    what
        What to compute per point: any of ``plan`` (fits?, peak SRAM), ``run`` (step and session time and
        energy), ``lifetime`` (how long the deployment lasts), ``train`` (the score, accuracy or mse,
        before and after; seconds per point).
    executor
        Where the points run: any ``concurrent.futures.Executor`` (a Dask client's ``get_executor()``
        works). ``None``: a process pool of ``workers`` processes with BLAS held to one thread each, or in
        this process when there is one worker or one point to run.
    store
        A :class:`~emu.study.journal.Journal` (or its path): finished points are appended to it, and the
        points it already holds are not run again.
    zip_axes
        Pair the axes index by index instead of their Cartesian product.
    samples
        Seeded Latin-hypercube or random points of numeric intervals, combined with ``axes``.
    workers
        The default pool's size (default: the machine's core count).
    progress
        Called after each finished chunk, as ``progress(done, total)``.

    Returns
    -------
    SweepTable
        One row per point in grid order; an infeasible point or one that raised is a row with its reason.
    """
    answers = check_what(what if isinstance(what, str) else tuple(what))
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ScenarioError("--workers", "workers", workers, "a whole number of worker processes >= 1")
    points = build_points(SweepBase.of(base), grid(axes, zip_axes, samples), answers)
    journal = Journal(Path(store)) if isinstance(store, str | Path) else store
    done = journal.read() if journal is not None else {}
    records: dict[str, dict[str, Any]] = {p.key: done[p.key] for p in points if p.key in done}
    reused = len(records)
    todo = list({p.key: p for p in points if p.key not in records}.values())
    copies = Counter(p.key for p in points)  # two points of a grid may be the same scenario: run once
    finished = sum(copies[k] for k in records)
    if progress is not None:
        progress(finished, len(points))

    def collect(chunk_records: list[dict[str, Any]]) -> None:
        nonlocal finished
        if journal is not None:
            journal.append(chunk_records)
        for record in chunk_records:
            records[record["key"]] = record
            finished += copies[record["key"]]
        if progress is not None:
            progress(finished, len(points))

    if todo:
        _run(todo, answers, executor, workers, collect)
    axis_keys = tuple(k for k, _ in points[0].point) if points else ()
    rows = tuple(row_from_record(p.index, p.point, records[p.key]) for p in points)
    return SweepTable(axis_keys, answers, rows, reused=reused)


def _run(
    todo: list[SweepPoint],
    answers: tuple[str, ...],
    executor: Executor | None,
    workers: int | None,
    collect: Callable[[list[dict[str, Any]]], None],
) -> None:
    version = tinyemu_version()
    tasks = [(p.key, p.scenario, version, p.point) for p in todo]
    count = workers or os.cpu_count() or 1
    serial = executor is None and (count == 1 or len(tasks) == 1)
    lanes = 1 if serial else count if executor is None else max(count, 2)
    size = max(1, min(MAX_CHUNK_POINTS, len(tasks) // (lanes * 4)))
    chunks = [tasks[i : i + size] for i in range(0, len(tasks), size)]
    if serial:
        for chunk in chunks:
            collect(evaluate_many(chunk, answers))
        return
    own = executor is None
    pool: Executor = ProcessPoolExecutor(max_workers=count, initializer=one_blas_thread) if own else executor  # type: ignore[assignment]
    try:
        futures: list[Future[list[dict[str, Any]]]] = [
            pool.submit(evaluate_many, chunk, answers) for chunk in chunks
        ]
        for future in as_completed(futures):
            collect(future.result())
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
