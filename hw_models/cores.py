"""Core cost tables: cycles per kernel call as cited data, one TOML file per core family.

A table gives, for each kernel library (``optimized``: X-CUBE-AI / CMSIS-NN class kernels; ``reference``:
TensorFlow Lite Micro reference kernels) and each precision (``int8``, ``fp32``, ``softfloat`` for cores
without an FPU), the cost of each kernel class as ``cycles_per_mac x MACs + cycles_per_output x outputs +
cycles_per_call``. Backward actions cost their forward kernel in fp32 times a ratio given in the table.
Every constant carries a citation (``<key>_source`` or its table's ``source``); the fitted ones name the
calibration rows (``python -m emu.fidelity.fitting`` recomputes them).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hw_models.checks import check_choice, check_number, check_text, suggest
from hw_models.errors import SpecError
from hw_models.file_cache import cached_by_file
from hw_models.frozen_mapping import FrozenMapping

__all__ = [
    "BACKWARD_ACTIONS",
    "FORWARD_CLASSES",
    "KERNEL_CLASSES",
    "PRECISIONS",
    "CoreCostTable",
    "KernelCost",
    "core_table_names",
    "load_core_table",
]

_CORES = Path(__file__).parent / "data" / "cores"

FORWARD_CLASSES = ("conv", "depthwise", "pointwise", "dense", "elementwise", "pooling")
"""Kernel classes of the forward pass (int8 tables give only these)."""

KERNEL_CLASSES = (*FORWARD_CLASSES, "loss", "update")
"""Every kernel class; floating-point tables give all of them."""

PRECISIONS = ("int8", "fp32", "softfloat")
BACKWARD_ACTIONS = ("backward_data", "backward_weight")
_COST_KEYS = ("cycles_per_mac", "cycles_per_output", "cycles_per_call")


@dataclass(frozen=True)
class KernelCost:
    """Cycles of one kernel class: ``cycles_per_mac * macs + cycles_per_output * outputs + cycles_per_call``.

    Attributes
    ----------
    source : str
        Where the constants come from (calibration rows and fit, datasheet, or estimate).
    """

    cycles_per_mac: float
    cycles_per_output: float
    cycles_per_call: float
    source: str

    def __post_init__(self) -> None:
        for key in _COST_KEYS:
            check_number("KernelCost", key, getattr(self, key), allow_zero=True)
        check_text("KernelCost", "source", self.source)

    def cycles(self, macs: float, outputs: float, calls: float = 1.0) -> float:
        """Cycles of ``calls`` kernel calls doing ``macs`` MACs and writing ``outputs`` elements."""
        return self.cycles_per_mac * macs + self.cycles_per_output * outputs + self.cycles_per_call * calls

    def scaled(self, ratio: float, source: str) -> KernelCost:
        """This cost times ``ratio`` (every term), citing ``source``."""
        return KernelCost(
            self.cycles_per_mac * ratio, self.cycles_per_output * ratio, self.cycles_per_call * ratio, source
        )


@dataclass(frozen=True)
class CoreCostTable:
    """The cost model of one core family.

    Attributes
    ----------
    family : str
        Core family, as in :data:`hw_models.device.CORE_FAMILIES`.
    libraries : Mapping[str, Mapping[str, Mapping[str, KernelCost]]]
        library -> precision -> kernel class -> cost.
    default_library : str
        The library used when a scenario names none.
    backward_ratios : Mapping[str, float]
        ``backward_data`` / ``backward_weight`` -> cost of the action relative to its fp32 forward kernel.
    dvfs_transition_s : float
        Time to switch operating points (PLL relock, regulator settling).
    copy_cycles_per_byte : float
        Core cycles per byte of a memory copy (when no memory-to-memory DMA exists).
    sources : dict[str, str]
        Dotted field -> citation.
    """

    family: str
    description: str
    libraries: Mapping[str, Mapping[str, Mapping[str, KernelCost]]]
    default_library: str
    backward_ratios: Mapping[str, float]
    dvfs_transition_s: float
    copy_cycles_per_byte: float
    source_path: str = ""
    sources: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        owner = self.source_path or f"CoreCostTable {self.family!r}"
        check_text(owner, "family", self.family)
        if not self.libraries:
            raise SpecError(owner, "libraries", {}, "must define at least one library")
        check_choice(owner, "default_library", self.default_library, self.libraries)
        for name in BACKWARD_ACTIONS:
            check_number(owner, f"backward.{name}_ratio", self.backward_ratios.get(name))
        check_number(owner, "dvfs_transition_s", self.dvfs_transition_s, allow_zero=True)
        check_number(owner, "copy_cycles_per_byte", self.copy_cycles_per_byte)
        for library, precisions in self.libraries.items():
            if not any(p in precisions for p in ("fp32", "softfloat")):
                raise SpecError(owner, f"libraries.{library}", list(precisions), "needs fp32 or softfloat")
            for precision, classes in precisions.items():
                check_choice(owner, f"libraries.{library}", precision, PRECISIONS)
                needed = FORWARD_CLASSES if precision == "int8" else KERNEL_CLASSES
                for kernel_class in needed:
                    if kernel_class not in classes:
                        raise SpecError(
                            owner, f"libraries.{library}.{precision}.{kernel_class}", "<missing>", "required"
                        )

    def library(self, name: str | None) -> str:
        """``name`` checked against the table's libraries (None: the default)."""
        if name is None:
            return self.default_library
        if name not in self.libraries:
            options = sorted(self.libraries)
            raise SpecError(
                self.source_path or self.family,
                "library",
                name,
                f"must be one of {', '.join(options)}{suggest(name, options)}",
            )
        return name

    def float_precision(self, library: str, has_fpu: bool) -> str:
        """The float precision a core runs: ``fp32`` with an FPU (when tabled), else ``softfloat``."""
        tables = self.libraries[library]
        if has_fpu and "fp32" in tables:
            return "fp32"
        return "softfloat" if "softfloat" in tables else "fp32"

    def kernel(self, library: str, precision: str, kernel_class: str) -> KernelCost:
        """The forward cost of ``kernel_class`` in ``precision`` with ``library``."""
        tables = self.libraries[self.library(library)]
        if precision not in tables:
            raise SpecError(
                self.source_path or self.family,
                f"libraries.{library}",
                precision,
                f"no {precision} table; available: {', '.join(sorted(tables))}",
            )
        return tables[precision][kernel_class]


