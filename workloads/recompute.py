"""Recomputation: drop an activation kept for backward after the forward pass, recompute it when needed.

A recomputed activation ``T`` lives only through the forward tasks that use it. Just before the first
backward task that reads it, the step re-runs the forward tasks that produced it (phase ``recompute``,
the same kernels, MACs and calls as in the forward pass) from the nearest tensors still alive then: the
kept activations (those not recomputed, alive at that point) and the input batch (whose lifetime then
stretches to the recomputation). The backward tasks read the recomputed copy ``re:T``; the segment's
intermediate outputs and workspaces are fresh tensors freed after their last reader in the segment.
Each recomputed activation has its own segment: two recomputed neighbours both start from the kept
tensor before them (no recomputed tensor serves as a source for another).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from workloads.errors import WorkloadError, did_you_mean
from workloads.program import persistent_lifetimes
from workloads.step_program import StepProgram, Task, Tensor

SOURCE_FREE = ("trained_weights",)
"""Categories a recomputation reads without re-running anything (persistent for the whole step)."""


@dataclass(frozen=True)
class Segment:
    """How one dropped activation is recomputed.

    Attributes
    ----------
    tensor : str
        The activation dropped after the forward pass (``act:<layer>``).
    tasks : tuple of int
        The forward tasks re-run, ascending (indices in the program without recomputation).
    sources : tuple of str
        The tensors alive at that point which the re-run reads (kept activations, the input batch).
    at : int
        The first backward task that reads ``tensor``: the recomputation runs just before it.
    """

    tensor: str
    tasks: tuple[int, ...]
    sources: tuple[str, ...]
    at: int


def candidates(program: StepProgram) -> dict[str, str]:
    """Activations a backward task reads, which recomputation can drop: ``{layer: tensor}``, forward order."""
    found: dict[str, str] = {}
    readers = backward_readers(program)
    for name, tensor in sorted(program.tensors.items(), key=lambda kv: program.lifetimes[kv[0]][0]):
        if name.startswith("act:") and tensor.category == "activations_saved" and name in readers:
            found[tensor.layer] = name
    return found


def backward_readers(program: StepProgram) -> dict[str, list[int]]:
    """Tensor -> the backward tasks that read it, ascending."""
    readers: dict[str, list[int]] = {}
    for task in program.tasks:
        if task.phase == "backward":
            for name in task.reads:
                readers.setdefault(name, []).append(task.index)
    return readers


def last_forward_use(program: StepProgram, tensor: str) -> int:
    """The last forward task that reads or writes ``tensor``."""
    uses = [t.index for t in program.tasks if t.phase == "forward" and tensor in (*t.reads, *t.writes)]
    return max(uses)


def segment(
    program: StepProgram, tensor: str, kept: Iterable[str], readers: dict[str, list[int]] | None = None
) -> Segment:
    """The forward tasks that recompute ``tensor`` from the kept activations ``kept`` and the input.

    Walks the forward tasks back from the last one writing ``tensor``: a task writing a tensor still
    needed is re-run, and what it reads is needed in turn unless it is a source (a kept activation alive
    at the recomputation, the input batch, or trained weights). ``readers`` is
    :func:`backward_readers` of ``program``, when the caller has it already.
    """
    at = (readers or backward_readers(program))[tensor][0]
    available = {"input"} | {k for k in kept if k != tensor and program.lifetimes[k][1] >= at}
    needed = {tensor}
    chosen: list[int] = []
    sources: set[str] = set()
    last = max(t.index for t in program.tasks if t.phase == "forward" and tensor in t.writes)
    for task in reversed(program.tasks[: last + 1]):
        if task.phase != "forward" or not needed.intersection(task.writes):
            continue
        chosen.append(task.index)
        for name in task.reads:
            if program.tensors[name].category in SOURCE_FREE:
                continue
            if name in available:
                sources.add(name)
            else:
                needed.add(name)
    return Segment(tensor, tuple(reversed(chosen)), tuple(sorted(sources)), at)


def segments(program: StepProgram, layers: Iterable[str]) -> tuple[Segment, ...]:
    """The segment of each recomputed layer's activation, in the order they run.

    Raises
    ------
    WorkloadError
        If a layer's output is not an activation the backward pass keeps.
    """
    found = candidates(program)
    dropped = set()
    for layer in layers:
        if layer not in found:
            raise WorkloadError(
                program.plan.source,
                "plan.recompute",
                layer,
                "a layer whose output the backward pass keeps (one of "
                f"{', '.join(found) or 'none under this plan'})" + did_you_mean(layer, list(found)),
            )
        dropped.add(found[layer])
    kept = [t for t in found.values() if t not in dropped]
    order = [t for t in found.values() if t in dropped]
    readers = backward_readers(program)
    result = [segment(program, tensor, kept, readers) for tensor in order]
    return tuple(sorted(result, key=lambda s: (s.at, order.index(s.tensor))))


def renamed(name: str, seg: Segment) -> str:
    """The name of ``name``'s copy in the recomputation of ``seg``."""
    return f"re:{name}" if name == seg.tensor else f"re:{name}@{seg.tensor}"


def with_recomputation(program: StepProgram, layers: Iterable[str]) -> StepProgram:
    """``program`` with the activations of ``layers`` recomputed instead of kept (module rules)."""
    segs = segments(program, layers)
    tensors = dict(program.tensors)
    by_at: dict[int, list[Segment]] = {}
    for seg in segs:
        by_at.setdefault(seg.at, []).append(seg)
    dropped = {seg.tensor for seg in segs}
    tasks: list[Task] = []

    def emit(task: Task, **changes: object) -> None:
        tasks.append(replace(task, index=len(tasks), **changes))  # type: ignore[arg-type]

    for task in program.tasks:
        for seg in by_at.get(task.index, []):
            fresh: set[str] = set()
            for index in seg.tasks:
                base = program.tasks[index]
                for name in base.writes:
                    tensor = program.tensors[name]
                    if name.startswith("act:") or tensor.category == "workspace":
                        fresh.add(name)
            for name in fresh:
                old = program.tensors[name]
                category = old.category if name == seg.tensor else "transient"
                category = "workspace" if old.category == "workspace" else category
                tensors[renamed(name, seg)] = Tensor(renamed(name, seg), old.size_bytes, category, old.layer)
            for index in seg.tasks:
                base = program.tasks[index]
                emit(
                    base,
                    phase="recompute",
                    reads=tuple(renamed(n, seg) if n in fresh else n for n in base.reads),
                    writes=tuple(renamed(n, seg) if n in fresh else n for n in base.writes),
                )
        if task.phase == "backward" and dropped.intersection(task.reads):
            emit(task, reads=tuple(f"re:{n}" if n in dropped else n for n in task.reads))
        else:
            emit(task)
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for task in tasks:
        for name in (*task.reads, *task.writes):
            first.setdefault(name, task.index)
            last[name] = task.index
    done = tuple(tasks)
    persistent_lifetimes(program.plan, done, tensors, first, last)
    lifetimes = {n: (first[n], last[n]) for n in tensors if n in first}
    return StepProgram(
        program.graph,
        program.plan,
        program.training,
        done,
        {n: t for n, t in tensors.items() if n in lifetimes},
        lifetimes,
        program.gradient_nodes,
    )
