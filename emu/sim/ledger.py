"""The one energy ledger: every joule of a run, with its time, component, phase, layer and action.

All energy totals of a simulation are sums over the ledger; reports never compute energy on their own.
A session repeats identical training steps: a step's entries are recorded once with ``count`` = the
number of steps (``time_s`` is the time in the first step; the k-th repeat happens ``k x step_time_s``
later), so a session of a million steps costs no more memory than one step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

COMPONENTS = ("core", "sram", "flash", "dma", "sleep")
"""The components energy is attributed to, in report order."""


@dataclass(frozen=True)
class LedgerEntry:
    """``energy_j`` drawn from the supply by ``component`` for one action.

    Attributes
    ----------
    time_s : float
        When the action started (in the first step, for a repeated step entry).
    phase : str
        ``wake``, ``dvfs``, ``data``, ``forward``, ``loss``, ``backward``, ``update``, ``write_back``,
        ``sleep``.
    layer : str
        The layer the action belongs to (``""`` for session-level actions).
    action : str
        The task action (``forward``, ``backward_data``...) or the hardware action (``prefetch``,
        ``erase``, ``program``, ``load_sample``, ``wait``, ``wake``...).
    count : int
        How many identical occurrences this entry stands for.
    """

    time_s: float
    component: str
    phase: str
    layer: str
    action: str
    energy_j: float
    count: int = 1

    @property
    def total_j(self) -> float:
        """``energy_j x count``."""
        return self.energy_j * self.count


class LedgerRecorder:
    """Collects entries during one simulation run (one recorder per run; never shared)."""

    def __init__(self) -> None:
        self.entries: list[LedgerEntry] = []

    def record(
        self, time_s: float, component: str, phase: str, layer: str, action: str, energy_j: float
    ) -> None:
        if component not in COMPONENTS:
            raise ValueError(f"unknown component {component!r}")
        if energy_j < 0:
            raise ValueError(f"negative energy {energy_j} for {component}/{action}")
        self.entries.append(LedgerEntry(time_s, component, phase, layer, action, energy_j))


@dataclass(frozen=True)
class Ledger:
    """The entries of a run; every total is a sum over them."""

    entries: tuple[LedgerEntry, ...]

    @classmethod
    def join(cls, *parts: Iterable[LedgerEntry]) -> Ledger:
        return cls(tuple(e for part in parts for e in part))

    def repeated(self, count: int, offset_s: float = 0.0) -> tuple[LedgerEntry, ...]:
        """These entries standing for ``count`` identical occurrences, shifted by ``offset_s``."""
        return tuple(
            LedgerEntry(
                e.time_s + offset_s, e.component, e.phase, e.layer, e.action, e.energy_j, e.count * count
            )
            for e in self.entries
        )

    @property
    def total_j(self) -> float:
        return sum(e.total_j for e in self.entries)

    def by(self, field: str) -> dict[str, float]:
        """Total energy per value of ``field`` (``component``, ``phase``, ``layer`` or ``action``)."""
        totals: dict[str, float] = {}
        for e in self.entries:
            key = getattr(e, field)
            totals[key] = totals.get(key, 0.0) + e.total_j
        return totals

    def by_component(self) -> dict[str, float]:
        """Total per component, every component listed (in :data:`COMPONENTS` order)."""
        found = self.by("component")
        return {c: found.get(c, 0.0) for c in COMPONENTS}
