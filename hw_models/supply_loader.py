"""Loaders for the supply parts: regulators, solar panels and capacitors, from cited TOML files.

Same rules as :mod:`hw_models.loader` (which resolves names and parses files for both): readable
prefixed keys converted to SI, a citation for every value, and :class:`SpecError` naming the file,
the field, the value and what is allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from hw_models.capacitor import Capacitor
from hw_models.errors import SpecError
from hw_models.loader import _parse, _resolve
from hw_models.panel import SolarPanel
from hw_models.regulator import Regulator
from hw_models.toml_table import TomlTable

__all__ = [
    "capacitor_names",
    "load_capacitor",
    "load_panel",
    "load_regulator",
    "panel_names",
    "regulator_names",
]

_DATA = Path(__file__).parent / "data"
_REGULATORS = _DATA / "regulators"
_PANELS = _DATA / "panels"
_CAPACITORS = _DATA / "capacitors"

_Part = TypeVar("_Part", Regulator, SolarPanel, Capacitor)


def _names(folder: Path) -> list[str]:
    return sorted((p.stem for p in folder.glob("*.toml")), key=str.lower)


def regulator_names() -> list[str]:
    """Names of the shipped regulator presets."""
    return _names(_REGULATORS)


def panel_names() -> list[str]:
    """Names of the shipped solar panel presets."""
    return _names(_PANELS)


def capacitor_names() -> list[str]:
    """Names of the shipped capacitor presets (buffers and supercapacitors)."""
    return _names(_CAPACITORS)


def _open(name_or_path: str | Path, folder: Path, what: str) -> tuple[TomlTable, str, bool]:
    path, preset = _resolve(name_or_path, folder, what)
    return TomlTable(_parse(path), file=str(path), sources={}), str(path), preset


def _finish(root: TomlTable, file: str, cls: type[_Part], preset: bool, **fields: Any) -> _Part:
    # The fields are checked by the part's own __post_init__, which names the bad one.
    root.finish()
    if preset and fields["name"] != Path(file).stem:
        raise SpecError(
            file, "name", fields["name"], f"a preset's name must match its file name {Path(file).stem!r}"
        )
    try:
        return cls(**fields, source=root.source or "", source_path=file, sources=root.sources)
    except SpecError as err:
        raise err.located(file) from None


def load_regulator(name_or_path: str | Path) -> Regulator:
    """Load a regulator preset (``"TPS62840"``, case-insensitive) or a user's TOML file.

    Raises
    ------
    SpecError
        Unknown preset, invalid TOML, or an invalid, missing, unknown or unsourced field.
    """
    t, file, preset = _open(name_or_path, _REGULATORS, "regulator")
    fields: dict[str, object] = {"name": t.text("name", cited=False), "kind": t.text("kind", cited=False)}
    for base in (
        "output_voltage",
        "min_output_voltage",
        "max_output_voltage",
        "min_input_voltage",
        "max_input_voltage",
    ):
        fields[f"{base}_v"] = _value(t.quantity(base, "voltage"))
    fields["dropout_voltage_v"] = _value(t.quantity("dropout_voltage", "voltage", allow_zero=True))
    fields["quiescent_current_a"] = _value(t.quantity("quiescent_current", "current", allow_zero=True))
    fields["max_output_current_a"] = _value(t.quantity("max_output_current", "current"))
    loads = t.array("efficiency_load_current", "current", required=False)
    effs = t.array("efficiency", "fraction", required=False, si_name="efficiency")
    fields["efficiency_load_current_a"] = loads[0] if loads else ()
    fields["efficiency"] = effs[0] if effs else ()
    return _finish(t, file, Regulator, preset, **fields)


def load_panel(name_or_path: str | Path) -> SolarPanel:
    """Load a solar panel preset (``"AM-1815"``) or a user's TOML file.

    Raises
    ------
    SpecError
        As for :func:`load_regulator`.
    """
    t, file, preset = _open(name_or_path, _PANELS, "panel")
    fields = {
        "name": t.text("name", cited=False),
        "setting": t.text("setting", cited=False),
        "area_m2": _value(t.quantity("area", "area")),
        "efficiency": _value(t.quantity("efficiency", "fraction", si_name="efficiency")),
    }
    return _finish(t, file, SolarPanel, preset, **fields)


def load_capacitor(name_or_path: str | Path) -> Capacitor:
    """Load a capacitor preset (``"PB-5R0V474"``, ``"MLCC-100uF"``) or a user's TOML file.

    Raises
    ------
    SpecError
        As for :func:`load_regulator`.
    """
    t, file, preset = _open(name_or_path, _CAPACITORS, "capacitor")
    fields = {
        "name": t.text("name", cited=False),
        "capacitance_f": _value(t.quantity("capacitance", "capacitance")),
        "rated_voltage_v": _value(t.quantity("rated_voltage", "voltage")),
        "esr_ohm": _value(t.quantity("esr", "resistance", allow_zero=True)),
        "leakage_current_a": _value(t.quantity("leakage_current", "current", allow_zero=True)),
    }
    return _finish(t, file, Capacitor, preset, **fields)


def _value(read: tuple[float, str] | None) -> float | None:
    # A missing required value reads as None until TomlTable.finish() reports it.
    return None if read is None else read[0]
