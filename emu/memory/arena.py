"""The arena allocator: tensor offsets in one SRAM arena, greedy by size.

This is the greedy-by-size strategy of the best-known MCU inference planners (TensorFlow Lite Micro's
``GreedyMemoryPlanner``): place the largest buffers first, each at the lowest offset where it overlaps no
already placed buffer whose lifetime intersects its own.
"""

from __future__ import annotations

from bisect import insort
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
    placed: list[tuple[int, int, int, int]] = []  # (offset, end, first, last), kept sorted by offset
    offsets: dict[str, int] = {}
    sizes: dict[str, int] = {}
    peak = 0
    for buf in order:
        size = aligned(buf.size_bytes)
        first, last = buf.first, buf.last
        offset = 0
        for other_offset, other_end, other_first, other_last in placed:
            if other_first > last or first > other_last:
                continue  # not alive at the same time
            if offset + size <= other_offset:
                break  # the gap before this buffer is large enough
            if other_end > offset:
                offset = other_end
        insort(placed, (offset, offset + size, first, last))
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
