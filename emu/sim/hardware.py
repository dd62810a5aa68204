"""The memories of the simulated chip: SRAM (arena occupancy, capacity) and flash (layout, wear, writes).

SRAM holds the static training arena at the memory planner's offsets: at any moment its use is the
reserved firmware share plus the end of the highest live buffer, plus the staging buffers of weights the
DMA prefetches (kept above the arena). Its peak over a step is therefore exactly the planner's peak
when nothing is prefetched. A request beyond the device's SRAM is recorded as an infeasibility (with
time, what asked and by how much) and the run goes on, so the report still prices the step.

Flash holds the firmware, then every layer's stored parameters in graph order. Writing the trained
weights back erases every sector a trained layer's bytes touch and programs the whole sector again (the
untouched bytes of an erased sector must be rewritten: read-modify-write); byte-writable memories (MRAM)
program only the changed bytes. Each written sector's wear count goes up by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from emu.memory.memory_plan import MemoryPlan
from hw_models.flash import FlashSpec
from workloads.step_program import stored_param_bytes


class Sram:
    """Occupancy of the device SRAM during a run.

    Parameters
    ----------
    memory : MemoryPlan
        Gives each tensor's arena offset and aligned size.
    capacity_bytes : int
        The device's SRAM.
    reserved_bytes : int
        The firmware's share, outside the arena.
    """

    def __init__(
        self, memory: MemoryPlan, capacity_bytes: int, reserved_bytes: int, samples: bool = False
    ) -> None:
        self.offsets = memory.arena.offsets
        self.sizes = memory.arena.sizes
        self.capacity_bytes = capacity_bytes
        self.reserved_bytes = reserved_bytes
        self.arena_bytes = memory.arena.peak_bytes
        self.live: dict[str, int] = {}  # tensor -> end offset
        self.staging_bytes = 0
        self.peak_bytes = reserved_bytes
        self.infeasible: list[str] = []
        self.keep_samples = samples
        self.samples: list[tuple[float, int]] = []

    @property
    def used_bytes(self) -> int:
        extent = max(self.live.values(), default=0)
        return self.reserved_bytes + extent + self.staging_bytes

    @property
    def free_above_arena_bytes(self) -> int:
        """Room for staging buffers: the SRAM beyond the reserved share, the whole arena and staging."""
        return self.capacity_bytes - self.reserved_bytes - self.arena_bytes - self.staging_bytes

    def _changed(self, now_s: float, what: str) -> None:
        used = self.used_bytes
        if used > self.peak_bytes:
            self.peak_bytes = used
            if used > self.capacity_bytes and not self.infeasible:
                self.infeasible.append(
                    f"SRAM: {what} at t = {now_s:.6g} s needs {used:,} B of {self.capacity_bytes:,} B "
                    f"({used - self.capacity_bytes:,} B over)"
                )
        if self.keep_samples:
            self.samples.append((now_s, used))

    def allocate(self, now_s: float, names: list[str], what: str) -> None:
        for name in names:
            self.live[name] = self.offsets[name] + self.sizes[name]
        if names:
            self._changed(now_s, what)

    def free(self, now_s: float, names: list[str]) -> None:
        for name in names:
            self.live.pop(name, None)
        if names and self.keep_samples:
            self.samples.append((now_s, self.used_bytes))

    def stage(self, now_s: float, size_bytes: int, what: str) -> None:
        self.staging_bytes += size_bytes
        self._changed(now_s, what)

    def unstage(self, now_s: float, size_bytes: int) -> None:
        self.staging_bytes -= size_bytes
        if self.keep_samples:
            self.samples.append((now_s, self.used_bytes))


@dataclass(frozen=True)
class FlashWrite:
    """The flash work of writing the trained weights back.

    Attributes
    ----------
    sectors : tuple[int, ...]
        Indices of the sectors erased (or written, for byte-writable memory).
    erase_s : float
        Total erase time.
    program_bytes : int
        Bytes programmed (whole sectors after an erase).
    program_s : float
        Total program time.
    """

    sectors: tuple[int, ...]
    erase_s: float
    program_bytes: int
    program_s: float

    def pieces(self, flash: FlashSpec, supply_v: float) -> tuple[WritePiece, ...]:
        """The flash work in order: one erase per sector (where the memory erases), then the programming.

        The one place write-back power and time are priced: the event engine, the analytical sum and the
        lifetime's activities all read these pieces.
        """
        pieces = []
        for sector in self.sectors:
            erase_s = flash.sector_erase_times_s[sector] if flash.needs_erase else 0.0
            if erase_s > 0:
                power_w = flash.erase_current_a * supply_v
                pieces.append(WritePiece("erase", f"sector {sector}", sector, erase_s, power_w))
        if self.program_s > 0:
            power_w = flash.program_current_a * supply_v
            pieces.append(WritePiece("program", "", None, self.program_s, power_w))
        return tuple(pieces)


@dataclass(frozen=True)
class WritePiece:
    """One erase or program operation of a write-back: what, on which sector, how long, at what power."""

    action: str
    target: str
    sector: int | None
    duration_s: float
    power_w: float


def layer_ranges(memory: MemoryPlan, firmware_flash_bytes: int) -> dict[str, tuple[int, int]]:
    """Flash byte range of each layer's stored parameters: firmware first, then layers in graph order."""
    program = memory.program
    stored = stored_param_bytes(program.graph, program.plan)
    ranges, address = {}, firmware_flash_bytes
    for node in program.graph:
        if node.name in stored:
            ranges[node.name] = (address, address + stored[node.name])
            address += stored[node.name]
    return ranges


def plan_write_back(memory: MemoryPlan, flash: FlashSpec, firmware_flash_bytes: int) -> FlashWrite:
    """Which sectors writing back the trained weights erases and programs, and how long it takes."""
    program = memory.program
    trained = {t.layer: t.size_bytes for t in program.tensors.values() if t.category == "trained_weights"}
    ranges = layer_ranges(memory, firmware_flash_bytes)
    spans = [
        (start, start + min(trained[layer], end - start))
        for layer, (start, end) in ranges.items()
        if trained.get(layer)
    ]
    starts, address = [], 0
    for size in flash.sector_sizes_bytes:
        starts.append(address)
        address += size
    touched = sorted(
        {
            i
            for i, (s, size) in enumerate(zip(starts, flash.sector_sizes_bytes, strict=True))
            for a, b in spans
            if a < s + size and s < b
        }
    )
    if flash.needs_erase:
        erase_s = sum(flash.sector_erase_times_s[i] for i in touched)
        program_bytes = sum(flash.sector_sizes_bytes[i] for i in touched)
    else:
        erase_s = 0.0
        program_bytes = sum(b - a for a, b in spans)
    units = ceil(program_bytes / flash.program_unit_bytes)
    return FlashWrite(tuple(touched), erase_s, program_bytes, units * flash.program_time_s)
