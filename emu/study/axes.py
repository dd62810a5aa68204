"""What a sweep varies: axes over scenario fields, ranges, and seeded samples of numeric fields.

An axis names a scenario field with the dotted key of ``--set`` (``plan.batch_size``, ``session.clock_mhz``)
or a shorthand for a section's name (``device``, ``model``), and lists its values. Axes combine as a
Cartesian product by default, or side by side (``zip``). A :class:`Samples` group draws joint, seeded
points of numeric intervals (a Latin hypercube from SciPy's ``qmc``, or plain uniform draws) and
combines with the other axes as one more axis.

On the command line an axis is ``key=v1,v2,...`` (each value in TOML syntax, or a bare string), a range
``key=a..b:step`` (both ends included), or an interval ``key=a..b`` that only a sample draws from.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from emu.errors import ScenarioError
from emu.scenario.scenario import SECTIONS, TOP_LEVEL_KEYS
from workloads.errors import did_you_mean

SHORTHANDS = {"device": "device.name", "model": "model.name"}
"""Bare axis names that stand for a section's ``name`` key."""

SAMPLERS = ("lhs", "random")


@dataclass(frozen=True)
class Interval:
    """A numeric interval ``[low, high]`` that a :class:`Samples` group draws from.

    Integers are drawn when both ends are whole numbers (``16..64``), floats otherwise (``0.01..0.1``).
    """

    low: float
    high: float

    @property
    def integer(self) -> bool:
        return isinstance(self.low, int) and isinstance(self.high, int)


@dataclass(frozen=True)
class Samples:
    """``count`` seeded joint samples of numeric intervals, one field each.

    Parameters
    ----------
    intervals
        Field key -> :class:`Interval`.
    count
        How many points to draw.
    method
        ``lhs`` (Latin hypercube: each interval cut in ``count`` strata, each stratum drawn once) or
        ``random`` (independent uniform draws).
    seed
        The same seed draws the same points.
    """

    intervals: tuple[tuple[str, Interval], ...]
    count: int
    method: str = "lhs"
    seed: int = 0

    def __post_init__(self) -> None:
        if self.method not in SAMPLERS:
            raise ScenarioError("--sampler", "sampler", self.method, "lhs or random")
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise ScenarioError("--samples", "samples", self.count, "a whole number of points >= 1")
        if not self.intervals:
            raise ScenarioError("--samples", "samples", self.count, "at least one interval axis (key=a..b)")

    def draw(self) -> list[tuple[tuple[str, Any], ...]]:
        """The sample points, in draw order: each a tuple of (key, value)."""
        dims = len(self.intervals)
        if self.method == "lhs":
            from scipy.stats import qmc

            unit = qmc.LatinHypercube(d=dims, seed=self.seed).random(self.count)
        else:
            import numpy as np

            unit = np.random.default_rng(self.seed).random((self.count, dims))
        points = []
        for row in unit:
            values = []
            for (key, interval), u in zip(self.intervals, row, strict=True):
                values.append((key, _scale(interval, float(u))))
            points.append(tuple(values))
        return points


def _scale(interval: Interval, u: float) -> float | int:
    if interval.integer:
        span = int(interval.high) - int(interval.low) + 1
        return int(interval.low) + min(int(u * span), span - 1)
    return float(interval.low + u * (interval.high - interval.low))


def canonical_key(key: str, source: str = "--vary") -> str:
    """The dotted ``section.key`` an axis sets, checked against the scenario's sections and keys."""
    key = key.strip()
    key = SHORTHANDS.get(key, key)
    if key in TOP_LEVEL_KEYS:
        return key
    section, _, field = key.partition(".")
    known = sorted(set(SECTIONS) | set(SHORTHANDS))
    if section not in SECTIONS:
        raise ScenarioError(
            source,
            "axis",
            key,
            f"section.key with a section among {', '.join(SECTIONS)}" + did_you_mean(section, known),
        )
    if field not in SECTIONS[section]:
        raise ScenarioError(
            source,
            "axis",
            key,
            f"a key of [{section}]: {', '.join(SECTIONS[section])}" + did_you_mean(field, SECTIONS[section]),
        )
    return key


def parse_value(text: str) -> Any:
    """One value in TOML syntax (``8``, ``1.5``, ``true``, ``"x"``, ``{a=1}``), or a bare string."""
    try:
        return tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return text.strip()


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets, braces and quotes (an inline table or array stays whole)."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts]


