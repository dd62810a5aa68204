"""Field checks shared by the spec dataclasses; each raises :class:`SpecError` naming the field."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from typing import Any

from hw_models.errors import SpecError

__all__ = ["check_choice", "closest", "check_count", "check_number", "check_text", "suggest"]


def check_number(owner: str, field: str, value: Any, *, allow_zero: bool = False) -> None:
    """Require a finite real number, positive (or non-negative with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecError(owner, field, value, "must be a finite number")
    if value < 0 or (value == 0 and not allow_zero):
        raise SpecError(
            owner, field, value, f"must be a {'non-negative' if allow_zero else 'positive'} number"
        )


def check_count(owner: str, field: str, value: Any, *, minimum: int = 1) -> None:
    """Require an integer (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(owner, field, value, "must be an integer")
    if value < minimum:
        raise SpecError(owner, field, value, f"must be an integer >= {minimum}")


def check_text(owner: str, field: str, value: Any) -> None:
    """Require a non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise SpecError(owner, field, value, "must be a non-empty string")


def check_choice(owner: str, field: str, value: Any, choices: Iterable[str]) -> None:
    """Require one of ``choices``, suggesting the closest on a typo."""
    options = sorted(choices)
    if value not in options:
        hint = suggest(str(value), options)
        raise SpecError(owner, field, value, f"must be one of {', '.join(options)}{hint}")


def closest(word: str, options: Iterable[str]) -> str | None:
    """The option most like ``word`` (difflib ratio >= 0.6), or None."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return close[0] if close else None


def suggest(word: str, options: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest option, or ``""``."""
    close = closest(word, options)
    return f"; did you mean {close!r}?" if close else ""
