"""Scenario options shared by every command that runs a scenario (plan, train, run, lifetime)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, get_type_hints

import typer

from emu.errors import ScenarioError
from emu.scenario.scenario import Scenario, merge, parse_assignment
from workloads.plan import TrainingPlan

_PLAN = TrainingPlan.__dataclass_fields__


def scenario_default(field: str, fallback: object) -> str:
    """The ``[default: ...]`` of a flag that overrides a scenario field: the field, else its default."""
    return f"the scenario's {field}, else {fallback}"


def section_default(section: type, field: str, key: str | None = None) -> str:
    """:func:`scenario_default` with the fallback read from a settings dataclass, so help cannot drift."""
    from dataclasses import fields

    name = key or field.split(".")[-1]
    return scenario_default(field, next(f.default for f in fields(section) if f.name == name))


def horizon_default() -> str:
    """The help's default of ``--horizon``: the deployment's, else the default horizon in years."""
    from emu.scenario.deployment import DEFAULT_HORIZON_S, YEAR_S

    return scenario_default("deployment.horizon", f"{DEFAULT_HORIZON_S / YEAR_S:g}y")


ScenarioFile = Annotated[
    Path | None,
    typer.Option(
        "--scenario",
        "-s",
        help="Scenario TOML file (flags below override it); without one, --device and --model are needed.",
        show_default=False,
    ),
]
DeviceOpt = Annotated[
    str | None,
    typer.Option(
        "--device",
        "-d",
        help="Device preset name or device TOML path (overrides device.name).",
        show_default=False,
    ),
]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        help="Zoo model name or model file path (.onnx, .tflite) (overrides model.name).",
        show_default=False,
    ),
]
UpdateOpt = Annotated[
    str | None,
    typer.Option(
        help="none | full | last:K | bias | sparse",
        show_default=scenario_default("plan.update", _PLAN["update"].default),
    ),
]
OptimizerOpt = Annotated[
    str | None,
    typer.Option(
        help="sgd | sgd-momentum | adam",
        show_default=scenario_default("plan.optimizer", _PLAN["optimizer"].default),
    ),
]
BatchOpt = Annotated[
    int | None,
    typer.Option(
        "--batch",
        help="Samples per training step.",
        show_default=scenario_default("plan.batch_size", _PLAN["batch_size"].default),
    ),
]
PrecisionOpt = Annotated[
    str | None,
    typer.Option(
        help="fp32 | int8", show_default=scenario_default("plan.precision", _PLAN["precision"].default)
    ),
]
ReorderOpt = Annotated[
    bool | None,
    typer.Option(
        "--reorder/--no-reorder",
        help="Apply each update as soon as its gradient exists.",
        show_default=scenario_default("plan.reorder", "--no-reorder"),
    ),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set", help="Override any scenario field: section.key=value (repeatable).", show_default=False
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
ShowScenarioOpt = Annotated[
    bool | None,
    typer.Option(
        "--show-scenario",
        help="Print the scenario this command would run, every default filled in, as TOML (a scenario "
        "file: redirect it to one), and stop.",
        show_default=False,
    ),
]


def build_scenario(
    scenario: Path | None,
    device: str | None,
    model: str | None,
    update: str | None = None,
    optimizer: str | None = None,
    batch: int | None = None,
    precision: str | None = None,
    reorder: bool | None = None,
    assignments: list[str] | None = None,
    extra: dict[str, dict[str, Any]] | None = None,
) -> Scenario:
    """The scenario a command runs: the file (if any), then the flags, then ``--set`` assignments."""
    overrides: dict[str, dict[str, Any]] = {}

    def put(section: str, key: str, value: Any) -> None:
        if value is not None:
            overrides.setdefault(section, {})[key] = value

    put("device", "name", device)
    put("model", "name", model)
    for key, value in (
        ("update", update),
        ("optimizer", optimizer),
        ("batch_size", batch),
        ("precision", precision),
        ("reorder", reorder),
    ):
        put("plan", key, value)
    for section, values in (extra or {}).items():
        for key, value in values.items():
            put(section, key, value)
    for text in assignments or []:
        put(*parse_assignment(text))
    if scenario is not None:
        return Scenario.from_toml(scenario, overrides)
    if "device" not in overrides or "model" not in overrides:
        missing = "--device" if "device" not in overrides else "--model"
        raise ScenarioError(
            "command line", missing, None, "give --scenario FILE.toml, or both --device and --model"
        )
    return Scenario.from_dict(merge({}, overrides), source="command line")


FLAG_OPTIONS: dict[str, Any] = {
    "scenario": ScenarioFile,
    "device": DeviceOpt,
    "model": ModelOpt,
    "update": UpdateOpt,
    "optimizer": OptimizerOpt,
    "batch": BatchOpt,
    "precision": PrecisionOpt,
    "reorder": ReorderOpt,
    "assignments": SetOpt,
    "show_scenario": ShowScenarioOpt,
}
"""The scenario flags every scenario command takes, in help order."""


@dataclass(frozen=True)
class ScenarioFlags:
    """The scenario flags of one command line; :meth:`build` turns them into the scenario."""

    scenario: Path | None = None
    device: str | None = None
    model: str | None = None
    update: str | None = None
    optimizer: str | None = None
    batch: int | None = None
    precision: str | None = None
    reorder: bool | None = None
    assignments: list[str] | None = None
    show_scenario: bool | None = None

    def build(self, extra: dict[str, dict[str, Any]] | None = None) -> Scenario:
        """The scenario: the file (if any), then the flags, then ``extra`` section values, then ``--set``.

        With ``--show-scenario`` it prints that scenario as TOML and ends the command (exit code 0).
        """
        scenario = build_scenario(
            self.scenario,
            self.device,
            self.model,
            self.update,
            self.optimizer,
            self.batch,
            self.precision,
            self.reorder,
            self.assignments,
            extra,
        )
        if self.show_scenario:
            from emu.scenario.effective import effective_toml

            typer.echo(effective_toml(scenario), nl=False)
            raise typer.Exit(0)
        return scenario


def with_scenario_flags(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give a typer command the shared scenario flags; it receives them as ``flags: ScenarioFlags``.

    The command declares its own options after ``flags``; the wrapper's signature is the flags followed by
    those options, so ``--help`` lists every option and typer parses them as usual.
    """
    hints = get_type_hints(command, include_extras=True)
    own = [
        p.replace(annotation=hints.get(p.name, p.annotation))
        for p in inspect.signature(command).parameters.values()
        if p.name != "flags"
    ]
    flags = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)
        for name, annotation in FLAG_OPTIONS.items()
    ]
    params = flags + [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]

    @functools.wraps(command)
    def wrapper(**values: Any) -> Any:
        chosen = ScenarioFlags(**{name: values.pop(name) for name in FLAG_OPTIONS})
        return command(flags=chosen, **values)

    wrapper.__signature__ = inspect.Signature(params, return_annotation=None)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    del wrapper.__wrapped__  # typer must read the wrapper's signature, not the command's
    return wrapper
