"""The cost of what a deployed device does, each computed once from :func:`emu.simulate`.

An inference is a session of the ``none`` update policy with one sample; a training session is the
scenario's ``[session]`` with the samples it takes from the buffer (one simulation per distinct sample
count, cached by the run). Each becomes chip-side :class:`Activity` pieces of constant power: the
session's head (wake-up, clock switch), one training step (every step of a session is identical, see
:mod:`emu.sim.engine`), the write-back of the trained weights (one erase per sector, then the program).
Energies keep the ledger's split by component; the lifetime phase of every joule is fixed here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from emu.scenario.deployment import DeploymentSettings
from emu.scenario.scenario import Scenario
from emu.sim.ledger import COMPONENTS, LedgerEntry
from emu.sim.simulation import SimulationResult, simulate

LIFETIME_PHASES = (
    "inference",
    "training",
    "write_back",
    "checkpoint",
    "wake",
    "sleep",
)
"""The phases lifetime energy is reported in (chip side; supply losses are reported apart)."""


@dataclass(frozen=True)
class Activity:
    """A constant-power piece of chip activity, with its energy split by lifetime phase and component.

    Attributes
    ----------
    name : str
    duration_s : float
    energy_j : float
    tally : tuple[tuple[str, float], ...]
        ``("phase:<phase>", J)`` and ``("component:<component>", J)`` contributions of one occurrence.
    """

    name: str
    duration_s: float
    energy_j: float
    tally: tuple[tuple[str, float], ...]

    @property
    def power_w(self) -> float:
        return self.energy_j / self.duration_s if self.duration_s > 0 else 0.0

    def repeated(self, n: float) -> Activity:
        """``n`` back-to-back occurrences as one piece."""
        return Activity(
            self.name, self.duration_s * n, self.energy_j * n, tuple((k, v * n) for k, v in self.tally)
        )


def activity(
    name: str, duration_s: float, entries: Iterable[LedgerEntry], phase_of: Callable[[LedgerEntry], str]
) -> Activity:
    """An activity from ledger entries; ``phase_of(entry)`` names each entry's lifetime phase."""
    tally: dict[str, float] = {}
    total = 0.0
    for e in entries:
        j = e.total_j
        total += j
        for key in (phase_key(phase_of(e)), component_key(e.component)):
            tally[key] = tally.get(key, 0.0) + j
    return Activity(name, duration_s, total, tuple(sorted(tally.items())))


def tick_tally(unit: Sequence[Activity]) -> dict[str, float]:
    """The tally of one tick made of ``unit``'s activities (it counts one inference)."""
    tally = {"inferences": 1.0}
    for act in unit:
        for key, value in act.tally:
            tally[key] = tally.get(key, 0.0) + value
    return tally


def flat_activity(name: str, phase: str, component: str, duration_s: float, power_w: float) -> Activity:
    """One component at one power for a time (sleep, a flash erase or program)."""
    j = power_w * duration_s
    return Activity(name, duration_s, j, ((component_key(component), j), (phase_key(phase), j)))


def phase_key(phase: str) -> str:
    """The tally key of a lifetime phase's energy (one of :data:`LIFETIME_PHASES`)."""
    if phase not in LIFETIME_PHASES:
        raise ValueError(f"unknown lifetime phase {phase!r}; one of {', '.join(LIFETIME_PHASES)}")
    return f"phase:{phase}"


def component_key(component: str) -> str:
    """The tally key of a component's energy: the simulation ledger's components, the same names."""
    if component not in COMPONENTS:
        raise ValueError(f"unknown component {component!r}; one of {', '.join(COMPONENTS)}")
    return f"component:{component}"


@dataclass(frozen=True)
class SessionCost:
    """A training session on ``samples`` samples, as pieces."""

    samples: int
    steps: int
    head: Activity
    step: Activity
    write_back: tuple[tuple[int, Activity], ...]
    program: Activity | None
    result: SimulationResult


def _copy(scenario: Scenario, plan_changes: dict[str, Any], session: dict[str, Any]) -> Scenario:
    settings = {k: dict(v) for k, v in scenario.settings.items()}
    merged = {**settings.get("session", {}), **session}
    settings["session"] = {k: v for k, v in merged.items() if v is not None}
    plan = replace(scenario.plan, **plan_changes) if plan_changes else scenario.plan
    return replace(scenario, plan=plan, settings=settings)


def _wake_or(phase: str):
    return lambda e: "wake" if e.phase == "wake" else phase


def inference_cost(scenario: Scenario, deployment: DeploymentSettings) -> tuple[Activity, SimulationResult]:
    """One inference: the ``none`` policy, one sample from the sensor, at the inference clock."""
    session = {
        "samples": 1,
        "epochs": 1,
        "sample_source": "sram",
        "write_back": False,
        "sleep_s": 0.0,
        "sleep_state": deployment.sleep_state,
        **deployment.session_overrides("inference"),
    }
    # one inference: a single sample, nothing accumulated or recomputed
    inference = {"update": "none", "batch_size": 1, "micro_batch_size": None, "recompute": ()}
    result = simulate(_copy(scenario, inference, session), mode="event")
    return activity("inference", result.session_time_s, result.ledger.entries, _wake_or("inference")), result


def session_cost(scenario: Scenario, deployment: DeploymentSettings, samples: int) -> SessionCost:
    """A training session on ``samples`` buffered samples at the training clock."""
    session = {
        "samples": samples,
        "sleep_s": 0.0,
        "sleep_state": deployment.sleep_state,
        **deployment.session_overrides("training"),
    }
    result = simulate(_copy(scenario, {}, session), mode="event")
    record, ctx = result.record, result.context
    head = activity("session_head", record.head_s, record.head, _wake_or("training"))
    step = activity("training_step", result.step_time_s, result.step_ledger.entries, lambda e: "training")
    erases: list[tuple[int, Activity]] = []
    program = None
    write = ctx.write_back
    if write is not None:
        for piece in write.pieces(scenario.device.flash, ctx.supply_v):
            work = flat_activity(
                f"write_back_{piece.action}", "write_back", "flash", piece.duration_s, piece.power_w
            )
            if piece.sector is not None:
                erases.append((piece.sector, work))
            else:
                program = work
    return SessionCost(samples, result.steps, head, step, tuple(erases), program, result)
