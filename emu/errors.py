"""Error types of the emulator, and the tuple of every bad-input error the CLI turns into exit code 2."""

from __future__ import annotations

from typing import Any

from hw_models.errors import SpecError
from workloads.errors import WorkloadError


class ScenarioError(ValueError):
    """A scenario file, flag or override is invalid: names the source, field, value and what is allowed."""

    def __init__(self, source: str, field: str, value: Any, allowed: str) -> None:
        self.source = source
        self.field = field
        self.value = value
        self.allowed = allowed
        shown = repr(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."  # one readable line, whatever the input
        super().__init__(f"{source}: {field} = {shown}: {allowed}")


INPUT_ERRORS: tuple[type[ValueError], ...] = (ScenarioError, WorkloadError, SpecError)
"""Every error that means "the input is wrong" (exit code 2), as opposed to a bug."""
