"""``tinyemu validate``: predicted vs published MLPerf Tiny latency and energy, with the error."""

from __future__ import annotations

from cli.options import JsonOpt
from cli.render import console, print_json
from cli.render.validate import render_validation


def validate(json_output: JsonOpt = False) -> None:
    """Compare the emulator with every published calibration row it can reproduce."""
    from emu.fidelity.validation import validate as run_validation  # scipy and the simulator: only when run

    report = run_validation()
    if json_output:
        print_json(report.to_dict())
    else:
        render_validation(report, console())
