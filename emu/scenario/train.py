"""The ``[train]`` section of a scenario: how a functional training run goes (dataset, epochs, seed, ...)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emu.errors import ScenarioError
from emu.scenario.fields import check_field

if TYPE_CHECKING:
    from emu.scenario.scenario import Scenario

TRAIN_KEYS = ("dataset", "epochs", "seed", "pretrain_epochs", "samples", "weights", "weights_out", "shift")


@dataclass(frozen=True)
class TrainSettings:
    """The ``[train]`` section: dataset, epochs, seed, pretraining, samples, weights in and out, shift."""

    dataset: str = "digits"
    epochs: int = 3
    seed: int = 0
    pretrain_epochs: int = 10
    samples: int | None = None
    weights: str | None = None
    weights_out: str | None = None
    shift: str = "shift"
    source: str = field(default="train", compare=False)

    def __post_init__(self) -> None:
        for key in ("epochs", "seed", "pretrain_epochs"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ScenarioError(self.source, f"train.{key}", value, "a non-negative integer")
        if self.epochs < 1:
            raise ScenarioError(self.source, "train.epochs", self.epochs, "a positive integer")
        if self.samples is not None and (
            isinstance(self.samples, bool) or not isinstance(self.samples, int) or self.samples < 1
        ):
            raise ScenarioError(
                self.source, "train.samples", self.samples, "a positive integer (or unset: all)"
            )
        for key in ("epochs", "pretrain_epochs", "seed", "samples"):  # the ranges a scenario file gets
            if getattr(self, key) is not None:
                check_field(self.source, f"train.{key}", getattr(self, key))
        for key in ("dataset", "weights", "weights_out", "shift"):
            value = getattr(self, key)
            if value is not None and not isinstance(value, str):
                raise ScenarioError(self.source, f"train.{key}", value, "a string")

    @classmethod
    def from_section(cls, section: Mapping[str, Any] | None, source: str = "train") -> TrainSettings:
        """Parse a scenario's ``[train]`` table (keys already checked by the scenario).

        The default ``shift`` is ``"shift"`` for the digits and ``"none"`` for any other dataset.
        """
        values = dict(section or {})
        if "shift" not in values and values.get("dataset", "digits") != "digits":
            values["shift"] = "none"
        return cls(**values, source=source)

    @classmethod
    def from_scenario(cls, scenario: Scenario, **overrides: Any) -> TrainSettings:
        """The scenario's ``[train]`` section with the non-None ``overrides`` applied."""
        values = dict(scenario.settings.get("train", {}))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_section(values, scenario.source)
