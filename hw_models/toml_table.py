"""A checked view of one TOML table: typed reads, unit conversion, sources, unknown-key detection.

Each read names what it accepts, so :meth:`TomlTable.finish` can reject every other key with a
"did you mean" suggestion. Each read of a sourced value records its citation under the SI field path.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Literal, TypeVar, overload

from hw_models.checks import suggest
from hw_models.errors import MISSING, SpecError
from hw_models.units import MAX_SI, SI_SUFFIX, keys_for

__all__ = ["TomlTable", "given"]

_SOURCE = "source"

MAX_COUNT = 2**53
"""Counts beyond this are not exact as floats, and no count of a data file comes near it."""

_T = TypeVar("_T")


def given(value: _T | None) -> _T:
    """A required read's value, once :meth:`TomlTable.finish` has run.

    A required field that is missing reads as None and ``finish()`` raises its :class:`SpecError`,
    so after ``finish()`` a required read is never None; this says so to the type checker.

    Raises
    ------
    RuntimeError
        If ``value`` is None: a required read used before ``finish()``, a bug in the loader.
    """
    if value is None:
        raise RuntimeError("a required field was used before TomlTable.finish() reported it missing")
    return value


class TomlTable:
    """One table of a data file.

    Parameters
    ----------
    data : dict
        The parsed table.
    file : str
        The data file, for error messages.
    path : str
        Dotted path of this table in the file (``""`` at the top).
    si_prefix : str
        Prefix of the SI field paths recorded in ``sources`` (``"flash."``).
    sources : dict[str, str]
        Receives ``SI field path -> citation`` for every sourced value read.
    inherited_source : str or None
        The enclosing table's ``source``, used when neither this table nor the key has one.
    """

    def __init__(
        self,
        data: dict[str, Any],
        *,
        file: str,
        path: str = "",
        si_prefix: str = "",
        sources: dict[str, str],
        inherited_source: str | None = None,
    ) -> None:
        self.data = data
        self.file = file
        self.path = path
        self.si_prefix = si_prefix
        self.sources = sources
        self.allowed: set[str] = {_SOURCE}
        self.missing: list[SpecError] = []
        own = data.get(_SOURCE)
        if own is not None and (not isinstance(own, str) or not own.strip()):
            raise self.error(_SOURCE, own, "must be a non-empty citation string")
        self.source: str | None = own if own is not None else inherited_source

    def dotted(self, key: str) -> str:
        """The dotted path of ``key`` in the file."""
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str, value: Any, allowed: str) -> SpecError:
        """A :class:`SpecError` for ``key`` of this table."""
        return SpecError(self.file, self.dotted(key), value, allowed)

    def _given_key(self, keys: Iterable[str], required: bool) -> str | None:
        """The one of ``keys`` (unit variants of a field) the table gives; None if none and not required."""
        keys = list(keys)
        self._accept(*keys)
        given = [k for k in keys if k in self.data]
        if len(given) > 1:
            raise self.error(given[1], self.data[given[1]], f"give only one of {', '.join(given)}")
        if not given and required:
            self._missing(keys)
        return given[0] if given else None

    def _accept(self, *keys: str) -> None:
        for key in keys:
            self.allowed.update((key, f"{key}_source"))

    def _missing(self, accepted: list[str]) -> None:
        # Reported by finish(), after unknown keys: a typo of a required key reads better as the typo.
        self.missing.append(self.error(accepted[0], MISSING, f"required (as {' or '.join(accepted)})"))

    def _cite(self, key: str, si_name: str) -> None:
        own = self.data.get(f"{key}_source")
        if own is not None and (not isinstance(own, str) or not own.strip()):
            raise self.error(f"{key}_source", own, "must be a non-empty citation string")
        citation = own if own is not None else self.source
        if citation is None:
            raise self.error(
                key, self.data[key], f'has no source: add {key}_source = "..." or a table-level source'
            )
        self.sources[self.si_prefix + si_name] = citation

    @overload
    def quantity(
        self,
        base: str,
        kinds: str | tuple[str, ...],
        *,
        required: bool = True,
        allow_zero: bool = False,
        integer: Literal[True],
        si_name: str | None = None,
    ) -> tuple[int, str] | None: ...

    @overload
    def quantity(
        self,
        base: str,
        kinds: str | tuple[str, ...],
        *,
        required: bool = True,
        allow_zero: bool = False,
        integer: Literal[False] = False,
        si_name: str | None = None,
    ) -> tuple[float, str] | None: ...

    def quantity(
        self,
        base: str,
        kinds: str | tuple[str, ...],
        *,
        required: bool = True,
        allow_zero: bool = False,
        integer: bool = False,
        si_name: str | None = None,
    ) -> tuple[float, str] | None:
        """Read ``<base>_<unit>`` for any unit of ``kinds`` and convert it to SI.

        Returns
        -------
        tuple[float, str] or None
            The SI value (an ``int`` with ``integer``) and the kind it was given in; None if absent
            and not ``required``.
        """
        kinds = (kinds,) if isinstance(kinds, str) else kinds
        factors: dict[str, tuple[float, str]] = {}
        for kind in kinds:
            factors.update({k: (f, kind) for k, f in keys_for(base, kind).items()})
        key = self._given_key(factors, required)
        if key is None:
            return None
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.error(key, value, "must be a finite number")
        if value < 0 or (value == 0 and not allow_zero):
            raise self.error(key, value, f"must be a {'non-negative' if allow_zero else 'positive'} number")
        factor, kind = factors[key]
        si: float = value * factor
        if si > MAX_SI[kind]:
            limit = MAX_SI[kind] / factor
            raise self.error(key, value, f"must be at most {limit:g} (larger is not a part of a sensor node)")
        if integer:
            if abs(si - round(si)) > 1e-9 * max(1.0, abs(si)):
                raise self.error(key, value, f"must be a whole number of {SI_SUFFIX[kind]}")
            si = round(si)
        self._cite(key, si_name or f"{base}_{SI_SUFFIX[kind]}")
        return si, kind

    def _plain(
        self, key: str, required: bool, cited: bool, si_name: str | None, types: tuple[type, ...]
    ) -> Any:
        self._accept(key)
        if key not in self.data:
            if required:
                self._missing([key])
            return None
        value = self.data[key]
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            raise self.error(key, value, f"must be {_type_words(types)}")
        if cited:
            self._cite(key, si_name or key)
        return value

    def text(
        self, key: str, *, required: bool = True, cited: bool = True, si_name: str | None = None
    ) -> str | None:
        """Read a non-empty string."""
        value = self._plain(key, required, cited, si_name, (str,))
        if value is not None and not value.strip():
            raise self.error(key, value, "must be a non-empty string")
        return value

    def flag(self, key: str, *, required: bool = True, si_name: str | None = None) -> bool | None:
        """Read a boolean."""
        return self._plain(key, required, True, si_name, (bool,))

    def count(
        self,
        key: str,
        *,
        required: bool = True,
        minimum: int = 1,
        maximum: int = MAX_COUNT,
        si_name: str | None = None,
    ) -> int | None:
        """Read an integer in ``[minimum, maximum]`` (a dimensionless count such as ``cores``)."""
        value = self._plain(key, required, True, si_name, (int,))
        if value is not None and not minimum <= value <= maximum:
            raise self.error(key, value, f"must be an integer in [{minimum}, {maximum:,}]")
        return value

    def number(self, key: str, *, required: bool = True, si_name: str | None = None) -> float | None:
        """Read a positive, finite, dimensionless number (an exponent, a fraction)."""
        value = self._plain(key, required, True, si_name, (int, float))
        if value is not None and (not math.isfinite(value) or value <= 0):
            raise self.error(key, value, "must be a positive finite number")
        return None if value is None else float(value)

    def array(
        self, base: str, kind: str | None = None, *, required: bool = True, si_name: str | None = None
    ) -> tuple[tuple[float, ...], str] | None:
        """Read a non-empty array of non-negative finite numbers, ``<base>_<unit>`` converted to SI.

        With ``kind=None`` the key is ``base`` itself (dimensionless values). Returns the SI values and
        the SI key name, or None if absent and not ``required``.
        """
        factors = {base: 1.0} if kind is None else keys_for(base, kind)
        key = self._given_key(factors, required)
        if key is None:
            return None
        values = self.data[key]
        ok = isinstance(values, list) and len(values) > 0
        ok = ok and all(
            not isinstance(v, bool) and isinstance(v, int | float) and math.isfinite(v) and v >= 0
            for v in values
        )
        if not ok:
            raise self.error(key, values, "must be a non-empty array of non-negative finite numbers")
        name = si_name or (base if kind is None else f"{base}_{SI_SUFFIX[kind]}")
        self._cite(key, name)
        return tuple(float(v) * factors[key] for v in values), name

    @overload
    def table(self, key: str, *, required: Literal[True] = True, si_prefix: str = "") -> TomlTable: ...

    @overload
    def table(self, key: str, *, required: bool, si_prefix: str = "") -> TomlTable | None: ...

    def table(self, key: str, *, required: bool = True, si_prefix: str = "") -> TomlTable | None:
        """Read a sub-table; it inherits ``<key>_source`` or else this table's source.

        A missing required table raises at once (its keys could not be read), so only
        ``required=False`` can return None.
        """
        self._accept(key)
        if key not in self.data:
            if required:
                raise self._missing_table(key, "table")
            return None
        value = self.data[key]
        if not isinstance(value, dict):
            raise self.error(key, value, "must be a table")
        return self._child(value, key, si_prefix)

    def tables(self, key: str, *, required: bool = True, si_prefix: str = "") -> list[TomlTable]:
        """Read an array of tables (``[[key]]`` or a list of inline tables).

        ``si_prefix`` may contain ``{i}`` for the element index. Elements inherit ``<key>_source``
        or else this table's source.
        """
        self._accept(key)
        if key not in self.data:
            if required:
                raise self._missing_table(key, "array of tables")
            return []
        value = self.data[key]
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            raise self.error(key, value, "must be a non-empty array of tables")
        return [self._child(v, f"{key}[{i}]", si_prefix.format(i=i)) for i, v in enumerate(value)]

    def _missing_table(self, key: str, what: str) -> SpecError:
        for other in self.data:
            if other not in self.allowed and suggest(other, [key]):
                return self.error(other, self.data[other], f"unknown key{suggest(other, [key])}")
        return self.error(key, MISSING, f"required {what}")

    def _child(self, data: dict[str, Any], key: str, si_prefix: str) -> TomlTable:
        own = self.data.get(f"{key.split('[')[0]}_source")
        if own is not None and (not isinstance(own, str) or not own.strip()):
            raise self.error(f"{key.split('[')[0]}_source", own, "must be a non-empty citation string")
        return TomlTable(
            data,
            file=self.file,
            path=self.dotted(key),
            si_prefix=si_prefix,
            sources=self.sources,
            inherited_source=own if own is not None else self.source,
        )

    def finish(self) -> None:
        """Reject unknown keys, citations of absent keys, then missing required fields.

        Call it after all reads and before using their results: a missing field reads as None.
        """
        for key, value in self.data.items():
            if key not in self.allowed:
                raise self.error(key, value, f"unknown key{suggest(key, self.allowed)}{self._listing()}")
            if key.endswith("_source") and key.removesuffix("_source") not in self.data:
                raise self.error(key, value, f"cites {key.removesuffix('_source')!r}, which is not given")
        if self.missing:
            raise self.missing[0]

    def _listing(self) -> str:
        keys = sorted(k for k in self.allowed if not k.endswith("_source") and k != _SOURCE)
        return f" (allowed here: {', '.join(keys)})"


def _type_words(types: tuple[type, ...]) -> str:
    words = {str: "a string", bool: "true or false", int: "an integer"}
    return " or ".join(words.get(t, t.__name__) for t in types)
