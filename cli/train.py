"""``tinyemu train``: run the training plan for real on data and report the accuracy it buys."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import emu
from cli.options import JsonOpt, ScenarioFlags, scenario_default, section_default, with_scenario_flags
from cli.render import console, print_json
from cli.render.train import epoch_progress, render_train
from emu.scenario.train import TrainSettings


def _default(key: str) -> str:
    return section_default(TrainSettings, f"train.{key}")


@with_scenario_flags
def train(
    flags: ScenarioFlags,
    dataset: Annotated[
        str | None,
        typer.Option(help="digits, or a path to an .npz with x and y.", show_default=_default("dataset")),
    ] = None,
    epochs: Annotated[
        int | None,
        typer.Option(help="Fine-tuning epochs over the device's share.", show_default=_default("epochs")),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(help="Seed of splits, initialisation and shuffling.", show_default=_default("seed")),
    ] = None,
    pretrain_epochs: Annotated[
        int | None,
        typer.Option(
            help="Full fp32 epochs on the pretrain part (skipped with --weights).",
            show_default=_default("pretrain_epochs"),
        ),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(
            help="Device samples to fine-tune on.", show_default=scenario_default("train.samples", "all")
        ),
    ] = None,
    shift: Annotated[
        str | None,
        typer.Option(
            help="Device data shift: none | rotate | invert | shift.",
            show_default=scenario_default("train.shift", "shift on digits, none on an .npz"),
        ),
    ] = None,
    weights: Annotated[
        Path | None,
        typer.Option(
            help="Start from these weights (.npz).",
            show_default=scenario_default("train.weights", "pretrain"),
        ),
    ] = None,
    save_weights: Annotated[
        Path | None,
        typer.Option(
            help="Write the fine-tuned weights (.npz).",
            show_default=scenario_default("train.weights_out", "not written"),
        ),
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Pretrain (or load weights), fine-tune with the plan on the device's data, report accuracy and MACs."""
    numbers = {"epochs": epochs, "seed": seed, "pretrain_epochs": pretrain_epochs, "samples": samples}
    chosen = flags.build(extra={"train": {"shift": shift, **numbers}})  # paths stay relative to here
    settings = TrainSettings.from_scenario(chosen, dataset=dataset)
    total = (0 if weights or chosen.weights else settings.pretrain_epochs) + settings.epochs
    with epoch_progress(total) as progress:  # stderr, and only on a terminal: --json stays clean
        result = emu.train(
            chosen,
            dataset=dataset,
            weights=str(weights) if weights else None,
            weights_out=str(save_weights) if save_weights else None,
            progress=progress,
        )
    if json_output:
        print_json(result.to_dict())
    else:
        render_train(result, console())
