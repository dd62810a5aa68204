"""Writing an output file atomically (temp file in the same folder, fsync, rename), and checking up front.

A failed or killed run must never leave a truncated file where a good one was: the bytes go to a
temporary file beside the target, are flushed to disk, and only then renamed over it (``os.replace`` is
atomic within one file system). :func:`check_output_path` probes the folder the same way before a long
run starts, so an unwritable folder, ``/proc``, a directory or a device is one error, not a lost hour.

This module lives in ``workloads`` because weights are written here and ``emu`` and ``cli`` (traces,
plots) may import from it; ``hw_models`` writes nothing.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from workloads.errors import WorkloadError

__all__ = ["atomic_write", "check_output_path"]

_NEW_FILE_MODE = 0o644
"""A new output file is readable by all, writable by its owner (``mkstemp`` alone would give 0600)."""


def check_output_path(path: str | Path, what: str, suffixes: Iterable[str] | None = None) -> Path:
    """Require that ``path`` can be written atomically: a file name in an existing, writable folder.

    Parameters
    ----------
    path : str or Path
        The output file.
    what : str
        The option or field that names it (``"--plot"``), for the message.
    suffixes : iterable of str, optional
        Allowed file name endings (``(".png", ".svg")``), lower-case.

    Raises
    ------
    WorkloadError
        A directory or device at ``path``, a missing or unwritable folder, or a suffix not allowed.
    """
    path = Path(path)
    text = str(path)
    if suffixes is not None:
        allowed = tuple(suffixes)
        if path.suffix.lower() not in allowed:
            raise WorkloadError(text, what, text, f"a file name ending in {', '.join(allowed)}")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise WorkloadError(text, what, text, f"a writable file path ({exc.strerror or exc})") from None
    except ValueError:  # a NUL character, which a TOML string can hold and no file name can
        raise WorkloadError(text, what, text, "a file path without NUL characters") from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "a device, FIFO or socket"
        raise WorkloadError(text, what, text, f"a file path; this is {kind}")
    folder = path.parent
    if not folder.is_dir():
        raise WorkloadError(text, what, text, "a file in an existing folder")
    _probe(folder, text, what)
    return path


def atomic_write(path: str | Path, write: Callable[[BinaryIO], object], what: str = "output file") -> None:
    """Write a file through ``write(handle)`` into a temporary file, fsync it, then rename it to ``path``.

    On any failure (a full disk, an exception in ``write``, Ctrl-C) the temporary file is removed and an
    existing file at ``path`` is left as it was.

    Raises
    ------
    WorkloadError
        When the file cannot be written (the operating system's reason in the message).
    """
    path = Path(path)
    check_output_path(path, what)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = _NEW_FILE_MODE
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _write_error(path, what, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(exc, OSError):
            raise _write_error(path, what, exc) from None
        raise
    _sync_folder(path.parent)


def _probe(folder: Path, text: str, what: str) -> None:
    """Create and remove a temporary file in ``folder``: the one honest test that it takes writes."""
    try:
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".tinyemu-probe.", suffix=".tmp")
    except OSError as exc:
        raise WorkloadError(
            text, what, text, f"a file in a writable folder ({exc.strerror or exc})"
        ) from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(temp)


def _write_error(path: Path, what: str, exc: OSError) -> WorkloadError:
    return WorkloadError(str(path), what, str(path), f"a writable file path ({exc.strerror or exc})")


def _sync_folder(folder: Path) -> None:
    """Make the rename durable; a file system that cannot fsync a folder still has the file."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
