"""Unit suffixes that data files may put in key names, and their factors to SI.

This is the one place where prefixed units (``sram_kib``, ``run_current_ua_per_mhz``) become SI
(``sram_bytes``, ``run_current_a_per_hz``). A quantity key is ``<base>_<suffix>``; the loader accepts
exactly the suffixes listed for the quantity's kind, so ``sram_kb`` is an unknown key, not a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["KINDS", "MAX_SI", "SI_SUFFIX", "keys_for"]

_MEBI = 1024 * 1024

KINDS: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "size": MappingProxyType({"bytes": 1, "kib": 1024, "mib": _MEBI}),
        "frequency": MappingProxyType({"hz": 1.0, "khz": 1e3, "mhz": 1e6}),
        "current": MappingProxyType({"a": 1.0, "ma": 1e-3, "ua": 1e-6, "na": 1e-9}),
        # uA per MHz is a current per frequency: 1e-6 A / 1e6 Hz.
        "current_per_frequency": MappingProxyType({"a_per_hz": 1.0, "ua_per_mhz": 1e-12}),
        "time": MappingProxyType({"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}),
        "voltage": MappingProxyType({"v": 1.0, "mv": 1e-3}),
        "throughput": MappingProxyType(
            {"bytes_per_s": 1.0, "kib_per_s": 1024.0, "mib_per_s": float(_MEBI), "mb_per_s": 1e6}
        ),
        "energy_per_byte": MappingProxyType({"j_per_byte": 1.0, "pj_per_byte": 1e-12}),
        # 1 mAh = 1e-3 A x 3600 s = 3.6 C.
        "charge": MappingProxyType({"c": 1.0, "mah": 3.6, "ah": 3600.0}),
        "fraction_per_year": MappingProxyType({"per_year": 1.0, "pct_per_year": 0.01}),
        "resistance": MappingProxyType({"ohm": 1.0, "mohm": 1e-3, "kohm": 1e3}),
        "capacitance": MappingProxyType({"f": 1.0, "mf": 1e-3, "uf": 1e-6}),
        "area": MappingProxyType({"m2": 1.0, "cm2": 1e-4, "mm2": 1e-6}),
        "fraction": MappingProxyType({"fraction": 1.0, "pct": 0.01}),
        "rate": MappingProxyType({"per_s": 1.0, "per_min": 1.0 / 60.0, "per_h": 1.0 / 3600.0}),
    }
)

SI_SUFFIX: Mapping[str, str] = MappingProxyType(
    {
        "size": "bytes",
        "frequency": "hz",
        "current": "a",
        "current_per_frequency": "a_per_hz",
        "time": "s",
        "voltage": "v",
        "throughput": "bytes_per_s",
        "energy_per_byte": "j_per_byte",
        "charge": "c",
        "fraction_per_year": "per_year",
        "resistance": "ohm",
        "capacitance": "f",
        "area": "m2",
        "fraction": "fraction",
        "rate": "per_s",
    }
)

MAX_SI: Mapping[str, float] = MappingProxyType(
    {
        # Bounds per kind, in SI, far beyond any part a sensor node carries: a value past one is a typo
        # or an attack, and it would make the emulator allocate or loop without end (1e10 sectors).
        "size": float(2**40),  # 1 TiB
        "frequency": 1e10,  # 10 GHz
        "current": 100.0,
        "current_per_frequency": 1e-6,  # 1 A per MHz
        "time": 1e6,  # 11.6 days for one erase, wake-up or program step
        "voltage": 1000.0,
        "throughput": 1e12,
        "energy_per_byte": 1e-3,
        "charge": 1e7,  # 2,778 Ah
        "fraction_per_year": 100.0,
        "resistance": 1e9,
        "capacitance": 1e4,  # the largest supercapacitor cells are about 3,000 F
        "area": 100.0,
        "fraction": 1.0,
        "rate": 1e6,
    }
)
"""The largest SI value the loader accepts for each kind of quantity."""


def keys_for(base: str, kind: str) -> dict[str, float]:
    """Map every accepted key for quantity ``base`` of ``kind`` to its factor to SI.

    Parameters
    ----------
    base : str
        The key without its unit, e.g. ``"sram"``.
    kind : str
        One of :data:`KINDS`, e.g. ``"size"``.

    Returns
    -------
    dict[str, float]
        ``{"sram_bytes": 1, "sram_kib": 1024, "sram_mib": 1048576}`` for ``("sram", "size")``.
    """
    return {f"{base}_{suffix}": factor for suffix, factor in KINDS[kind].items()}
