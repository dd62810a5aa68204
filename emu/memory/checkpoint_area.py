"""Where checkpoints go in flash: the slots a plan's trained state needs, and the energy to write one."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from emu.memory.memory_plan import MemoryPlan
from emu.scenario.checkpoint import PROGRESS_RECORD_BYTES, CheckpointSettings
from hw_models.flash import FlashSpec


@dataclass(frozen=True)
class CheckpointArea:
    """Where checkpoints go and what writing one costs.

    Attributes
    ----------
    size_bytes : int
        One checkpoint: trained weights, optimizer state and the progress record.
    slot_sectors : tuple[tuple[int, ...], ...]
        The sectors of each slot.
    erase_s : tuple[float, ...]
        Erase time of each slot (the sum over its sectors).
    program_s : float
        Programming one checkpoint.
    erase_power_w, program_power_w : float
        Supply power of the flash while erasing / programming.
    infeasible : str or None
        Why the area does not fit beside the firmware and the model, if it does not.
    """

    size_bytes: int
    slot_sectors: tuple[tuple[int, ...], ...]
    erase_s: tuple[float, ...]
    program_s: float
    erase_power_w: float
    program_power_w: float
    sector_erase_s: dict[int, float]
    infeasible: str | None = None

    @property
    def slots(self) -> int:
        return len(self.slot_sectors)

    def write_j(self, slot: int) -> float:
        """Energy of one complete checkpoint into ``slot``."""
        return self.erase_s[slot] * self.erase_power_w + self.program_s * self.program_power_w


def plan_area(
    memory: MemoryPlan, flash: FlashSpec, supply_voltage_v: float, settings: CheckpointSettings
) -> CheckpointArea:
    """Lay out ``settings.slots`` checkpoint slots at the end of ``flash`` and price one write."""
    tensors = memory.program.tensors.values()
    state = sum(t.size_bytes for t in tensors if t.category in ("trained_weights", "optimizer_state"))
    size = state + PROGRESS_RECORD_BYTES
    sizes = flash.sector_sizes_bytes
    slots: list[tuple[int, ...]] = []
    if flash.needs_erase:
        index = len(sizes) - 1
        for _ in range(settings.slots):
            held, sectors = 0, []
            while held < size and index >= 0:
                sectors.append(index)
                held += sizes[index]
                index -= 1
            if held < size:
                break
            slots.append(tuple(sorted(sectors)))
        lowest = min((s for slot in slots for s in slot), default=len(sizes))
        free = sum(sizes[lowest:]) if len(slots) == settings.slots else 0
        start = sum(sizes[:lowest])
    else:  # byte-writable (MRAM): slots are byte ranges, nothing is erased
        slots = [()] * settings.slots
        free, start = settings.slots * size, flash.size_bytes - settings.slots * size
    infeasible = None
    if settings.policy != "never" and (free < settings.slots * size or start < memory.flash_used_bytes):
        infeasible = (
            f"flash: {settings.slots} checkpoint slot(s) of {size:,} B do not fit after the "
            f"{memory.flash_used_bytes:,} B of firmware and parameters in {flash.size_bytes:,} B"
        )
        slots = slots or [()]
    erase = tuple(
        sum(flash.sector_erase_times_s[i] for i in slot) if flash.needs_erase else 0.0 for slot in slots
    )
    # A dedicated area: only the checkpoint's own bytes are programmed (no read-modify-write).
    program_s = ceil(size / flash.program_unit_bytes) * flash.program_time_s
    return CheckpointArea(
        size_bytes=size,
        slot_sectors=tuple(slots),
        erase_s=erase,
        program_s=program_s,
        erase_power_w=flash.erase_current_a * supply_voltage_v,
        program_power_w=flash.program_current_a * supply_voltage_v,
        sector_erase_s={i: flash.sector_erase_times_s[i] for slot in slots for i in slot},
        infeasible=infeasible,
    )
