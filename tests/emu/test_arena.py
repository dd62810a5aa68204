"""The greedy-by-size arena: live buffers never overlap, and the peak is at least the live set."""

from hypothesis import given, settings
from hypothesis import strategies as st

from emu.memory.arena import Buffer, aligned, live_bytes_per_step, plan_arena


@st.composite
def buffer_sets(draw):
    steps = draw(st.integers(1, 30))
    count = draw(st.integers(1, 40))
    buffers = []
    for i in range(count):
        first = draw(st.integers(0, steps - 1))
        last = draw(st.integers(first, steps - 1))
        buffers.append(Buffer(f"b{i}", draw(st.integers(1, 5000)), first, last))
    return buffers, steps


@settings(max_examples=200, deadline=None)
@given(buffer_sets())
def test_live_buffers_never_overlap(case):
    buffers, _ = case
    arena = plan_arena(buffers)
    for i, a in enumerate(buffers):
        for b in buffers[i + 1 :]:
            if a.overlaps_in_time(b):
                a0, b0 = arena.offsets[a.name], arena.offsets[b.name]
                assert a0 + aligned(a.size_bytes) <= b0 or b0 + aligned(b.size_bytes) <= a0


@settings(max_examples=200, deadline=None)
@given(buffer_sets())
def test_peak_is_at_least_the_largest_live_set_and_bounds_every_buffer(case):
    buffers, steps = case
    arena = plan_arena(buffers)
    assert arena.peak_bytes >= max(live_bytes_per_step(buffers, steps))
    assert arena.peak_bytes <= sum(aligned(b.size_bytes) for b in buffers)
    assert all(arena.offsets[b.name] % 4 == 0 for b in buffers)


def test_disjoint_lifetimes_share_memory():
    arena = plan_arena([Buffer("a", 100, 0, 1), Buffer("b", 100, 2, 3)])
    assert arena.peak_bytes == 100


def test_largest_first_placement():
    arena = plan_arena([Buffer("small", 8, 0, 2), Buffer("big", 64, 1, 3)])
    assert arena.offsets["big"] == 0 and arena.offsets["small"] == 64