def _number(text: str, spec: str, source: str) -> int | float:
    value = parse_value(text)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(source, "range", spec, "numbers: a..b:step or a..b, for example 16..64:16")
    return value


def parse_range(text: str, source: str = "--vary") -> list[int | float] | Interval:
    """``a..b:step`` -> the values from a to b (both included, when b lands on a step); ``a..b`` -> an
    :class:`Interval` for samples."""
    low_text, _, rest = text.partition("..")
    high_text, colon, step_text = rest.partition(":")
    low, high = _number(low_text, text, source), _number(high_text, text, source)
    if high < low:
        raise ScenarioError(source, "range", text, "a..b with a <= b")
    if not colon:
        return Interval(low, high)
    step = _number(step_text, text, source)
    if step <= 0:
        raise ScenarioError(source, "range", text, "a positive step after the colon")
    count = int(math.floor((high - low) / step + 1e-9)) + 1
    if count > 1_000_000:
        raise ScenarioError(source, "range", text, "at most 1,000,000 values")
    whole = all(isinstance(v, int) for v in (low, high, step))
    # index times step (not a running sum) so that float steps do not drift; 12 digits drop the last-bit noise
    return [low + i * step if whole else round(low + i * step, 12) for i in range(count)]


def parse_axis(text: str, source: str = "--vary") -> tuple[str, list[Any] | Interval]:
    """``key=v1,v2`` / ``key=a..b:step`` / ``key=a..b`` -> (canonical key, values or interval)."""
    if "=" not in text:
        raise ScenarioError(source, "axis", text, "key=v1,v2,... (for example plan.batch_size=1,4,16)")
    key, raw = text.split("=", 1)
    key = canonical_key(key, source)
    raw = raw.strip()
    if ".." in raw and not raw.startswith(("[", "{", '"', "'")):
        return key, parse_range(raw, source)
    values = [parse_value(part) for part in _split_top_level(raw)]
    if any(part == "" for part in _split_top_level(raw)):
        raise ScenarioError(source, key, raw, "a comma-separated list of values, none empty")
    return key, values


Point = tuple[tuple[str, Any], ...]
"""One sweep point: the (key, value) pairs it sets, in axis order."""


def grid(
    axes: Mapping[str, Sequence[Any]],
    zip_axes: bool = False,
    samples: Samples | None = None,
    source: str = "--vary",
) -> list[Point]:
    """Every point of the sweep, in a fixed order (the first axis varies slowest).

    Parameters
    ----------
    axes
        Key -> values. Keys are checked (and shorthands expanded) here.
    zip_axes
        Pair the axes' values index by index instead of taking every combination; all axes then need the
        same number of values.
    samples
        A sample group, combined with the axes as one more axis (its points stay joint).
    """
    keys = [canonical_key(k, source) for k in axes]
    if len(set(keys)) != len(keys):
        twice = next(k for k in keys if keys.count(k) > 1)
        raise ScenarioError(source, "axis", twice, "each key varied by one axis only")
    columns: list[list[Any]] = []
    for key, values in zip(keys, axes.values(), strict=True):
        if isinstance(values, Interval):
            raise ScenarioError(
                source, key, f"{values.low}..{values.high}", "a step (a..b:step), or --samples N"
            )
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or not values:
            raise ScenarioError(source, key, values, "a non-empty list of values")
        columns.append(list(values))
    if samples is not None:
        clash = {k for k, _ in samples.intervals} & set(keys)
        if clash:
            raise ScenarioError(source, "axis", sorted(clash)[0], "either a list of values or an interval")
    if zip_axes and columns:
        lengths = {len(c) for c in columns}
        if len(lengths) > 1:
            raise ScenarioError(
                source, "--zip", sorted(lengths), "axes of one length (zip pairs their values index by index)"
            )
        combos = [tuple(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]
    else:
        combos = [tuple(zip(keys, row, strict=True)) for row in itertools.product(*columns)]
    if samples is None:
        return combos
    drawn = samples.draw()
    return [combo + sample for combo in combos for sample in drawn]


def overrides(point: Point) -> dict[str, Any]:
    """A point as ``Scenario`` overrides: section -> key -> value (top-level keys stay flat)."""
    out: dict[str, Any] = {}
    for key, value in point:
        if key in TOP_LEVEL_KEYS:
            out[key] = value
            continue
        section, field = key.split(".", 1)
        out.setdefault(section, {})[field] = value
    return out
