"""The one check of every number a scenario brings, from its file, a flag or ``--set``, before any is used.

A scenario is a tree of TOML values; the section dataclasses each check their own keys, but a number can
reach arithmetic (``int(round(nan))``, a list of ``1e9`` slots) before they run. So the whole tree is
checked here once, when the scenario is built: no float anywhere is NaN or infinite, nothing is nested
deeper than a scenario can be, and every numeric key listed in :data:`NUMERIC_FIELDS` is a number (not a
boolean: ``latitude_deg = true`` is not a latitude), a whole number where a count is meant, and inside the
range physics or a sane allocation gives it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from emu.errors import ScenarioError

__all__ = ["MAX_DEPTH", "NUMERIC_FIELDS", "NumberRange", "check_field", "check_scenario_values"]

MAX_DEPTH = 6
"""Tables and arrays nested deeper than this (``plan.sparse_weights`` is 2 deep) are not a scenario."""

_BIG_COUNT = 1_000_000_000
"""A bound for counts of samples and steps: beyond it a run could not finish, nor its buffers fit."""

_CENTURY_S = 100 * 365.25 * 86400.0


@dataclass(frozen=True)
class NumberRange:
    """What a numeric scenario field accepts.

    Parameters
    ----------
    low, high : float
        The bounds, closed unless ``low_open`` / ``high_open``.
    integer : bool
        Only whole numbers (a TOML integer; ``2.0`` is refused too, as a count is written without a point).
    text : bool
        A string is accepted as well (an operating point's label); the section checks it.
    unit : str
        Shown after the range in the message.
    """

    low: float
    high: float
    integer: bool = False
    low_open: bool = False
    high_open: bool = False
    text: bool = False
    unit: str = ""

    def allowed(self) -> str:
        """The range in words, finishing ``"<field> = <value>: ..."``."""
        kind = "a whole number" if self.integer else "a finite number"
        left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
        unit = f" {self.unit}" if self.unit else ""
        label = " (or a label)" if self.text else ""
        low, high = (f"{int(b):,}" if self.integer else f"{b:g}" for b in (self.low, self.high))
        return f"{kind} in {left}{low}, {high}{right}{unit}{label}"

    def admits(self, value: Any) -> bool:
        """Whether ``value`` is in range and of the right kind (strings are the section's business)."""
        if isinstance(value, str) and self.text:
            return True
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.integer and not isinstance(value, int):
            return False
        if not math.isfinite(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below


def _count(low: int, high: int = _BIG_COUNT, *, text: bool = False) -> NumberRange:
    return NumberRange(low, high, integer=True, text=text)


def _positive(high: float, unit: str = "") -> NumberRange:
    return NumberRange(0, high, low_open=True, unit=unit)


_FRACTION = NumberRange(0, 1)
_FRACTION_OPEN_LOW = NumberRange(0, 1, low_open=True)
_CLOCK_MHZ = _positive(10_000, "MHz")  # no microcontroller core runs at 10 GHz
_VOLTS = _positive(100, "V")  # beyond any cell, capacitor or regulator a sensor node carries

NUMERIC_FIELDS: dict[str, NumberRange] = {
    # memory: at most 1 TiB (in KiB), far beyond any microcontroller
    "memory.reserved_sram_kib": NumberRange(0, 2**30, unit="KiB"),
    "memory.firmware_flash_kib": NumberRange(0, 2**30, unit="KiB"),
    # plan: the optimizer's hyper-parameters (an update needs a positive, finite step; momentum < 1
    # keeps the velocity a convergent sum)
    "plan.learning_rate": _positive(1000),
    "plan.momentum": NumberRange(0, 1, high_open=True),
    "plan.batch_size": _count(1, 1_000_000),
    "plan.sparse_bias_layers": _count(0, 1_000_000),
    # session
    "session.samples": _count(1),
    "session.epochs": _count(1, 1_000_000),
    "session.clock_mhz": _CLOCK_MHZ,
    # (operating points are an index or a label: checked against the device, which lists its points)
    "session.sleep_s": NumberRange(0, _CENTURY_S, unit="s"),
    # train
    "train.epochs": _count(1, 1_000_000),
    "train.pretrain_epochs": _count(0, 1_000_000),
    "train.seed": _count(0, 2**32 - 1),
    "train.samples": _count(1),
    # deployment
    "deployment.inference_period_s": _positive(_CENTURY_S, "s"),
    "deployment.sample_every_inferences": _count(0),
    "deployment.max_buffered_samples": _count(1, 10_000_000),
    "deployment.training_period_h": NumberRange(0, 100 * 365.25 * 24, unit="h (0: no period)"),
    "deployment.training_offset_h": NumberRange(0, 100 * 365.25 * 24, unit="h"),
    "deployment.train_after_samples": _count(1, 10_000_000),
    "deployment.train_min_soc": _FRACTION,
    "deployment.session_max_samples": _count(1),
    "deployment.inference_clock_mhz": _CLOCK_MHZ,
    "deployment.training_clock_mhz": _CLOCK_MHZ,
    # supply
    "supply.latitude_deg": NumberRange(-90, 90, unit="degrees"),
    "supply.cloud_cover": _FRACTION,
    "supply.start_day_of_year": _count(1, 365),
    # full sun at sea level is about 1000 W/m^2; 2000 leaves room for a concentrator, no more
    "supply.office_light_w_per_m2": NumberRange(0, 2000, unit="W/m^2"),
    "supply.charge_efficiency": _FRACTION_OPEN_LOW,
    "supply.max_voltage_v": _VOLTS,
    "supply.min_voltage_v": _VOLTS,
    "supply.initial_soc": _FRACTION,
    "supply.restart_soc": _FRACTION_OPEN_LOW,
    # checkpoint: each slot is a list of sectors in the flash layout; thousands already wear-level a
    # flash far beyond its endurance
    "checkpoint.every_steps": _count(0),
    "checkpoint.slots": _count(1, 4096),
}
"""Every numeric key of a scenario's sections and the values it accepts."""


def check_scenario_values(data: dict[str, Any], source: str) -> None:
    """Refuse non-finite floats, deep nesting and out-of-range numbers anywhere in a scenario.

    Raises
    ------
    ScenarioError
        Naming the source, the dotted field, the value and what is allowed.
    """
    for dotted in NUMERIC_FIELDS:
        section, key = dotted.split(".")
        table = data.get(section)
        if isinstance(table, dict) and table.get(key) is not None:
            check_field(source, dotted, table[key])
    _walk(data, "", 0, source)  # the rest: the keys above first, for their ranges in the message


def check_field(source: str, dotted: str, value: Any) -> None:
    """Check one value of :data:`NUMERIC_FIELDS` (for values that arrive outside a scenario's tables,
    such as the keyword arguments of :func:`emu.train`)."""
    limits = NUMERIC_FIELDS[dotted]
    if not limits.admits(value):
        raise ScenarioError(source, dotted, value, limits.allowed())


def _walk(value: Any, path: str, depth: int, source: str) -> None:
    if depth > MAX_DEPTH:
        raise ScenarioError(
            source, path, "<nested table>", f"at most {MAX_DEPTH} levels of tables and arrays"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ScenarioError(source, path, value, "a finite number")
    if isinstance(value, dict):
        for key, inner in value.items():
            _walk(inner, f"{path}.{key}" if path else str(key), depth + 1, source)
    elif isinstance(value, list | tuple):
        for i, inner in enumerate(value):
            _walk(inner, f"{path}[{i}]", depth + 1, source)
