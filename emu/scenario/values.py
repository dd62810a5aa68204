"""Scenario sections as values: deep-frozen, with file references resolved, written back as TOML.

A scenario's sections come from TOML as nested dicts and lists. Frozen (tables become
:class:`FrozenMapping`, arrays tuples) they hash and pickle, so a scenario can be a dict key, a store key
or a message to another process. A string that names an existing file (relative to the scenario's
folder, or absolute) is a *file reference*: equality compares its resolved path, and the content digest
hashes its bytes, so the same file read from two spellings of its path is one scenario, and an edited
file is another.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from hw_models.frozen_mapping import FrozenMapping


def freeze(value: Any) -> Any:
    """``value`` with every table a :class:`FrozenMapping` and every array a tuple (recursively)."""
    if isinstance(value, Mapping):
        return FrozenMapping({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """The plain dict / list structure of a frozen value (what TOML and JSON writers take)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


def file_reference(value: Any, base_dir: Path | None) -> Path | None:
    """The resolved path ``value`` names when it is a string naming an existing regular file."""
    if not isinstance(value, str) or not value or "\n" in value:
        return None
    path = Path(value)
    if not path.is_absolute():
        if base_dir is None:
            return None
        path = base_dir / path
    try:
        return path.resolve() if path.is_file() else None
    except OSError:
        return None


def resolve_references(value: Any, base_dir: Path | None) -> Any:
    """A frozen ``value`` with each file reference replaced by its resolved absolute path."""
    if isinstance(value, Mapping):
        return FrozenMapping({k: resolve_references(v, base_dir) for k, v in value.items()})
    if isinstance(value, tuple):
        return tuple(resolve_references(v, base_dir) for v in value)
    ref = file_reference(value, base_dir)
    return str(ref) if ref is not None else value


def references(value: Any) -> list[str]:
    """Every resolved file reference in a value made by :func:`resolve_references`."""
    if isinstance(value, Mapping):
        return [ref for v in value.values() for ref in references(v)]
    if isinstance(value, tuple):
        return [ref for v in value for ref in references(v)]
    return [value] if isinstance(value, str) and file_reference(value, None) is not None else []


def relocate(value: Any, folder: Path) -> Any:
    """A frozen ``value`` with each resolved file reference written relative to ``folder``."""
    if isinstance(value, Mapping):
        return FrozenMapping({k: relocate(v, folder) for k, v in value.items()})
    if isinstance(value, tuple):
        return tuple(relocate(v, folder) for v in value)
    if isinstance(value, str) and file_reference(value, None) is not None:
        return os.path.relpath(value, folder.resolve())
    return value


def file_hashes(paths: list[str]) -> FrozenMapping[str, str]:
    """Path -> SHA-256 of the file's bytes now (cached per process by path, size and modification time)."""
    return FrozenMapping({path: _sha256_now(path) for path in sorted(set(paths))})


def _sha256_now(path: str) -> str:
    try:
        stat = os.stat(path)
        return _file_sha256(path, stat.st_size, stat.st_mtime_ns)
    except OSError:
        return "unreadable"  # gone since it was named: the stage that reads it says so


@lru_cache(maxsize=256)
def _file_sha256(path: str, size_bytes: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def content_digest(document: Any, hashes: Mapping[str, str]) -> str:
    """SHA-256 of ``document`` as canonical JSON with file references replaced by their content hashes.

    ``document`` holds resolved (absolute) file references and ``hashes`` their content hashes (taken
    when the scenario was loaded); the digest does not depend on where the files are, only on what they
    held, and on the tinyemu version (presets and zoo models ship with it).
    """

    def canonical(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
        if isinstance(value, list | tuple):
            return [canonical(v) for v in value]
        if isinstance(value, float) and not math.isfinite(value):
            return repr(value)
        if isinstance(value, str) and value in hashes:
            return f"sha256:{hashes[value]}"
        return value

    text = json.dumps(
        {"tinyemu": tinyemu_version(), "scenario": canonical(document)},
        sort_keys=True,
        separators=(",", ":"),
        allow_nan=False,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def tinyemu_version() -> str:
    """The installed tinyemu version (``"unknown"`` when run from an uninstalled tree)."""
    try:
        return version("tinyemu")
    except PackageNotFoundError:
        return "unknown"


def to_toml(document: Mapping[str, Any]) -> str:
    """TOML text for a scenario document: top-level scalars, then one ``[section]`` per table."""
    lines = [f"{key} = {_toml_value(value)}" for key, value in document.items() if not _is_table(value)]
    for section, table in document.items():
        if _is_table(table):
            lines += ["", f"[{section}]"]
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping)


def _toml_key(key: str) -> str:
    bare = key and all(c.isalnum() or c in "_-" for c in key)
    return key if bare else json.dumps(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {type(value).__name__}: {value!r}")
