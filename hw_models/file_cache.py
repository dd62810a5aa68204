"""Per-process caches of parsed data files, keyed by the file's content stamp (never stale).

A preset or a user's file is parsed once per process. The key is the resolved path with the file's
size and modification time, so an edited file is parsed again on its next use, and a loader's error
is raised every time (errors are not cached). The parsed values are frozen, so sharing them is safe.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def file_stamp(path: str | Path) -> tuple[str, int, int] | None:
    """(resolved path, size in bytes, modification time in ns) of a regular file, else None."""
    try:
        resolved = Path(path).resolve()
        stat = resolved.stat()
    except (OSError, RuntimeError):
        return None
    if not resolved.is_file():
        return None
    return str(resolved), stat.st_size, stat.st_mtime_ns


def cached_by_file(
    path_of: Callable[[Any], str | Path | None], maxsize: int = 128
) -> Callable[[Callable[[Any], T]], Callable[[Any], T]]:
    """Cache a one-argument loader by the stamp of the file ``path_of(argument)`` names.

    ``path_of`` may raise the loader's own error (an unknown preset name); where it gives None, or the
    file cannot be stamped, the loader runs uncached and reports what is wrong.
    """

    def decorate(load: Callable[[Any], T]) -> Callable[[Any], T]:
        @lru_cache(maxsize=maxsize)
        def parsed(stamp: tuple[str, int, int], name_or_path: Any) -> T:
            return load(name_or_path)  # the name as given: messages and sources read as before

        @wraps(load)
        def cached(name_or_path: Any) -> T:
            path = path_of(name_or_path)
            stamp = file_stamp(path) if path is not None else None
            return load(name_or_path) if stamp is None else parsed(stamp, name_or_path)

        cached.cache_clear = parsed.cache_clear  # type: ignore[attr-defined]
        return cached

    return decorate