def core_table_names() -> list[str]:
    """Core families with a shipped cost table, sorted."""
    return sorted(p.stem for p in _CORES.glob("*.toml"))


@cached_by_file(lambda family: _CORES / f"{family}.toml")
def load_core_table(family: str) -> CoreCostTable:
    """Load the cost table of core ``family`` (``"cortex-m4f"``).

    Raises
    ------
    SpecError
        No table for the family, invalid TOML, a missing, unknown, negative or unsourced field.
    """
    path = _CORES / f"{family}.toml"
    if not path.is_file():
        names = core_table_names()
        raise SpecError(
            "core tables",
            "core.family",
            family,
            f"no cost table; available: {', '.join(names)}{suggest(family, names)}",
        )
    file = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise SpecError(file, "(file)", "<not TOML>", f"must be valid TOML: {err}") from None
    return _table(data, file)


def _keys(data: Mapping[str, Any], allowed: set[str], file: str, path: str) -> None:
    for key, value in data.items():
        if key not in allowed and not (key.endswith("_source") and key[: -len("_source")] in allowed):
            options = sorted(allowed)
            raise SpecError(file, f"{path}{key}", value, f"unknown key{suggest(key, options)}")


def _cited(data: Mapping[str, Any], key: str, inherited: str | None, file: str, path: str) -> str:
    citation = data.get(f"{key}_source", data.get("source", inherited))
    if not isinstance(citation, str) or not citation.strip():
        raise SpecError(
            file, f"{path}{key}", data.get(key), 'has no source: add a "_source" or a table source'
        )
    return citation


