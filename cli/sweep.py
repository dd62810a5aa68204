"""``tinyemu sweep``: one scenario across a grid of fields, every point's answers in one table."""

from __future__ import annotations

from concurrent.futures import Executor
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.options import JsonOpt, SetOpt
from cli.render import console, error, print_json
from cli.render.sweep import progress_bar, render_sweep
from emu.errors import ScenarioError

if TYPE_CHECKING:
    from emu.study.axes import Samples
    from emu.study.sweep_points import SweepBase
    from emu.study.sweep_table import SweepTable


def sweep(
    scenario: Annotated[Path, typer.Argument(help="The scenario TOML file to vary.", show_default=False)],
    vary: Annotated[
        list[str] | None,
        typer.Option(
            "--vary",
            help="An axis: key=v1,v2 (values in TOML syntax), key=a..b:step (both ends included), or "
            "key=a..b (an interval for --samples). Keys as --set takes them, or device / model. Repeatable.",
        ),
    ] = None,
    what: Annotated[
        str,
        typer.Option(
            "--what", help="What to compute per point: plan, run, lifetime, train (comma-separated)."
        ),
    ] = "plan,run,lifetime",
    zip_axes: Annotated[
        bool, typer.Option("--zip", help="Pair the axes' values index by index instead of every combination.")
    ] = False,
    samples: Annotated[
        int | None, typer.Option("--samples", help="Draw this many points of the key=a..b intervals.")
    ] = None,
    sampler: Annotated[str, typer.Option("--sampler", help="lhs (Latin hypercube) or random.")] = "lhs",
    seed: Annotated[int, typer.Option("--seed", help="Seed of --samples.")] = 0,
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="Worker processes (default: the core count; 1: in-process)."),
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option("--store", help="JSON-lines journal: finished points are kept, a rerun skips them."),
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask", help="Run on Dask: local (a cluster of --workers processes) or tcp://host:8786."
        ),
    ] = None,
    sort: Annotated[
        str | None,
        typer.Option("--sort", help="Order the table by this column (e.g. lifetime_s, -lifetime_s)."),
    ] = None,
    pareto: Annotated[
        str | None,
        typer.Option(
            "--pareto",
            help="Mark the Pareto front over these columns: minimise, or -column to maximise "
            "(e.g. peak_sram_bytes,step_energy_j,-lifetime_s).",
        ),
    ] = None,
    csv_path: Annotated[
        Path | None,
        typer.Option("--csv", help="Also write the table as CSV to this file (written atomically)."),
    ] = None,
    assignments: SetOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Vary a scenario over a grid and tabulate each point; exit code 1 when no point fits."""
    from emu.scenario.scenario import merge, parse_assignment
    from emu.study.axes import Interval, Samples, parse_axis
    from emu.study.sweep_points import SweepBase

    base = SweepBase.of(scenario)
    if assignments:
        changes: dict[str, dict[str, object]] = {}
        for text in assignments:
            section, key, value = parse_assignment(text)
            changes.setdefault(section, {})[key] = value
        base = SweepBase(merge(dict(base.data), changes), base.source, base.base_dir)
    axes: dict[str, list[object]] = {}
    intervals: list[tuple[str, Interval]] = []
    for text in vary or []:
        key, values = parse_axis(text)
        if key in axes or key in dict(intervals):
            raise ScenarioError("--vary", "axis", key, "each key varied by one --vary only")
        if isinstance(values, Interval):
            intervals.append((key, values))
        else:
            axes[key] = values
    drawn = None
    if intervals or samples is not None:
        if samples is None:
            raise ScenarioError(
                "--vary", intervals[0][0], "a..b", "a step (a..b:step), or --samples N to draw"
            )
        drawn = Samples(tuple(intervals), samples, sampler, seed)
    from emu.study.pareto import pareto_front, parse_objectives
    from emu.study.sweep_points import check_what
    from emu.study.sweep_table import SweepTable

    # a bad column fails now, not after the sweep
    empty = SweepTable((*axes, *(k for k, _ in intervals)), check_what(what), ())
    if sort is not None:
        empty.sorted_by(sort.lstrip("-"))
    objectives = parse_objectives(pareto) if pareto is not None else ()
    pareto_front(empty, objectives)
    if csv_path is not None and not csv_path.parent.is_dir():  # before the sweep, not after it
        raise ScenarioError("--csv", "csv", str(csv_path), "a path in an existing folder")
    out = console()
    try:
        with ExitStack() as stack:
            table = _run(stack, base, axes, what, dask, store, zip_axes, drawn, workers, json_output)
    except KeyboardInterrupt:
        kept = (
            f"the finished points are in {store}: rerun the same command to resume"
            if store
            else "no --store: nothing kept"
        )
        error(f"interrupted; {kept}")
        raise typer.Exit(130) from None
    if sort is not None:
        table = table.sorted_by(sort.lstrip("-"), descending=sort.startswith("-"))
    if csv_path is not None:
        from emu.study.sweep_export import write_csv

        write_csv(table, csv_path)
    front = pareto_front(table, objectives) if objectives else None
    if json_output:
        document = table.to_dict()
        if front is not None:
            document["pareto"] = {
                "objectives": [{"column": c, "goal": "max" if up else "min"} for c, up in objectives],
                "indices": [row.index for row in front],
            }
        print_json(document)
    else:
        render_sweep(table, out, front, objectives)
    if not any(row.status == "ok" for row in table.rows):
        raise typer.Exit(1)


def _run(
    stack: ExitStack,
    base: SweepBase,
    axes: dict[str, list[object]],
    what: str,
    dask: str | None,
    store: Path | None,
    zip_axes: bool,
    drawn: Samples | None,
    workers: int | None,
    json_output: bool,
) -> SweepTable:
    from emu.study.sweep import sweep as run_sweep

    executor: Executor | None = None
    if dask is not None:
        from emu.study.dask_cluster import dask_executor

        executor = stack.enter_context(dask_executor(dask, workers))
    progress = stack.enter_context(progress_bar(enabled=not json_output))
    return run_sweep(
        base,
        axes,
        what=what,
        executor=executor,
        store=store,
        zip_axes=zip_axes,
        samples=drawn,
        workers=workers,
        progress=progress,
    )
