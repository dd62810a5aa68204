"""Save or recompute each activation kept for backward: a mixed-integer program solved by HiGHS.

The decision, per activation the backward pass reads (:func:`workloads.recompute.candidates`): keep it
in SRAM, or drop it after the forward pass and recompute it from an earlier kept tensor just before the
backward pass needs it (:mod:`workloads.recompute`). The objective is the energy of the recomputation
(the forward tasks re-run, priced by the cost model exactly as in the forward pass); the constraint is
that the bytes alive at every task and during every recomputation stay within a budget.

What the model is, honestly:

* A chain model. Binary ``r[i]`` (activation ``i`` is recomputed) and ``x[j, i]`` (it is recomputed from
  kept activation ``j``, or from the input batch), with ``x[j, i] <= 1 - r[j]`` and ``x[j, i] <= r[m]`` for
  every activation ``m`` between ``j`` and ``i`` in forward order: the source is the nearest kept one. On a
  graph whose kept activations form a chain (each recomputation reads only its source) this is exactly
  what the lowering does, and the predicted energy and live bytes equal the lowered program's (tests
  check every subset on small graphs). On graphs with branches (residual adds) a segment from ``j`` is
  computed with only ``j`` and the input available, so it may re-run more than the lowering will (which
  stops at any kept tensor): there the model's energy is an upper bound and its memory an estimate, and
  the plan it picks is checked by the real planner (:func:`emu.study.optimization.optimize`).
* The memory counted is the live set, the sum of the (aligned) tensors alive at a task: a lower bound of
  the arena the greedy allocator lays out. The caller tightens the budget by the fragmentation it finds.
* The input batch stays alive up to the last recomputation that reads it (variables ``u``).
* Exact when no two dropped activations share their first backward reader (one activation per backward
  task, as the lowering makes it); otherwise the memory of the second is counted conservatively.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix, hstack

from emu.memory.arena import aligned
from workloads.recompute import backward_readers, candidates, last_forward_use, segment
from workloads.step_program import StepProgram


@dataclass(frozen=True)
class RecomputeChoice:
    """The activations to recompute and what the model predicts for them.

    Attributes
    ----------
    layers : tuple of str
        Layers whose kept output is recomputed (the plan's ``recompute``).
    extra_energy_j : float
        Energy of the recomputation tasks.
    peak_live_bytes : int
        The largest live set of the step (arena lower bound, no reserve).
    gap : float
        HiGHS's relative optimality gap at the end (0 when proven optimal).
    """

    layers: tuple[str, ...]
    extra_energy_j: float
    peak_live_bytes: int
    gap: float = 0.0


@dataclass(frozen=True)
class _Pair:
    i: int
    j: int  # -1: from the input batch
    energy_j: float
    working_bytes: int
    reads_input: bool


class RecomputeModel:
    """The save-or-recompute MILP of one lowered step (built once, solved for any budget).

    Parameters
    ----------
    program
        The step lowered without recomputation.
    task_energy_j
        Energy of each task of ``program`` (same order), from the cost model.
    max_span
        The longest run of consecutive recomputed activations considered (None: any). A run of ``s``
        re-runs its first segment ``s`` times, so long runs are rarely worth their energy; bounding them
        keeps the program small on deep graphs (``s + 1`` sources per activation instead of all before it).
    """

    def __init__(
        self, program: StepProgram, task_energy_j: Sequence[float], max_span: int | None = None
    ) -> None:
        found = candidates(program)
        self.layers = tuple(found)
        names = list(found.values())
        self.k = k = len(names)
        tensors, life = program.tensors, program.lifetimes
        size = {n: aligned(t.size_bytes) for n, t in tensors.items()}
        readers = backward_readers(program)
        self.a = [size[t] for t in names]
        self.b = [readers[t][0] for t in names]
        lf = [last_forward_use(program, t) for t in names]
        n = self.n = len(program.tasks)
        delta = [0] * (n + 1)
        for name, (first, last) in life.items():
            delta[first] += size[name]
            delta[last + 1] -= size[name]
        live = list(np.cumsum(delta[:n]))
        in_size = size.get("input", 0)
        in_last = life["input"][1] if "input" in life else n
        self.pairs: list[_Pair] = []
        for i, tensor in enumerate(names):
            lowest = 0 if max_span is None else max(0, i - 1 - max_span)
            sources = ([-1] if max_span is None or i <= max_span else []) + list(range(lowest, i))
            for j in sources:
                seg = segment(program, tensor, [] if j < 0 else [names[j]], readers)
                if j >= 0 and names[j] not in seg.sources:
                    continue  # the segment does not start from j: the same as another pair
                energy = sum(task_energy_j[t] for t in seg.tasks)
                self.pairs.append(
                    _Pair(i, j, energy, _working_bytes(program, seg, size), "input" in seg.sources)
                )
        p = len(self.pairs)
        by_target: list[list[int]] = [[] for _ in range(k)]
        for q, pair in enumerate(self.pairs):
            by_target[pair.i].append(q)
        self.nvars = k + p + n + 1  # r, x, u[0..n]
        u0 = k + p
        # memory rows: const + coefs . v <= budget
        mem_rows: list[tuple[dict[int, float], float]] = []
        self.floor_bytes = 0
        for t in range(n):
            coefs: dict[int, float] = {i: -self.a[i] for i in range(k) if lf[i] < t < self.b[i]}
            if t > in_last and in_size:
                coefs[u0 + t + 1] = in_size
            if coefs:
                mem_rows.append((coefs, float(live[t])))
            else:
                self.floor_bytes = max(self.floor_bytes, int(live[t]))
        for i in range(k):
            bi = self.b[i]
            across = sum(size[m] for m, (f, la) in life.items() if f <= bi - 1 and la >= bi)
            coefs = {i: -self.a[i]}
            for m in range(k):
                f, la = life[names[m]]
                if m != i and f <= bi - 1 and la >= bi and self.b[m] > bi:
                    coefs[m] = -self.a[m]
            if in_last < bi and in_size:
                coefs[u0 + bi] = in_size
            for q in by_target[i]:
                coefs[k + q] = self.pairs[q].working_bytes
            mem_rows.append((coefs, float(across)))
        # structural rows: lo <= coefs . v <= hi
        rows: list[tuple[dict[int, float], float, float]] = []
        for i in range(k):
            coefs = {k + q: 1.0 for q in by_target[i]}
            coefs[i] = -1.0
            rows.append((coefs, 0.0, 0.0))
        for q, pair in enumerate(self.pairs):
            if pair.j >= 0:
                rows.append(({k + q: 1.0, pair.j: 1.0}, -np.inf, 1.0))
            between = range(pair.j + 1, pair.i)
            if between:  # every activation between source and target is recomputed (aggregated)
                coefs = {m: -1.0 for m in between}
                coefs[k + q] = float(len(between))
                rows.append((coefs, -np.inf, 0.0))
            if pair.reads_input:
                rows.append(({k + q: 1.0, u0 + self.b[pair.i]: -1.0}, -np.inf, 0.0))
        for t in range(n):
            rows.append(({u0 + t + 1: 1.0, u0 + t: -1.0}, -np.inf, 0.0))
        self._mem = _matrix([c for c, _ in mem_rows], self.nvars)
        self._mem_const = np.array([c for _, c in mem_rows])
        self._rows = LinearConstraint(
            _matrix([c for c, _, _ in rows], self.nvars),
            np.array([lo for _, lo, _ in rows]),
            np.array([hi for _, _, hi in rows]),
        )
        self._cost = np.zeros(self.nvars)
        self._cost[k : k + p] = [pair.energy_j for pair in self.pairs]
        self._integrality = np.zeros(self.nvars)
        self._integrality[: k + p] = 1

    def solve(self, budget_live_bytes: int, time_limit_s: float = 60.0) -> RecomputeChoice | None:
        """The least-energy choice whose live set stays within ``budget_live_bytes`` (None: none does)."""
        if self.floor_bytes > budget_live_bytes:
            return None
        if not self.k:
            return RecomputeChoice((), 0.0, self.floor_bytes)
        memory = LinearConstraint(self._mem, -np.inf, budget_live_bytes - self._mem_const)
        result = milp(
            self._cost,
            constraints=[self._rows, memory],
            integrality=self._integrality,
            bounds=Bounds(0, 1),
            options={"time_limit": time_limit_s},
        )
        if result.x is None:
            return None
        return self._choice(result.x, float(getattr(result, "mip_gap", 0.0) or 0.0))

    def min_peak_bytes(self, time_limit_s: float = 60.0) -> int:
        """The smallest live peak any choice reaches (recomputing as much as helps).

        With HiGHS stopped by ``time_limit_s``, the peak of the best choice found by then (an upper bound).
        """
        return self.tightest(time_limit_s).peak_live_bytes

    def tightest(self, time_limit_s: float = 60.0) -> RecomputeChoice:
        """The choice with the smallest live peak (:meth:`min_peak_bytes`)."""
        if not self.k:
            return RecomputeChoice((), 0.0, self.floor_bytes)
        rows = self._mem.shape[0]
        mem = hstack([self._mem, csr_matrix(-np.ones((rows, 1)))]).tocsr()
        structural = LinearConstraint(
            hstack([self._rows.A, csr_matrix((self._rows.A.shape[0], 1))]).tocsr(),
            self._rows.lb,
            self._rows.ub,
        )
        cost = np.zeros(self.nvars + 1)
        cost[-1] = 1.0
        integrality = np.append(self._integrality, 0)
        upper = np.append(np.ones(self.nvars), np.inf)
        result = milp(
            cost,
            constraints=[structural, LinearConstraint(mem, -np.inf, -self._mem_const)],
            integrality=integrality,
            bounds=Bounds(np.zeros(self.nvars + 1), upper),
            options={"time_limit": time_limit_s},
        )
        if result.x is None:  # nothing found in time: keep everything
            return self._choice(np.zeros(self.nvars), 0.0)
        return self._choice(result.x[:-1], float(getattr(result, "mip_gap", 0.0) or 0.0))

    def predict(self, layers: Sequence[str]) -> RecomputeChoice:
        """What the model says of recomputing ``layers`` (each from the nearest kept activation)."""
        chosen = {self.layers.index(name) for name in layers}
        v = np.zeros(self.nvars)
        for i in chosen:
            v[i] = 1
            j = max((m for m in range(i) if m not in chosen), default=-1)
            q = next((q for q, p in enumerate(self.pairs) if p.i == i and p.j == j), None)
            if q is None:
                raise ValueError(f"{self.layers[i]}: no pair from {j} (a run longer than max_span?)")
            v[self.k + q] = 1
            if self.pairs[q].reads_input:
                v[self.k + len(self.pairs) : self.k + len(self.pairs) + self.b[i] + 1] = 1
        return self._choice(v, 0.0)

    def _choice(self, v: np.ndarray, gap: float) -> RecomputeChoice:
        v = np.round(v, 6)
        chosen = tuple(self.layers[i] for i in range(self.k) if v[i] > 0.5)
        energy = float(sum(p.energy_j for q, p in enumerate(self.pairs) if v[self.k + q] > 0.5))
        peak = max(float((self._mem @ v + self._mem_const).max(initial=0.0)), self.floor_bytes)
        return RecomputeChoice(chosen, energy, int(round(peak)), gap)


def _working_bytes(program: StepProgram, seg, size: dict[str, int]) -> int:  # type: ignore[no-untyped-def]
    """The most bytes the recomputation's own tensors hold at once (its output stays alive to the end)."""
    fresh = {
        n
        for t in seg.tasks
        for n in program.tasks[t].writes
        if n.startswith("act:") or program.tensors[n].category == "workspace"
    }
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for pos, t in enumerate(seg.tasks):
        task = program.tasks[t]
        for name in (*task.reads, *task.writes):
            if name in fresh:
                first.setdefault(name, pos)
                last[name] = pos
    last[seg.tensor] = len(seg.tasks) - 1
    return max(sum(size[n] for n in fresh if first[n] <= pos <= last[n]) for pos in range(len(seg.tasks)))


def _matrix(rows: list[dict[int, float]], columns: int) -> csr_matrix:
    data, indices, indptr = [], [], [0]
    for coefs in rows:
        for col, value in sorted(coefs.items()):
            indices.append(col)
            data.append(value)
        indptr.append(len(indices))
    return csr_matrix((data, indices, indptr), shape=(len(rows), columns))
