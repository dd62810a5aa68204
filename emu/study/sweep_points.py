"""The points of a sweep as scenarios: each built and validated before the first one runs.

A point is the base scenario's TOML structure with the point's fields set (as ``--set`` would), built
into a :class:`~emu.scenario.scenario.Scenario` up front, with its run sections parsed too, so that a
typo or a bad value anywhere in the grid fails at once, naming the point. Each point also gets a content
key: a digest of everything its answers depend on (the point's scenario digest, which covers the files it
names and the tinyemu version, and what is computed), which is how a result store knows a point is done.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emu.errors import INPUT_ERRORS, ScenarioError
from emu.scenario.checkpoint import CheckpointSettings
from emu.scenario.deployment import DeploymentSettings
from emu.scenario.scenario import Scenario, merge
from emu.scenario.session import SessionSettings
from emu.scenario.supply import SupplySettings
from emu.study.axes import Point, overrides

ANSWERS = ("plan", "run", "lifetime", "train")
"""What a sweep can compute per point: the memory plan, one simulated session, the deployment's
lifetime, functional training (the score, accuracy or mse; seconds per point)."""


@dataclass(frozen=True)
class SweepBase:
    """The scenario a sweep varies, as its TOML structure and where relative paths in it resolve."""

    data: Mapping[str, Any]
    source: str = "<sweep>"
    base_dir: str | None = None

    @classmethod
    def of(cls, base: SweepBase | Scenario | str | Path | Mapping[str, Any]) -> SweepBase:
        """A base from a scenario file path, a TOML structure, or a Scenario loaded from either."""
        if isinstance(base, SweepBase):
            return base
        if isinstance(base, str | Path):
            import tomllib

            path = Path(base)
            try:
                data = tomllib.loads(path.read_text())
            except FileNotFoundError:
                raise ScenarioError(str(path), "scenario", str(path), "an existing TOML file") from None
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                raise ScenarioError(
                    str(path), "scenario", str(path), f"a readable TOML file ({exc})"
                ) from None
            return cls(data, str(path), str(path.parent))
        if isinstance(base, Scenario):
            if "device" not in base.settings or "model" not in base.settings:
                raise ScenarioError(
                    base.source,
                    "base",
                    base.name,
                    "a Scenario loaded from a file or dict (its sections are needed)",
                )
            data = {"name": base.name, **{k: dict(v) for k, v in base.settings.items()}}
            base_dir = str(Path(base.source).parent) if base.source.endswith(".toml") else None
            return cls(data, base.source, base_dir)
        if isinstance(base, Mapping):
            return cls(dict(base))
        raise ScenarioError(
            "sweep", "base", type(base).__name__, "a scenario path, a TOML dict or a Scenario"
        )


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: its place in the grid, the fields it sets, its scenario and content key."""

    index: int
    point: Point
    scenario: Scenario
    key: str

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.point) or "base"


def content_key(scenario: Scenario, what: tuple[str, ...]) -> str:
    """A digest of everything a point's answers depend on: the scenario's content digest (its sections,
    the device and model it loaded, the bytes of every file it names, the tinyemu version) and what is
    computed. The same point reached from a file, a dict or a loaded Scenario has one key."""
    text = json.dumps({"scenario": scenario.digest(), "what": list(what)}, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def check_what(what: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The answers asked for, checked against :data:`ANSWERS` (a comma-separated string works too)."""
    from workloads.errors import did_you_mean

    items = [w.strip() for w in what.split(",")] if isinstance(what, str) else list(what)
    if not items:
        raise ScenarioError("--what", "what", what, f"one or more of {', '.join(ANSWERS)}")
    for item in items:
        if item not in ANSWERS:
            raise ScenarioError(
                "--what", "what", item, f"one or more of {', '.join(ANSWERS)}" + did_you_mean(item, ANSWERS)
            )
    return tuple(dict.fromkeys(items))


def build_points(base: SweepBase, grid: list[Point], what: tuple[str, ...]) -> list[SweepPoint]:
    """Every point's scenario, built and validated now; the first bad one raises, naming the point."""
    base_dir = Path(base.base_dir) if base.base_dir is not None else None
    points = []
    for index, point in enumerate(grid):
        data = merge(dict(base.data), overrides(point))
        label = ", ".join(f"{k}={v}" for k, v in point) or "base"
        try:
            # the base's own source: the stages resolve a supply's files beside the scenario file
            scenario = Scenario.from_dict(data, source=base.source, base_dir=base_dir)
            _check_sections(scenario, what)
        except INPUT_ERRORS as exc:
            # the same error type with the point named, so the message says which point of the grid is bad
            where = f"{base.source} (sweep point {index}: {label})"
            field, value, allowed = (getattr(exc, name) for name in ("field", "value", "allowed"))
            raise type(exc)(where, field, value, allowed) from None  # type: ignore[call-arg]
        points.append(SweepPoint(index, point, scenario, content_key(scenario, what)))
    return points


def _check_sections(scenario: Scenario, what: tuple[str, ...]) -> None:
    """Parse the run sections the answers read, so their typos fail before the sweep starts."""
    settings, src = scenario.settings, scenario.source
    if "run" in what or "lifetime" in what:
        SessionSettings.from_section(settings.get("session"), src)
    if "lifetime" in what:
        DeploymentSettings.from_section(settings.get("deployment"), src)
        SupplySettings.from_section(settings.get("supply"), src)
        CheckpointSettings.from_section(settings.get("checkpoint"), src)
