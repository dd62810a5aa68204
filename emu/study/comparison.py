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
    """One variant's answers: does it fit, what a step and a session cost, how long the device lives.

    A plan that does not fit gets no lifetime figures (``lifetime_s`` and ``life_energy_j`` are None,
    ``end_cause`` is ``"does_not_fit"``) and is not trained: a device cannot run it.
    """

    label: str
    plan: TrainingPlan
    feasible: bool
    peak_sram_bytes: int
    flash_used_bytes: int
    step_time_s: float
    step_energy_j: float
    session_energy_j: float
    lifetime_s: float | None
    end_cause: str
    life_energy_j: float | None
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


DOES_NOT_FIT = "does_not_fit"
"""The ``end_cause`` of a plan that does not fit: it has no lifetime."""


@dataclass(frozen=True)
class PlanComparison:
    """The variants in the order given, which fitting variant lives longest, and which answers best."""

    scenario: str
    device: str
    model: str
    plans: tuple[ComparedPlan, ...]

    @property
    def fitting(self) -> tuple[ComparedPlan, ...]:
        """The variants that fit (and so have a lifetime)."""
        return tuple(p for p in self.plans if p.feasible and p.lifetime_s is not None)

    @property
    def longest_living(self) -> ComparedPlan | None:
        """The fitting variant with the longest lifetime, among equals (say, all reach the horizon) the one
        that draws the least energy over it; None if none fits."""
        return max(self.fitting, key=_life_key) if self.fitting else None

    @property
    def best_by(self) -> str | None:
        """What :attr:`best` is ranked by: the training metric (``"accuracy"``, or ``"mse"`` for a
        regressor) when every fitting variant was trained and all live the whole horizon (lifetime cannot
        tell them apart), else ``"lifetime"``; None if none fits."""
        fitting = self.fitting
        if not fitting:
            return None
        trained = all(p.score_after is not None for p in fitting)
        whole_horizon = all(p.end_cause == "horizon_reached" for p in fitting)
        return fitting[0].metric if trained and whole_horizon else "lifetime"

    @property
    def best(self) -> ComparedPlan | None:
        """The pick: by :attr:`best_by`, the best-scoring variant (highest accuracy, lowest mse; ties: the
        longer-living, then the least energy) or the longest-living variant; None if none fits."""
        by = self.best_by
        if by is None or by == "lifetime":
            return self.longest_living
        sign = -1.0 if by == "mse" else 1.0
        return max(self.fitting, key=lambda p: (sign * (p.score_after or 0.0), *_life_key(p)))

    def to_dict(self) -> dict[str, Any]:
        """The ``tinyemu compare --json`` document."""
        longest, best = self.longest_living, self.best
        return {
            "scenario": self.scenario,
            "device": self.device,
            "model": self.model,
            "plans": [p.to_dict() for p in self.plans],
            "longest_living": longest.label if longest else None,
            "best": best.label if best else None,
            "best_by": self.best_by,
        }


def _life_key(p: ComparedPlan) -> tuple[float, float]:
    return (p.lifetime_s or 0.0, -(p.life_energy_j or 0.0))


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


def _variant_changes(spec: Mapping[str, Any] | str) -> Mapping[str, Any]:
    if isinstance(spec, str):
        return parse_variant(spec, source="variants")
    if isinstance(spec, Mapping):
        return spec
    allowed = 'a mapping of [plan] fields or text like "update=bias"'
    raise ScenarioError("variants", "variant", repr(spec), allowed)


def compare(
    scenario: Scenario,
    variants: Sequence[Mapping[str, Any] | str] | None = None,
    accuracy: bool = False,
    horizon_s: float | str | None = None,
    epochs: int | None = None,
) -> PlanComparison:
    """Run ``scenario`` once per plan variant (plan fields to change, as a mapping or as ``--variant``
    text such as ``"update=bias,precision=int8"`` or ``"last:2"``); default: its own plan, then the update
    policies of :data:`DEFAULT_UPDATES`.

    ``accuracy`` also trains each variant that fits on data (:func:`emu.train`, the scenario's ``[train]``
    section; the model must fit the dataset), which takes seconds per variant rather than milliseconds.
    A variant that does not fit gets neither a lifetime nor an accuracy (see :class:`ComparedPlan`).
    """
    from emu.deploy.life import lifetime
    from emu.sim.simulation import simulate

    if variants is None:
        variants = [{}] + [{"update": u} for u in DEFAULT_UPDATES if u != scenario.plan.update]
    rows = []
    for variant_spec in variants:
        changes = _variant_changes(variant_spec)
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
        fits = memory.feasible
        life = lifetime(variant, horizon_s=horizon_s) if fits else None
        before = after = None
        metric = "accuracy"
        if accuracy and fits:
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
                lifetime_s=life.lifetime_s if life else None,
                end_cause=life.end_cause if life else DOES_NOT_FIT,
                life_energy_j=life.to_dict()["supply_energy_j"] if life else None,
                score_before=before,
                score_after=after,
                metric=metric,
            )
        )
    metrics = [r.metric for r in rows if r.score_after is not None]
    if metrics:  # one metric for every row, so the JSON keys agree (a plan that does not fit has None)
        rows = [replace(r, metric=metrics[0]) for r in rows]
    return PlanComparison(scenario.name, scenario.device.name, scenario.model.name, tuple(rows))