def _number(data: Mapping[str, Any], key: str, file: str, path: str) -> float:
    value = data.get(key)
    if value is None:
        raise SpecError(file, f"{path}{key}", "<missing>", "required")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise SpecError(file, f"{path}{key}", value, "must be a non-negative finite number")
    return float(value)


def _table(data: dict[str, Any], file: str) -> CoreCostTable:
    top = {"family", "description", "default_library", "dvfs_transition_us", "copy_cycles_per_byte"}
    _keys(data, top | {"backward", "libraries"}, file, "")
    sources: dict[str, str] = {}
    for key in ("dvfs_transition_us", "copy_cycles_per_byte"):
        sources[key] = _cited(data, key, None, file, "")
    backward = data.get("backward")
    if not isinstance(backward, dict):
        raise SpecError(file, "backward", backward, "required table")
    _keys(backward, {"backward_data_ratio", "backward_weight_ratio", "source"}, file, "backward.")
    ratios = {}
    for action in BACKWARD_ACTIONS:
        ratios[action] = _number(backward, f"{action}_ratio", file, "backward.")
        sources[f"backward.{action}_ratio"] = _cited(backward, f"{action}_ratio", None, file, "backward.")
    libraries: dict[str, Mapping[str, Mapping[str, KernelCost]]] = {}
    raw_libraries = data.get("libraries")
    if not isinstance(raw_libraries, dict) or not raw_libraries:
        raise SpecError(file, "libraries", raw_libraries, "required: a table of kernel libraries")
    for name, library in raw_libraries.items():
        path = f"libraries.{name}."
        if not isinstance(library, dict):
            raise SpecError(file, path[:-1], library, "must be a table")
        _keys(library, {"description", "source", *PRECISIONS}, file, path)
        precisions = {}
        for precision in PRECISIONS:
            if precision in library:
                precisions[precision] = _precision(library[precision], library.get("source"), file, path)
        libraries[name] = FrozenMapping(precisions)
    for name, value in (("family", data.get("family")), ("default_library", data.get("default_library"))):
        if not isinstance(value, str):
            raise SpecError(file, name, value, "required string")
    if data["family"] != Path(file).stem:
        raise SpecError(file, "family", data["family"], f"must match the file name {Path(file).stem!r}")
    try:
        return CoreCostTable(
            family=data["family"],
            description=str(data.get("description", "")),
            libraries=FrozenMapping(libraries),
            default_library=data["default_library"],
            backward_ratios=FrozenMapping(ratios),
            dvfs_transition_s=_number(data, "dvfs_transition_us", file, "") * 1e-6,
            copy_cycles_per_byte=_number(data, "copy_cycles_per_byte", file, ""),
            source_path=file,
            sources=sources,
        )
    except SpecError as err:
        raise err.located(file) from None


def _precision(raw: Any, inherited: str | None, file: str, path: str) -> Mapping[str, KernelCost]:
    if not isinstance(raw, dict):
        raise SpecError(file, path.rstrip("."), raw, "must be a table of kernel classes")
    _keys(raw, {"source", *KERNEL_CLASSES}, file, path)
    inherited = raw.get("source", inherited)
    classes = {}
    for kernel_class in KERNEL_CLASSES:
        if kernel_class not in raw:
            continue
        entry = raw[kernel_class]
        where = f"{path}{kernel_class}."
        if not isinstance(entry, dict):
            raise SpecError(file, where.rstrip("."), entry, "must be a table of cycles_per_mac/output/call")
        _keys(entry, {*_COST_KEYS, "source"}, file, where)
        source = raw.get(f"{kernel_class}_source", entry.get("source", inherited))
        if not isinstance(source, str) or not source.strip():
            raise SpecError(file, where.rstrip("."), entry, "has no source")
        per_mac, per_output, per_call = (_number(entry, key, file, where) for key in _COST_KEYS)
        classes[kernel_class] = KernelCost(per_mac, per_output, per_call, source=source)
    return FrozenMapping(classes)
