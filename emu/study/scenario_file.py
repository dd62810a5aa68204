"""A scenario written back as TOML (the optimiser's answer), atomically, for every command to run.

The document is :meth:`emu.scenario.scenario.Scenario.to_toml` with file references relative to the
new file's folder, so it runs from wherever it is written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from emu.scenario.scenario import Scenario
from emu.scenario.values import to_toml


def write_scenario(scenario: Scenario, path: str | Path, note: str = "") -> Path:
    """Write ``scenario`` as TOML at ``path`` atomically (temporary file, fsync, rename); returns the path.

    ``note`` becomes the file's ``description``.
    """
    path = Path(path)
    document = scenario.to_dict(relative_to=path.parent)
    if note:
        document = {"name": document.pop("name"), "description": note, **document}
    text = to_toml(document)
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
