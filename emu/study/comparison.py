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

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ComparedPlan:
        """The row a :meth:`to_dict` document describes."""
        metric = next(k[: -len("_before")] for k in data if k.endswith("_before"))
        return cls(
            label=data["label"],
            plan=TrainingPlan.from_dict(data["plan"]),
            feasible=data["feasible"],
            peak_sram_bytes=data["peak_sram_bytes"],
            flash_used_bytes=data["flash_used_bytes"],
            step_time_s=data["step_time_s"],
            step_energy_j=data["step_energy_j"],
            session_energy_j=data["session_energy_j"],
            lifetime_s=data["lifetime_s"],
            end_cause=data["end_cause"],
            life_energy_j=data["life_energy_j"],
            score_before=data[f"{metric}_before"],
            score_after=data[f"{metric}_after"],
            metric=metric,
        )


DOES_NOT_FIT = "does_not_fit"
"""The ``end_cause`` of a plan that does not fit: it has no lifetime."""

OBJECTIVES = ("pareto", "lifetime", "accuracy")
"""What the pick weighs: ``pareto`` (lifetime and the training metric together, see
:attr:`PlanComparison.best`), ``lifetime`` alone, or ``accuracy`` (the training metric: accuracy, or mse
for a regressor) alone."""


@dataclass(frozen=True)
class PlanComparison:
    """The variants in the order given, which fitting variant lives longest, and which answers best.

    ``objective`` is what :attr:`best` weighs (one of :data:`OBJECTIVES`); None weighs lifetime and the
    training metric together when every fitting variant was trained, else lifetime alone.
    """

    scenario: str
    device: str
    model: str
    plans: tuple[ComparedPlan, ...]
    objective: str | None = None

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
    def trained(self) -> bool:
        """Whether every fitting variant has a training score (and some variant fits)."""
        return bool(self.fitting) and all(p.score_after is not None for p in self.fitting)

    @property
    def pareto(self) -> tuple[ComparedPlan, ...]:
        """The fitting variants that no other fitting variant beats on lifetime and the training metric
        together (at least as good on both, better on one); on lifetime alone when not all were trained."""
        fitting = self.fitting
        keys = {id(p): self._objectives(p) for p in fitting}
        return tuple(p for p in fitting if not any(_dominates(keys[id(q)], keys[id(p)]) for q in fitting))

    @property
    def best_by(self) -> str | None:
        """What :attr:`best` is ranked by: ``"lifetime"``; the training metric (``"accuracy"``, or ``"mse"``
        for a regressor) when asked, or when weighing both and every fitting variant lives the whole
        horizon (lifetime cannot tell them apart); else ``"pareto"``. None if none fits."""
        if not self.fitting:
            return None
        objective = self.objective or ("pareto" if self.trained else "lifetime")
        if objective == "lifetime" or not self.trained:
            return "lifetime"
        whole_horizon = all(p.end_cause == "horizon_reached" for p in self.fitting)
        return self.fitting[0].metric if objective == "accuracy" or whole_horizon else "pareto"

    @property
    def best(self) -> ComparedPlan | None:
        """The pick, by :attr:`best_by`: the longest-living variant; the best-scoring one (highest accuracy,
        lowest mse; ties: the longer-living, then the least energy); or, weighing both, the variant of the
        :attr:`pareto` front whose larger shortfall against the best of each (lifetime over the longest,
        score over the best score) is smallest. None if none fits."""
        by = self.best_by
        if by is None or by == "lifetime":
            return self.longest_living
        if by != "pareto":
            return max(self.fitting, key=lambda p: (self._objectives(p)[1], *_life_key(p)))
        longest = max(p.lifetime_s or 0.0 for p in self.fitting)
        top = max(self._objectives(p)[1] for p in self.fitting)

        def worst_shortfall(p: ComparedPlan) -> float:
            life, score = self._objectives(p)
            return max(_shortfall(life, longest), _shortfall(score, top))

        return min(self.pareto, key=lambda p: (worst_shortfall(p), *(-v for v in _life_key(p))))

    def _objectives(self, p: ComparedPlan) -> tuple[float, float]:
        """(lifetime, score), both higher-is-better (mse negated); score 0 when not all were trained."""
        if not self.trained or p.score_after is None:
            return (p.lifetime_s or 0.0, 0.0)
        return (p.lifetime_s or 0.0, -p.score_after if p.metric == "mse" else p.score_after)

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
            "pareto": [p.label for p in self.pareto],
            "objective": self.objective,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanComparison:
        """The comparison a :meth:`to_dict` document describes (the picks are derived again)."""
        plans = tuple(ComparedPlan.from_dict(p) for p in data["plans"])
        return cls(data["scenario"], data["device"], data["model"], plans, data.get("objective"))


def _life_key(p: ComparedPlan) -> tuple[float, float]:
    return (p.lifetime_s or 0.0, -(p.life_energy_j or 0.0))


def _dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] >= b[0] and a[1] >= b[1] and a != b


def _shortfall(value: float, best: float) -> float:
    """How far ``value`` falls short of ``best`` (higher is better): relative where ``best`` is positive
    (a lifetime, an accuracy), absolute where it is not (a negated mse: 0.02 against 0.01 is 1.0 short)."""
    if best > 0:
        return (best - value) / best
    return (best - value) / abs(best) if best < 0 else best - value


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
    objective: str | None = None,
) -> PlanComparison:
    """Run ``scenario`` once per plan variant (plan fields to change, as a mapping or as ``--variant``
    text such as ``"update=bias,precision=int8"`` or ``"last:2"``); default: its own plan, then the update
    policies of :data:`DEFAULT_UPDATES`.

    ``accuracy`` also trains each variant that fits on data (:func:`emu.train`, the scenario's ``[train]``
    section; the model must fit the dataset), which takes seconds per variant rather than milliseconds.
    A variant that does not fit gets neither a lifetime nor an accuracy (see :class:`ComparedPlan`).

    ``objective`` is what the pick weighs (:data:`OBJECTIVES`); ``"accuracy"`` and ``"pareto"`` train each
    variant, as ``accuracy`` does. None: both when training, else lifetime.
    """
    if objective is not None and objective not in OBJECTIVES:
        raise ScenarioError("objective", "objective", objective, f"one of {', '.join(OBJECTIVES)}")
    accuracy = accuracy or objective in ("accuracy", "pareto")
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
    return PlanComparison(scenario.name, scenario.device.name, scenario.model.name, tuple(rows), objective)
