"""Recomputation in the lowering: dropped activations, re-run forward tasks, the backward reading copies."""

import pytest

from emu.memory.memory_plan import plan_memory
from workloads.errors import WorkloadError
from workloads.plan import TrainingPlan
from workloads.program import lower
from workloads.recompute import candidates
from workloads.zoo import build_model

DSCNN = build_model("mlperf-dscnn")
RESNET = build_model("mlperf-resnet8")
PLAN = TrainingPlan(update="full", batch_size=2)


def every_other(graph, plan=PLAN):
    return tuple(list(candidates(lower(graph, plan)))[::2])


@pytest.mark.parametrize("graph", [DSCNN, RESNET], ids=["dscnn", "resnet8"])
def test_recomputed_activations_die_after_the_forward_pass_and_come_back_for_backward(graph):
    base = lower(graph, PLAN)
    layers = every_other(graph)
    program = lower(graph, PLAN.with_changes(recompute=layers))
    forward_end = max(t.index for t in program.tasks if t.phase == "forward")
    for layer in layers:
        tensor = candidates(base)[layer]
        assert program.lifetimes[tensor][1] <= forward_end
        readers = [t for t in program.tasks if t.phase == "backward" and f"re:{tensor}" in t.reads]
        assert readers and not any(tensor in t.reads for t in program.tasks if t.phase == "backward")
        writer = max(t.index for t in program.tasks if f"re:{tensor}" in t.writes)
        assert program.tasks[writer].phase == "recompute" and writer < readers[0].index
    # every tensor a recomputation reads is alive then, and holds what the forward pass left in it
    for task in program.tasks:
        for name in task.reads:
            first, last = program.lifetimes[name]
            assert first <= task.index <= last
            if task.phase == "recompute" and not name.startswith("re:"):
                assert name not in {candidates(base)[layer] for layer in layers}


def test_recomputation_adds_forward_work_and_leaves_the_rest():
    base = lower(DSCNN, PLAN)
    program = lower(DSCNN, PLAN.with_changes(recompute=every_other(DSCNN)))
    for phase in ("forward", "loss", "backward", "update"):
        assert sum(t.macs for t in program.tasks if t.phase == phase) == sum(
            t.macs for t in base.tasks if t.phase == phase
        )
    extra = [t for t in program.tasks if t.phase == "recompute"]
    assert extra and all(t.action == "forward" for t in extra)
    by_layer = {t.layer: t.macs for t in base.tasks if t.phase == "forward"}
    assert all(t.macs == by_layer[t.layer] for t in extra)


def test_recomputing_every_kept_activation_lowers_the_live_peak():
    keep = plan_memory(DSCNN, PLAN)
    drop = plan_memory(DSCNN, PLAN.with_changes(recompute=tuple(candidates(keep.program))))
    assert max(drop.live_bytes) < max(keep.live_bytes)
    assert drop.peak_sram_bytes < keep.peak_sram_bytes


def test_a_layer_whose_output_is_not_kept_names_the_field_and_suggests():
    with pytest.raises(WorkloadError, match=r"plan.recompute.*conv2d_9.*did you mean"):
        lower(DSCNN, PLAN.with_changes(recompute=("conv2d_9",)))
    with pytest.raises(WorkloadError, match="plan.recompute"):
        TrainingPlan(recompute="conv2d_1")


def test_an_empty_recompute_list_is_the_plain_plan():
    assert lower(DSCNN, PLAN).tasks == lower(DSCNN, PLAN.with_changes(recompute=())).tasks
    assert "recompute" not in PLAN.to_dict()
    assert PLAN.with_changes(recompute=("conv2d_1",)).to_dict()["recompute"] == ["conv2d_1"]
