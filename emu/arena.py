"""The arena allocator: tensor offsets in one SRAM arena, greedy by size.

This is the greedy-by-size strategy of the best-known MCU inference planners (TensorFlow Lite Micro's
``GreedyMemoryPlanner``): place the largest buffers first, each at the lowest offset where it overlaps no
already placed buffer whose lifetime intersects its own.
"""

from __future__ import annotations

from dataclasses import dataclass

ALIGNMENT_BYTES = 4
"""Every buffer starts on a 32-bit word, the natural alignment of fp32 and int32 data on Cortex-M."""


@dataclass(frozen=True)
class Buffer:
    """A request: ``size_bytes`` live from task ``first`` to task ``last`` (inclusive)."""

    name: str
    size_bytes: int
    first: int
    last: int

    def overlaps_in_time(self, other: Buffer) -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass(frozen=True)
class ArenaPlan:
    """Offsets of every buffer and the arena size they need."""

    offsets: dict[str, int]
    sizes: dict[str, int]
    peak_bytes: int


def aligned(size_bytes: int) -> int:
    """``size_bytes`` rounded up to the arena alignment."""
    return -(-size_bytes // ALIGNMENT_BYTES) * ALIGNMENT_BYTES


def plan_arena(buffers: list[Buffer]) -> ArenaPlan:
    """Place ``buffers`` greedily by size (ties: earlier first use, then name, so the result is stable)."""
    order = sorted(buffers, key=lambda b: (-aligned(b.size_bytes), b.first, b.name))
    placed: list[tuple[int, int, Buffer]] = []  # (offset, aligned size, buffer)
    offsets: dict[str, int] = {}
    sizes: dict[str, int] = {}
    peak = 0
    for buf in order:
        size = aligned(buf.size_bytes)
        conflicts = sorted((o, s) for o, s, other in placed if other.overlaps_in_time(buf))
        offset = 0
        for other_offset, other_size in conflicts:
            if offset + size <= other_offset:
                break
            offset = max(offset, other_offset + other_size)
        placed.append((offset, size, buf))
        offsets[buf.name] = offset
        sizes[buf.name] = size
        peak = max(peak, offset + size)
    return ArenaPlan(offsets, sizes, peak)


def live_bytes_per_step(buffers: list[Buffer], steps: int) -> list[int]:
    """Aligned bytes alive at each step: a lower bound for any arena of these buffers."""
    delta = [0] * (steps + 1)
    for buf in buffers:
        delta[buf.first] += aligned(buf.size_bytes)
        delta[buf.last + 1] -= aligned(buf.size_bytes)
    live, total = [], 0
    for step in range(steps):
        total += delta[step]
        live.append(total)
    return live
