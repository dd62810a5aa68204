"""The effective scenario: every section with every default filled in, as TOML a scenario file can hold.

A scenario file names only what differs from the defaults; what a run then uses is spread over five
settings classes and the device. :func:`effective_toml` writes it all out (``tinyemu ... --show-scenario``):
each parsed section back in its TOML keys and units (``clock_hz`` as ``clock_mhz``, ``training_period_s``
as ``training_period_h``), and a comment for each key left unset saying what the run uses instead. Read
back with :meth:`Scenario.from_toml`, it gives the same settings.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from emu.scenario.deployment import UNITS_S
from emu.scenario.scenario import Scenario
from emu.scenario.supply import DIRECT_MIN_VOLTAGE_V
from emu.scenario.values import to_toml

_TOML_UNITS = {
    "clock_hz": ("clock_mhz", 1e-6),
    "inference_clock_hz": ("inference_clock_mhz", 1e-6),
    "training_clock_hz": ("training_clock_mhz", 1e-6),
    "training_period_s": ("training_period_h", 1 / 3600),
    "training_offset_s": ("training_offset_h", 1 / 3600),
    "horizon_s": ("horizon", 1.0),
}
"""Settings fields kept in SI units that a scenario file writes in other units: (TOML key, factor)."""

_PARSED_SECTIONS = ("session", "train", "deployment", "supply", "checkpoint")


def effective_sections(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """Each parsed section as its TOML table, unset keys as None (in file order)."""
    out: dict[str, dict[str, Any]] = {}
    for section in _PARSED_SECTIONS:
        settings = getattr(scenario, section)
        table: dict[str, Any] = {}
        for f in fields(settings):
            if f.name == "source":
                continue
            value = getattr(settings, f.name)
            key, factor = _TOML_UNITS.get(f.name, (f.name, 1.0))
            if f.name == "horizon_s":
                value = _duration_text(value)
            elif isinstance(value, float) and factor != 1.0:
                value = value * factor
            table[key] = value
        out[section] = table
    return out


def _duration_text(seconds: float) -> str | float:
    """``"10y"``, ``"90d"``... when a unit of ``[deployment].horizon`` gives ``seconds`` exactly."""
    for unit, size_s in sorted(UNITS_S.items(), key=lambda item: -item[1]):
        count = f"{seconds / size_s:.6g}"
        if "e" not in count and float(count) * size_s == seconds:
            return f"{count}{unit}"
    return seconds


_UNSET = {
    "train_after_samples": "no sample-count trigger",
    "regulator": "the chip runs straight from the supply",
    "buffer": "no buffer capacitor",
    "panel": "no harvesting",
    "latitude_deg": "no clear-sky light",
    "irradiance_csv": "no measured light",
    "office_light_w_per_m2": "no office light",
    "max_voltage_v": "the capacitor's rated voltage",
    "min_voltage_v": f"the regulator's minimum input, or {DIRECT_MIN_VOLTAGE_V:g} V without one",
    "samples": "every sample of the dataset",
    "weights": "the model's own initial weights",
    "weights_out": "the trained weights are not saved",
    "library": "the core table's default kernel library",
}
"""What a run uses for an unset key that does not depend on the device."""


def _unset_meaning(scenario: Scenario, section: str, key: str, table: dict[str, Any]) -> str:
    device = scenario.device
    if key == "sleep_state":
        return (
            f"the device's first sleep state, {device.sleep_states[0].name!r}" if device.sleep_states else ""
        )
    if key.endswith("operating_point") and table.get(key.replace("operating_point", "clock_mhz")) is not None:
        return f"{key.replace('operating_point', 'clock_mhz')} sets the clock"
    if section == "deployment" and (key.endswith("clock_mhz") or key.endswith("operating_point")):
        return "the [session] clock"
    if key.endswith("clock_mhz") or key.endswith("operating_point"):
        point = device.max_operating_point
        return f"the device's default operating point, {point.clock_hz / 1e6:g} MHz ({point.label})"
    if key == "session_max_samples":
        return f"[session].samples = {scenario.session.samples}"
    return _UNSET.get(key, "not used")


def effective_toml(scenario: Scenario) -> str:
    """TOML text of ``scenario`` with every default filled in; unset keys are comments saying what applies."""
    document = scenario.to_dict()
    for section, table in effective_sections(scenario).items():
        document[section] = {k: v for k, v in table.items() if v is not None}
    text = to_toml(document)
    for section, table in effective_sections(scenario).items():
        unset = [k for k, v in table.items() if v is None]
        if not unset:
            continue
        notes = "".join(
            f"# {k}: unset, so {_unset_meaning(scenario, section, k.split(' / ')[-1], table)}\n"
            for k in _paired(unset)
        )
        head = f"[{section}]\n"
        start = text.index(head) + len(head)
        text = text[:start] + notes + text[start:]
    return text


def _paired(unset: list[str]) -> list[str]:
    """Unset keys, a clock and its operating point (exclusive alternatives) as one ``a / b`` entry."""
    out: list[str] = []
    for key in unset:
        if key.endswith("operating_point"):
            clock = key.replace("operating_point", "clock_mhz")
            if clock in unset:
                out[out.index(clock)] = f"{clock} / {key}"
                continue
        out.append(key)
    return out
