"""``tinyemu lifetime``: how long does the deployed device live, why does it stop, what does it get done?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import emu
from cli.options import JsonOpt, ScenarioFlags, horizon_default, section_default, with_scenario_flags
from cli.render import console, print_json
from cli.render.lifetime import PLOT_SUFFIXES, days_progress, plot_available, render_lifetime, write_plot
from emu.errors import ScenarioError
from emu.scenario.deployment import parse_duration_s
from emu.scenario.supply import SupplySettings
from workloads.output_file import check_output_path


@with_scenario_flags
def lifetime(
    flags: ScenarioFlags,
    horizon: Annotated[
        str | None,
        typer.Option(
            "--horizon",
            help="How long to simulate: 3600s, 12h, 90d, 2w, 5y.",
            show_default=horizon_default(),
        ),
    ] = None,
    battery: Annotated[
        str | None,
        typer.Option(
            "--battery",
            help="Battery preset name or TOML path.",
            show_default=section_default(SupplySettings, "supply.battery"),
        ),
    ] = None,
    mode: Annotated[
        str, typer.Option("--mode", help="fast (exact jumps over repetitions) or full (every event).")
    ] = "fast",
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot", help="Write the state of charge over time as a PNG (needs [plot]).", show_default=False
        ),
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Simulate the deployment for years; exit code 1 when the training plan does not fit."""
    horizon_s = None if horizon is None else parse_duration_s(horizon, "--horizon", "--horizon")
    if plot is not None:
        check_output_path(plot, "--plot", PLOT_SUFFIXES)
    if plot is not None and not plot_available():
        raise ScenarioError(
            "--plot",
            "--plot",
            str(plot),
            "matplotlib, which is not installed: pip install '.[plot]' from a clone, "
            "or pip install 'tinyemu[plot]'",
        )
    chosen = flags.build(extra={"supply": {"battery": battery}})
    with days_progress(mode == "full") as progress:  # fast mode takes about a second: no bar
        result = emu.lifetime(chosen, horizon_s=horizon_s, mode=mode, progress=progress)
    if plot is not None:
        write_plot(result, plot)
    if json_output:
        print_json(result.to_dict())
    else:
        render_lifetime(result, console())
    if not result.feasible:
        raise typer.Exit(1)
