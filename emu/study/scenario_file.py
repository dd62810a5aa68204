"""A scenario written back as TOML (the optimiser's answer), atomically, for every command to run.

The document is :meth:`emu.scenario.scenario.Scenario.to_toml` with file references relative to the
new file's folder, so it runs from wherever it is written.
"""

from __future__ import annotations

from pathlib import Path

from emu.scenario.scenario import Scenario
from emu.scenario.values import to_toml
from workloads.output_file import atomic_write


def write_scenario(scenario: Scenario, path: str | Path, note: str = "") -> Path:
    """Write ``scenario`` as TOML at ``path`` atomically (temporary file, fsync, rename); returns the path.

    ``note`` becomes the file's ``description``.
    """
    path = Path(path)
    document = scenario.to_dict(relative_to=path.parent)
    if note:
        document = {"name": document.pop("name"), "description": note, **document}
    text = to_toml(document)
    atomic_write(path, lambda handle: handle.write(text.encode()), "scenario file")
    return path
