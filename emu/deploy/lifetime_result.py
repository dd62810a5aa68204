"""What :func:`emu.lifetime` reports: how long the device lived, why it stopped, what it got done."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emu.deploy.activities import LIFETIME_PHASES
from emu.sim.ledger import COMPONENTS

END_CAUSES = ("horizon_reached", "battery_cutoff", "flash_worn_out", "burst_not_carried")

COUNT_KEYS = (
    "training_sessions",
    "sessions_skipped",
    "samples_trained",
    "samples_dropped",
    "training_steps",
    "inferences",
    "inferences_missed",
    "brownouts",
    "checkpoints_written",
    "checkpoints_lost",
    "steps_lost",
)
"""The counts a lifetime reports (whole numbers in its document)."""

TIMELINE_POINTS = 300

DETAIL_STEP_S = 3600.0
"""The plot's timeline keeps up to one point per hour of the life: a daily cycle (solar) stays a cycle
rather than aliasing into a false sawtooth, as it does at a few hundred points over a year."""


def detail_limit(points: list[tuple[float, float]]) -> int:
    """How many points :func:`thin` keeps for the plot's timeline: one per hour of span, at least
    :data:`TIMELINE_POINTS`."""
    span_s = points[-1][0] - points[0][0] if points else 0.0
    return max(TIMELINE_POINTS, int(span_s // DETAIL_STEP_S) + 1)


def thin(points: list[tuple[float, float]], limit: int = TIMELINE_POINTS) -> list[tuple[float, float]]:
    """At most ``limit`` points, evenly spread in time, keeping the first and the last."""
    if len(points) <= limit:
        return list(points)
    t0, t1 = points[0][0], points[-1][0]
    out: list[tuple[float, float]] = []
    i = 0
    for n in range(limit):
        target = t0 + (t1 - t0) * n / (limit - 1)
        while i < len(points) - 1 and points[i][0] < target:
            i += 1
        if not out or out[-1] != points[i]:
            out.append(points[i])
    if out[-1] != points[-1]:
        out.append(points[-1])
    return out


@dataclass(frozen=True)
class LifetimeResult:
    """A deployment simulated to its end or its horizon.

    Attributes
    ----------
    lifetime_s : float
        When the device stopped for good (the horizon if it did not).
    end_cause : str
        One of :data:`END_CAUSES`.
    end_detail : str
        A sentence: what happened at the end.
    counts : dict[str, float]
        ``training_sessions``, ``sessions_skipped``, ``samples_trained``, ``samples_dropped``,
        ``training_steps``, ``inferences``, ``inferences_missed``, ``brownouts``,
        ``checkpoints_written``, ``checkpoints_lost``, ``steps_lost``.
    energy_by_phase_j, energy_by_component_j : dict[str, float]
        Chip-side energy over the whole life (sums of the simulated ledgers, times how often).
    supply_energy_j : float
        Energy taken from the cell or storage (regulator losses and the buffer's leakage included).
    downtime_s : float
        Time spent browned out, waiting for storage to recover.
    work_lost_j : float
        Energy of training steps and checkpoint writes that a power failure undid.
    soc_timeline : list[tuple[float, float]]
        ``(time_s, state_of_charge)``, thinned to at most a few hundred points.
    soc_detail : tuple[tuple[float, float], ...]
        The same, thinned to at most one point per hour of the life (for plots; not in ``to_dict``).
    flash_wear : dict[int, int]
        Erase cycles of every erased sector.
    """

    scenario: str
    device: str
    model: str
    supply: str
    mode: str
    horizon_s: float
    lifetime_s: float
    end_cause: str
    end_detail: str
    counts: dict[str, float]
    energy_by_phase_j: dict[str, float]
    energy_by_component_j: dict[str, float]
    supply_energy_j: float
    downtime_s: float
    work_lost_j: float
    soc_timeline: list[tuple[float, float]]
    flash_wear: dict[int, int]
    flash_endurance_cycles: int | None
    activities: dict[str, dict[str, float]]
    notes: tuple[str, ...]
    infeasibilities: tuple[str, ...]
    events: int
    soc_detail: tuple[tuple[float, float], ...] = field(default=(), compare=False, repr=False)

    @property
    def feasible(self) -> bool:
        return not self.infeasibilities

    @property
    def chip_energy_j(self) -> float:
        return sum(self.energy_by_phase_j.values())

    @property
    def training_sessions(self) -> int:
        return int(self.counts["training_sessions"])

    @property
    def inferences(self) -> int:
        return int(self.counts["inferences"])

    def to_dict(self) -> dict[str, Any]:
        """The ``tinyemu lifetime --json`` document (its key names are a contract)."""
        c = self.counts
        wear = self.flash_wear
        return {
            "scenario": self.scenario,
            "device": self.device,
            "model": self.model,
            "supply": self.supply,
            "mode": self.mode,
            "horizon_s": self.horizon_s,
            "lifetime_s": self.lifetime_s,
            "lifetime_days": self.lifetime_s / 86400.0,
            "end_cause": self.end_cause,
            "end_detail": self.end_detail,
            "training_sessions": int(c["training_sessions"]),
            "sessions_skipped": int(c["sessions_skipped"]),
            "training_steps": int(c["training_steps"]),
            "samples_trained": int(c["samples_trained"]),
            "samples_dropped": int(c["samples_dropped"]),
            "inferences": int(c["inferences"]),
            "inferences_missed": int(c["inferences_missed"]),
            "downtime_s": self.downtime_s,
            "brownouts": int(c["brownouts"]),
            "checkpoints_written": int(c["checkpoints_written"]),
            "checkpoints_lost": int(c["checkpoints_lost"]),
            "steps_lost": int(c["steps_lost"]),
            "work_lost_j": self.work_lost_j,
            "energy_by_phase_j": {p: self.energy_by_phase_j.get(p, 0.0) for p in LIFETIME_PHASES},
            "energy_by_component_j": {k: self.energy_by_component_j.get(k, 0.0) for k in COMPONENTS},
            "chip_energy_j": self.chip_energy_j,
            "supply_energy_j": self.supply_energy_j,
            "supply_minus_chip_j": self.supply_energy_j - self.chip_energy_j,
            "soc_timeline": [[t, s] for t, s in self.soc_timeline],
            "final_soc": self.soc_timeline[-1][1] if self.soc_timeline else None,
            "flash_wear": {str(k): v for k, v in sorted(wear.items())},
            "max_sector_wear": max(wear.values(), default=0),
            "flash_endurance_cycles": self.flash_endurance_cycles,
            "activities": self.activities,
            "notes": list(self.notes),
            "feasible": self.feasible,
            "infeasibilities": list(self.infeasibilities),
            "events": self.events,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LifetimeResult:
        """The result a :meth:`to_dict` document describes (what a result store reads back)."""
        return cls(
            scenario=data["scenario"],
            device=data["device"],
            model=data["model"],
            supply=data["supply"],
            mode=data["mode"],
            horizon_s=data["horizon_s"],
            lifetime_s=data["lifetime_s"],
            end_cause=data["end_cause"],
            end_detail=data["end_detail"],
            counts={k: float(data[k]) for k in COUNT_KEYS},
            energy_by_phase_j=dict(data["energy_by_phase_j"]),
            energy_by_component_j=dict(data["energy_by_component_j"]),
            supply_energy_j=data["supply_energy_j"],
            downtime_s=data["downtime_s"],
            work_lost_j=data["work_lost_j"],
            soc_timeline=[(t, s) for t, s in data["soc_timeline"]],
            flash_wear={int(k): v for k, v in data["flash_wear"].items()},
            flash_endurance_cycles=data["flash_endurance_cycles"],
            activities={k: dict(v) for k, v in data["activities"].items()},
            notes=tuple(data["notes"]),
            infeasibilities=tuple(data["infeasibilities"]),
            events=data["events"],
        )
