"""The ``[deployment]`` section of a scenario: what the device does between training sessions, for years.

```toml
[deployment]
horizon = "5y"                  # how long to simulate: "3600s", "12h", "90d", "2w", "5y" (or seconds)
inference_period_s = 60         # an inference every minute
sample_every_inferences = 1     # every inference's input is kept as a training sample (0: never)
max_buffered_samples = 1000     # the sample buffer; samples beyond it are dropped
training_period_h = 24          # a session every 24 h (on the samples buffered so far) ...
train_after_samples = 100       # ... and/or as soon as 100 samples are buffered
train_min_soc = 0.3             # only when the battery or storage is at least 30 % full
session_max_samples = 100       # a session trains on at most this many samples (default: [session] samples)
sleep_state = "system_on_idle"  # between activities (default: the device's first)
inference_clock_mhz = 64        # or inference_operating_point = 0 / "label"
training_clock_mhz = 16         # or training_operating_point; slow and low vs race to sleep
```

A session trains ``[session].epochs`` epochs over the samples it takes from the buffer; its other
settings (sample source, write-back, DMA overlap, library) come from ``[session]``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emu.errors import ScenarioError
from hw_models.cells import YEAR_S

DEPLOYMENT_KEYS = (
    "horizon",
    "inference_period_s",
    "sample_every_inferences",
    "max_buffered_samples",
    "training_period_h",
    "training_offset_h",
    "train_after_samples",
    "train_min_soc",
    "session_max_samples",
    "sleep_state",
    "inference_clock_mhz",
    "inference_operating_point",
    "training_clock_mhz",
    "training_operating_point",
)
"""The keys of the ``[deployment]`` section."""

DEFAULT_HORIZON_S = 10 * YEAR_S
MAX_HORIZON_S = 100 * YEAR_S
UNITS_S = {"s": 1.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0, "y": YEAR_S}
_DURATION = re.compile(r"^\s*(\d{1,15}(?:\.\d{1,15})?|\.\d{1,15})\s*([shdwy])\s*$")


def parse_duration_s(text: Any, source: str = "horizon", field: str = "horizon") -> float:
    """A duration such as ``"5y"``, ``"90d"``, ``"12h"``, ``"3600s"`` (or a number of seconds) in seconds.

    A year is 365.25 days. Raises :class:`ScenarioError` for anything else, or a duration <= 0.
    """
    allowed = "a positive duration such as 3600s, 12h, 90d, 2w or 5y (or a number of seconds)"
    if isinstance(text, bool):
        raise ScenarioError(source, field, text, allowed)
    if isinstance(text, int | float):
        value = float(text)
    else:
        match = _DURATION.match(str(text))
        if not match:
            raise ScenarioError(source, field, text, allowed)
        value = float(match.group(1)) * UNITS_S[match.group(2)]
    if not math.isfinite(value) or value <= 0:
        raise ScenarioError(source, field, text, allowed)
    if value > MAX_HORIZON_S:
        raise ScenarioError(source, field, text, "at most 100y (no cell, capacitor or flash lasts longer)")
    return value


def _number(src: str, key: str, value: Any, *, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScenarioError(src, f"deployment.{key}", value, "a finite number")
    if value < 0 or (positive and value == 0):
        raise ScenarioError(src, f"deployment.{key}", value, "a positive number" if positive else ">= 0")
    return float(value)


def _count(src: str, key: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ScenarioError(src, f"deployment.{key}", value, f"a whole number >= {minimum}")
    return value


def _point(src: str, key: str, value: Any) -> int | str | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | str)):
        raise ScenarioError(src, f"deployment.{key}", value, "an operating point index or label")
    return value


@dataclass(frozen=True)
class DeploymentSettings:
    """The duty cycle of a deployed device, validated.

    Attributes
    ----------
    horizon_s : float
        How long to simulate unless the device dies first.
    inference_period_s : float
        One inference per period, at ``k x inference_period_s``.
    sample_every_inferences : int
        Every n-th inference's input is buffered as a training sample (0: none).
    max_buffered_samples : int
        Buffer capacity; samples arriving at a full buffer are dropped (counted).
    training_period_s : float or None
        A session at the first inference at or after ``training_offset_s + k x training_period_s``,
        k = 1, 2, ... (if samples wait).
    training_offset_s : float
        Shifts the session times (time 0 is local midnight for a clear-sky solar profile: 12 h trains at
        noon, when the sun refills the storage).
    train_after_samples : int or None
        A session as soon as this many samples are buffered.
    train_min_soc : float
        Sessions are skipped while the supply's state of charge is below this fraction.
    session_max_samples : int or None
        At most this many samples per session (None: ``[session].samples``).
    sleep_state : str or None
        The state between activities (None: the device's first).
    inference_clock_hz, training_clock_hz : float or None
        The clock of each phase (None: the operating point, or the device default).
    inference_operating_point, training_operating_point : int or str or None
    """

    horizon_s: float = DEFAULT_HORIZON_S
    inference_period_s: float = 60.0
    sample_every_inferences: int = 1
    max_buffered_samples: int = 1000
    training_period_s: float | None = 86400.0
    training_offset_s: float = 0.0
    train_after_samples: int | None = None
    train_min_soc: float = 0.0
    session_max_samples: int | None = None
    sleep_state: str | None = None
    inference_clock_hz: float | None = None
    inference_operating_point: int | str | None = None
    training_clock_hz: float | None = None
    training_operating_point: int | str | None = None
    source: str = "deployment"

    def __post_init__(self) -> None:
        src = self.source
        _number(src, "horizon", self.horizon_s)
        _number(src, "inference_period_s", self.inference_period_s)
        _count(src, "sample_every_inferences", self.sample_every_inferences, 0)
        _count(src, "max_buffered_samples", self.max_buffered_samples, 1)
        if self.training_period_s is not None:
            _number(src, "training_period_h", self.training_period_s)
        _number(src, "training_offset_h", self.training_offset_s, positive=False)
        if self.train_after_samples is not None:
            _count(src, "train_after_samples", self.train_after_samples, 1)
            if self.train_after_samples > self.max_buffered_samples:
                raise ScenarioError(
                    src,
                    "deployment.train_after_samples",
                    self.train_after_samples,
                    f"at most max_buffered_samples = {self.max_buffered_samples}",
                )
        if not 0 <= _number(src, "train_min_soc", self.train_min_soc, positive=False) <= 1:
            raise ScenarioError(src, "deployment.train_min_soc", self.train_min_soc, "a fraction in [0, 1]")
        if self.session_max_samples is not None:
            _count(src, "session_max_samples", self.session_max_samples, 1)
        if self.sleep_state is not None and not isinstance(self.sleep_state, str):
            raise ScenarioError(src, "deployment.sleep_state", self.sleep_state, "a sleep state name")
        for phase in ("inference", "training"):
            clock = getattr(self, f"{phase}_clock_hz")
            point = _point(src, f"{phase}_operating_point", getattr(self, f"{phase}_operating_point"))
            if clock is not None:
                _number(src, f"{phase}_clock_mhz", clock)
                if point is not None:
                    raise ScenarioError(
                        src, f"deployment.{phase}_operating_point", point, f"not with {phase}_clock_mhz"
                    )

    @property
    def trains(self) -> bool:
        """Some trigger starts sessions, and samples are collected to train on."""
        triggered = self.training_period_s is not None or self.train_after_samples is not None
        return triggered and self.sample_every_inferences > 0

    def session_overrides(self, phase: str) -> dict[str, Any]:
        """The ``[session]`` keys that put a phase at its clock (for a scenario copy)."""
        clock = getattr(self, f"{phase}_clock_hz")
        point = getattr(self, f"{phase}_operating_point")
        if clock is not None:
            return {"clock_mhz": clock / 1e6, "operating_point": None}
        if point is not None:
            return {"operating_point": point, "clock_mhz": None}
        return {}

    @classmethod
    def from_section(
        cls, section: Mapping[str, Any] | None, source: str = "deployment"
    ) -> DeploymentSettings:
        """Parse a scenario's ``[deployment]`` table (keys already checked by the scenario)."""
        values = dict(section or {})
        out: dict[str, Any] = {"source": source}
        if "horizon" in values:
            out["horizon_s"] = parse_duration_s(values.pop("horizon"), source, "deployment.horizon")
        if "training_offset_h" in values:
            out["training_offset_s"] = (
                _number(source, "training_offset_h", values.pop("training_offset_h"), positive=False) * 3600.0
            )
        if "training_period_h" in values:
            hours = values.pop("training_period_h")
            out["training_period_s"] = (
                None if hours in (0, None) else _number(source, "training_period_h", hours) * 3600.0
            )
        elif "train_after_samples" in values:
            out["training_period_s"] = None  # a sample trigger alone replaces the daily default
        for phase in ("inference", "training"):
            mhz = values.pop(f"{phase}_clock_mhz", None)
            if mhz is not None:
                out[f"{phase}_clock_hz"] = _number(source, f"{phase}_clock_mhz", mhz) * 1e6
        out.update(values)
        return cls(**out)
