"""The memory planner: lifetimes rules, breakdown accounting and monotonicity."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emu.memory.memory_plan import plan_memory
from workloads.plan import TrainingPlan
from workloads.program import lower
from workloads.zoo import build_model, model_names

GRAPHS = {name: build_model(name) for name in model_names()}


def sram_sum(memory):
    return sum(v for k, v in memory.breakdown_bytes.items() if k != "frozen_weights_flash")


def _sweep(memory):
    """(arena extent, live bytes) per task, swept from the lowering's lifetimes and the placements alone.

    Checks on the way that no two buffers live at the same task overlap in the arena.
    """
    program, arena = memory.program, memory.arena
    extents, lives = [], []
    for task in range(len(program.tasks)):
        live = sorted(
            (arena.offsets[n], arena.offsets[n] + arena.sizes[n])
            for n, (first, last) in program.lifetimes.items()
            if first <= task <= last
        )
        for (_, end), (start, _) in zip(live, live[1:], strict=False):
            assert end <= start, f"buffers overlap in the arena at task {task}"
        extents.append(max((end for _, end in live), default=0))
        lives.append(sum(end - start for start, end in live))
    return extents, lives


@pytest.mark.parametrize("name", sorted(GRAPHS))
@pytest.mark.parametrize("update", ["none", "full", "last:1", "bias"])
def test_peak_and_breakdown_agree_with_an_interval_sweep_of_the_placements(name, update):
    memory = plan_memory(GRAPHS[name], TrainingPlan(update=update, batch_size=2), reserved_sram_bytes=1024)
    extents, lives = _sweep(memory)
    assert memory.peak_sram_bytes == max(extents) + 1024
    breakdown = memory.breakdown_bytes
    assert breakdown["fragmentation"] == max(extents) - max(lives) >= 0
    in_use = sram_sum(memory) - breakdown["fragmentation"] - breakdown["reserved"]
    assert in_use == max(lives)


def test_frozen_layers_before_the_trained_ones_need_no_backward():
    program = lower(GRAPHS["mlperf-dscnn"], TrainingPlan(update="last:1"))
    backward_layers = {t.layer for t in program.tasks if t.phase == "backward"}
    assert backward_layers == {"dense_0"}
    assert not any(t.action == "backward_data" for t in program.tasks)


def test_bias_only_training_keeps_no_conv_inputs():
    program = lower(GRAPHS["mlperf-dscnn"], TrainingPlan(update="bias"))
    saved = [t for t in program.tensors.values() if t.category == "activations_saved"]
    assert saved and all(t.name.startswith("mask:") for t in saved)


def test_relu_keeps_a_one_bit_mask():
    program = lower(GRAPHS["lenet-digits"], TrainingPlan(update="full", batch_size=4))
    mask = program.tensors["mask:relu_0"]
    assert mask.size_bytes == 4 * 8 * 8 * 8 // 8


def test_reorder_frees_gradients_early_and_never_costs_more():
    graph = GRAPHS["mlperf-resnet8"]
    plain = plan_memory(graph, TrainingPlan(update="full"))
    reordered = plan_memory(graph, TrainingPlan(update="full", reorder=True))
    assert reordered.peak_sram_bytes < plain.peak_sram_bytes
    longest = max(b - a for n, (a, b) in reordered.program.lifetimes.items() if n.startswith("wgrad:"))
    assert longest <= 2


def test_int8_frozen_weights_are_a_quarter_of_fp32_in_flash():
    graph = GRAPHS["mlperf-mbv1-vww"]
    fp32 = plan_memory(graph, TrainingPlan(update="none"))
    int8 = plan_memory(graph, TrainingPlan(update="none", precision="int8"))
    assert int8.flash_used_bytes < 0.3 * fp32.flash_used_bytes


def test_optimizer_state_matches_slots():
    graph = GRAPHS["mlp"]
    trained = graph.params
    for optimizer, slots in (("sgd", 0), ("sgd-momentum", 1), ("adam", 2)):
        memory = plan_memory(graph, TrainingPlan(update="full", optimizer=optimizer))
        state = sum(t.size_bytes for t in memory.program.tensors.values() if t.category == "optimizer_state")
        assert state == slots * trained * 4


def test_sparse_update_holds_only_the_trained_channels_in_sram():
    graph = GRAPHS["mlperf-dscnn"]
    plan = TrainingPlan(update="sparse", sparse_weights={"conv2d_8": 0.25})
    program = lower(graph, plan)
    assert program.tensors["w:conv2d_8"].size_bytes == 64 * 16 * 4
    assert program.tensors["wgrad:conv2d_8"].size_bytes == 64 * 16 * 4


# each policy trains a subset of what the next one trains
NESTED = {"none": "last:1", "last:1": "last:2", "last:2": "last:3", "last:3": "full", "bias": "full"}


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(["mlperf-resnet8", "mlperf-dscnn", "lenet-digits", "mlp", "mlperf-autoencoder"]),
    batch=st.integers(1, 8),
    update=st.sampled_from(sorted(NESTED)),
    optimizer=st.sampled_from(["sgd", "sgd-momentum", "adam"]),
    precision=st.sampled_from(["fp32", "int8"]),
    reorder=st.booleans(),
)
def test_more_batch_or_more_trained_layers_never_needs_less_memory(
    name, batch, update, optimizer, precision, reorder
):
    graph = GRAPHS[name]
    plan = TrainingPlan(
        update=update, batch_size=batch, optimizer=optimizer, precision=precision, reorder=reorder
    )
    base = plan_memory(graph, plan)
    bigger_batch = plan_memory(graph, plan.with_changes(batch_size=batch + 1))
    more_layers = plan_memory(graph, plan.with_changes(update=NESTED[update]))
    for other in (bigger_batch, more_layers):
        assert max(other.live_bytes) >= max(base.live_bytes)


def test_inference_has_no_backward_and_no_gradients():
    memory = plan_memory(GRAPHS["mlperf-resnet8"], TrainingPlan(update="none"))
    assert {t.phase for t in memory.program.tasks} == {"forward"}
    assert memory.breakdown_bytes["gradients"] == 0


def test_a_verdict_without_firmware_memory_says_so():
    from pathlib import Path

    import emu

    examples = Path(__file__).resolve().parents[2] / "examples"
    bare = emu.Scenario.from_toml(examples / "kws_nrf52840.toml").with_changes(
        reserved_sram_bytes=0, firmware_flash_bytes=0
    )
    assert any("memory.reserved_sram_kib" in n for n in emu.plan(bare).verdict.notes)
    reserved = bare.with_changes(reserved_sram_bytes=16 * 1024)
    assert not any("memory.reserved_sram_kib" in n for n in emu.plan(reserved).verdict.notes)
