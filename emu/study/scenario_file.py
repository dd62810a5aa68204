"""A scenario written back as TOML (the optimiser's answer), atomically, for every command to run.

The document is the scenario's own sections (as read from its file or flags) with the ``[plan]``
section replaced; file paths in ``device.name`` and ``model.name`` that were relative to the source
scenario are rewritten relative to the new file, so it runs from wherever it is written.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from emu.scenario.scenario import Scenario

PATH_KEYS = (("device", "name"), ("model", "name"))


def scenario_document(scenario: Scenario, path: str | Path, note: str = "") -> dict[str, Any]:
    """The TOML structure of ``scenario`` (its plan included) as it would be written at ``path``."""
    sections = {k: dict(v) for k, v in scenario.settings.items()}
    sections["plan"] = {k: v for k, v in scenario.plan.to_dict().items() if v is not None}
    source_dir = Path(scenario.source).parent if Path(scenario.source).suffix == ".toml" else Path.cwd()
    target_dir = Path(path).resolve().parent
    for section, key in PATH_KEYS:
        value = sections.get(section, {}).get(key)
        if isinstance(value, str) and ("/" in value or value.endswith((".toml", ".onnx", ".tflite"))):
            candidate = Path(value) if Path(value).is_absolute() else source_dir / value
            if candidate.exists():
                sections[section][key] = os.path.relpath(candidate.resolve(), target_dir)
    document: dict[str, Any] = {"name": scenario.name}
    if note:
        document["description"] = note
    document.update(sections)
    return document


def to_toml(document: dict[str, Any]) -> str:
    """``document`` as TOML: top-level keys, then one table per section (nested tables inline)."""
    lines = [f"{key} = {_value(v)}" for key, v in document.items() if not isinstance(v, dict)]
    for section, values in document.items():
        if isinstance(values, dict):
            lines += ["", f"[{section}]"] + [f"{_key(k)} = {_value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def write_scenario(scenario: Scenario, path: str | Path, note: str = "") -> Path:
    """Write ``scenario`` as TOML at ``path`` atomically (temporary file, fsync, rename); returns the path."""
    path = Path(path)
    text = to_toml(scenario_document(scenario, path, note))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a scenario is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }" if value else "{}"
        )
    raise TypeError(f"no TOML form for {type(value).__name__}")
