"""Reading an input file safely: only a regular file, only up to a size that says so, decoded once.

A path can name a FIFO (reading blocks forever), ``/dev/zero`` (reading never ends), a directory, or a
file of gigabytes; each is refused here, before a byte is read, with the file and what is allowed.
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any

from hw_models.errors import SpecError

__all__ = ["MAX_INPUT_BYTES", "check_input_file", "read_input_bytes", "read_input_text", "read_toml"]

MAX_INPUT_BYTES = 64 * 1024 * 1024
"""Scenario, device, CSV and model files larger than 64 MiB are not what tinyemu reads (an MCU model
fits in a few MiB of flash; a year of minute-resolution irradiance is about 10 MiB of CSV)."""


def check_input_file(path: str | Path, what: str = "file", max_bytes: int = MAX_INPUT_BYTES) -> Path:
    """Require ``path`` to be an existing regular file of at most ``max_bytes``.

    ``os.stat`` follows symlinks, so a link to a regular file is fine and a link to a FIFO is not.

    Raises
    ------
    SpecError
        Naming the path and what is wrong with it.
    """
    path = Path(path)
    text = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise SpecError(text, "(file)", text, f"no such {what}: give an existing, readable {what}") from None
    except OSError as exc:
        raise SpecError(text, "(file)", text, f"a readable {what} ({exc.strerror or exc})") from None
    except ValueError:  # a NUL character, which a TOML string can hold and no file name can
        raise SpecError(text, "(file)", text, f"the path of a {what}, without NUL characters") from None
    if not stat.S_ISREG(info.st_mode):
        kind = (
            "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file (a device, FIFO or socket)"
        )
        raise SpecError(text, "(file)", text, f"a regular {what}; this is {kind}")
    if info.st_size > max_bytes:
        raise SpecError(
            text, "(file)", text, f"a {what} of at most {max_bytes:,} bytes; this one has {info.st_size:,}"
        )
    return path


def read_input_bytes(path: str | Path, what: str = "file", max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a checked input file (see :func:`check_input_file`), at most ``max_bytes`` of them.

    The read itself is capped too, so a file that grows after the check cannot make it unbounded.
    """
    path = check_input_file(path, what, max_bytes)
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise SpecError(
            str(path), "(file)", str(path), f"a readable {what} ({exc.strerror or exc})"
        ) from None
    if len(data) > max_bytes:
        raise SpecError(str(path), "(file)", str(path), f"a {what} of at most {max_bytes:,} bytes")
    return data


def read_input_text(path: str | Path, what: str = "file", max_bytes: int = MAX_INPUT_BYTES) -> str:
    """The UTF-8 text of a checked input file."""
    data = read_input_bytes(path, what, max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(str(path), "(file)", "<not UTF-8>", f"a UTF-8 text {what} ({exc.reason})") from None


def read_toml(path: str | Path, what: str = "TOML file") -> dict[str, Any]:
    """Parse a checked TOML input file; invalid TOML and nesting beyond the parser's stack are one error."""
    text = read_input_text(path, what)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(str(path), "(file)", "<not TOML>", f"must be valid TOML: {exc}") from None
    except RecursionError:
        raise SpecError(
            str(path), "(file)", "<nested too deep>", "TOML with tables and arrays nested a few levels deep"
        ) from None
