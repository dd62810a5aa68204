"""Micro-batching with gradient accumulation: activations of one micro-batch, work of the whole batch."""

import pytest

import emu
from emu.memory.memory_plan import plan_memory
from workloads.errors import WorkloadError
from workloads.plan import TrainingPlan
from workloads.program import lower
from workloads.zoo import build_model

DSCNN = build_model("mlperf-dscnn")


def scenario(**plan):
    return emu.Scenario.from_dict(
        {"device": {"name": "stm32f746"}, "model": {"name": "mlperf-dscnn"}, "plan": plan}
    )


@pytest.mark.parametrize("update", ["full", "last:2", "bias"])
def test_micro_batches_shrink_the_peak_and_keep_the_work(update):
    whole = TrainingPlan(update=update, batch_size=8)
    micro = whole.with_changes(micro_batch_size=2)
    a, b = plan_memory(DSCNN, whole), plan_memory(DSCNN, micro)
    assert b.peak_sram_bytes < a.peak_sram_bytes
    assert b.program.tensors["input"].size_bytes * 4 == a.program.tensors["input"].size_bytes
    for field in ("macs", "elementwise_ops", "param_updates"):
        assert sum(getattr(t, field) for t in b.program.tasks) == sum(
            getattr(t, field) for t in a.program.tasks
        )
    assert [t.calls for t in b.program.tasks if t.phase != "update"] == [4] * sum(
        t.phase != "update" for t in b.program.tasks
    )
    assert all(t.calls == 1 for t in b.program.tasks if t.phase == "update")


def test_activations_are_those_of_one_micro_batch():
    micro = lower(DSCNN, TrainingPlan(batch_size=8, micro_batch_size=2))
    pairs = lower(DSCNN, TrainingPlan(batch_size=2))
    for name, tensor in pairs.tensors.items():
        if tensor.category in ("activations_saved", "transient", "input_batch"):
            assert micro.tensors[name].size_bytes == tensor.size_bytes


def test_the_gradient_accumulators_live_across_the_micro_steps():
    plan = TrainingPlan(batch_size=4, reorder=True)
    once = lower(DSCNN, plan)
    accumulating = lower(DSCNN, plan.with_changes(micro_batch_size=1))
    end_of_backward = max(t.index for t in accumulating.tasks if t.phase == "backward")
    for name, tensor in accumulating.tensors.items():
        if tensor.category == "gradients":
            first, last = accumulating.lifetimes[name]
            assert first == 0 and last >= end_of_backward
            assert last - first > once.lifetimes[name][1] - once.lifetimes[name][0]


def test_micro_batch_of_the_whole_batch_is_the_plain_plan():
    plain, same = TrainingPlan(batch_size=4), TrainingPlan(batch_size=4, micro_batch_size=4)
    assert lower(DSCNN, plain).tasks == lower(DSCNN, same).tasks
    assert plan_memory(DSCNN, plain).peak_sram_bytes == plan_memory(DSCNN, same).peak_sram_bytes


def test_a_step_of_n_micro_steps_takes_n_times_a_micro_batch_pass():
    micro = emu.simulate(scenario(batch_size=8, micro_batch_size=2), mode="analytical")
    pass_of_two = emu.simulate(scenario(batch_size=2), mode="analytical")
    a, b = micro.time_by_phase_s(), pass_of_two.time_by_phase_s()
    for phase in ("forward", "loss", "backward"):
        assert a[phase] == pytest.approx(4 * b[phase], rel=1e-9)
    assert a["update"] == pytest.approx(b["update"], rel=1e-9)
    whole = emu.simulate(scenario(batch_size=8), mode="analytical")
    assert micro.step_time_s > whole.step_time_s  # more kernel calls, same MACs
    assert micro.peak_sram_bytes < whole.peak_sram_bytes


@pytest.mark.parametrize("value", [3, 0, -1, True, 2.0, "2"])
def test_a_micro_batch_that_does_not_divide_the_batch_names_the_field(value):
    with pytest.raises(WorkloadError, match="plan.micro_batch_size"):
        TrainingPlan(batch_size=8, micro_batch_size=value)


def test_plan_documents_of_plans_without_micro_batches_are_unchanged():
    assert "micro_batch_size" not in TrainingPlan().to_dict()
    assert TrainingPlan(batch_size=4, micro_batch_size=1).to_dict()["micro_batch_size"] == 1
    assert "micro-batch 1 x4" in TrainingPlan(batch_size=4, micro_batch_size=1).describe()


def test_a_lifetime_of_a_micro_batched_plan_runs_its_inference_as_one_sample():
    s = emu.Scenario.from_toml(
        "examples/kws_coin_cell.toml", {"plan": {"batch_size": 4, "micro_batch_size": 2}}
    )
    assert emu.lifetime(s, horizon_s=86400).lifetime_s > 0
