"""The one error type of ``hw_models``: bad hardware data, located to the file and field."""

from __future__ import annotations

from typing import Any

__all__ = ["SpecError"]

MISSING = "<missing>"


class SpecError(ValueError):
    """A hardware description that cannot be used as given.

    Parameters
    ----------
    source : str
        The file (or object) the value came from, e.g. ``"my_dev.toml"``.
    field : str
        Dotted path of the field inside that source, e.g. ``"memory.sram_kib"``.
    value : Any
        The offending value (``"<missing>"`` when the field is absent).
    allowed : str
        What would have been accepted, phrased to finish the sentence
        ``"<source>: <field> = <value>: <allowed>"``.
    """

    def __init__(self, source: str, field: str, value: Any, allowed: str) -> None:
        self.source = source
        self.field = field
        self.value = value
        self.allowed = allowed
        shown = value if isinstance(value, str) and value.startswith("<") else _show(value)
        super().__init__(f"{source}: {field} = {shown}: {allowed}")

    def located(self, source: str, prefix: str = "") -> SpecError:
        """Return the same error re-addressed to ``source`` with ``prefix`` before the field."""
        field = f"{prefix}.{self.field}" if prefix and self.field else prefix or self.field
        return SpecError(source, field, self.value, self.allowed)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
