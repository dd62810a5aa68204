"""``emu.compare``: several training plans of one scenario side by side, memory to lifetime (and accuracy).

The question a user brings is rarely one plan: *which plan fits, lasts longest, and what accuracy does it
buy?* Each variant is the scenario with some plan fields changed; for each the comparison runs what the
single-plan commands run (the memory plan, one simulated session, the deployment's lifetime and,
optionally, functional training on data) and keeps the figures that answer that question.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from emu.errors import ScenarioError
from emu.memory.planning import plan as plan_memory
from emu.scenario.scenario import Scenario
from workloads.errors import WorkloadError
from workloads.plan import TrainingPlan

DEFAULT_UPDATES = ("bias", "last:1", "last:2", "full")
"""The update policies compared when no variants are given (besides the scenario's own plan)."""


@dataclass(frozen=True)
class ComparedPlan:
    """One variant's answers: does it fit, what a step and a session cost, how long the device lives."""

    label: str
    plan: TrainingPlan
    feasible: bool
    peak_sram_bytes: int
    flash_used_bytes: int
    step_time_s: float
    step_energy_j: float
    session_energy_j: float
    lifetime_s: float
    end_cause: str
    life_energy_j: float
    score_before: float | None = None
    score_after: float | None = None
    metric: str = "accuracy"

    @property
    def energy_per_sample_j(self) -> float:
        """Training energy per sample: comparable across batch sizes, where the energy of a step is not."""
        return self.step_energy_j / self.plan.batch_size

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "plan": self.plan.to_dict(),
            "feasible": self.feasible,
            "peak_sram_bytes": self.peak_sram_bytes,
            "flash_used_bytes": self.flash_used_bytes,
            "step_time_s": self.step_time_s,
            "step_energy_j": self.step_energy_j,
            "energy_per_sample_j": self.energy_per_sample_j,
            "session_energy_j": self.session_energy_j,
            "lifetime_s": self.lifetime_s,
            "end_cause": self.end_cause,
            "life_energy_j": self.life_energy_j,
            f"{self.metric}_before": self.score_before,
            f"{self.metric}_after": self.score_after,
        }


@dataclass(frozen=True)
class PlanComparison:
    """The variants in the order given, and which fitting variant lives longest."""

    scenario: str
    device: str
    model: str
    plans: tuple[ComparedPlan, ...]

    @property
    def longest_living(self) -> ComparedPlan | None:
        """The fitting variant with the longest lifetime, among equals (say, all reach the horizon) the one
        that draws the least energy over it; None if none fits."""
        fitting = [p for p in self.plans if p.feasible]
        return max(fitting, key=lambda p: (p.lifetime_s, -p.life_energy_j)) if fitting else None

    def to_dict(self) -> dict[str, Any]:
        """The ``tinyemu compare --json`` document."""
        best = self.longest_living
        return {
            "scenario": self.scenario,
            "device": self.device,
            "model": self.model,
            "plans": [p.to_dict() for p in self.plans],
            "longest_living": best.label if best else None,
        }


def parse_variant(text: str, source: str = "--variant") -> dict[str, Any]:
    """``"update=bias,precision=int8"`` -> ``{"update": "bias", "precision": "int8"}`` (numbers and
    booleans in TOML syntax); a bare policy like ``"last:2"`` means ``update=last:2``."""
    from emu.scenario.scenario import parse_assignment

    if "=" not in text:
        return {"update": text.strip()}
    values = {}
    for part in text.split(","):
        _, key, value = parse_assignment(f"plan.{part.strip()}")
        values[key] = value
    if not values:
        raise ScenarioError(source, "variant", text, "plan fields, e.g. update=bias,precision=int8")
    return values


def _label(changes: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in changes.items()) if changes else "scenario plan"


def compare(
    scenario: Scenario,
    variants: Sequence[Mapping[str, Any]] | None = None,
    accuracy: bool = False,
    horizon_s: float | str | None = None,
    epochs: int | None = None,
) -> PlanComparison:
    """Run ``scenario`` once per plan variant (plan fields to change); default: its own plan, then the
    update policies of :data:`DEFAULT_UPDATES`.

    ``accuracy`` also trains each variant on data (:func:`emu.train`, the scenario's ``[train]`` section;
    the model must fit the dataset), which takes seconds per variant rather than milliseconds.
    """
    from emu.deploy.life import lifetime
    from emu.sim.simulation import simulate

    if variants is None:
        variants = [{}] + [{"update": u} for u in DEFAULT_UPDATES if u != scenario.plan.update]
    rows = []
    for changes in variants:
        try:
            plan = scenario.plan.with_changes(**changes)
        except TypeError:
            unknown = next(k for k in changes if k not in TrainingPlan.__dataclass_fields__)
            raise ScenarioError("--variant", unknown, changes[unknown], "a [plan] field") from None
        except WorkloadError as exc:
            raise ScenarioError("--variant", exc.field, exc.value, exc.allowed) from None
        variant = replace(scenario, plan=plan)
        memory = plan_memory(variant, suggest=False)
        session = simulate(variant)
        life = lifetime(variant, horizon_s=horizon_s)
        before = after = None
        metric = "accuracy"
        if accuracy:
            from emu.functional.training import train

            trained = train(variant, epochs=epochs)
            before, after, metric = trained.score_before, trained.score_after, trained.metric
        rows.append(
            ComparedPlan(
                label=_label(changes),
                plan=plan,
                feasible=memory.feasible,
                peak_sram_bytes=memory.memory.peak_sram_bytes,
                flash_used_bytes=memory.memory.flash_used_bytes,
                step_time_s=session.step_time_s,
                step_energy_j=session.step_energy_j,
                session_energy_j=session.to_dict()["session_energy_j"],
                lifetime_s=life.lifetime_s,
                end_cause=life.end_cause,
                life_energy_j=life.to_dict()["supply_energy_j"],
                score_before=before,
                score_after=after,
                metric=metric,
            )
        )
    return PlanComparison(scenario.name, scenario.device.name, scenario.model.name, tuple(rows))
