"""The error type for bad workload input (models, plans, datasets)."""

from __future__ import annotations

from difflib import get_close_matches
from typing import Any


class WorkloadError(ValueError):
    """A model, plan or dataset description is invalid.

    Parameters
    ----------
    source
        Where the value came from (a file path, ``"plan"``, a model name).
    field
        The dotted field name.
    value
        The offending value.
    allowed
        What is allowed instead, in words.
    """

    def __init__(self, source: str, field: str, value: Any, allowed: str) -> None:
        self.source = source
        self.field = field
        self.value = value
        self.allowed = allowed
        shown = repr(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."  # one readable line, whatever the input
        super().__init__(f"{source}: {field} = {shown}: {allowed}")


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest choice, or an empty string."""
    close = get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
