"""The ``[checkpoint]`` section and the checkpoint area in flash: what survives a power failure.

```toml
[checkpoint]
policy = "every_steps"   # "every_steps" | "end_of_session" | "never"
every_steps = 50         # with every_steps: after every 50th training step of a session
slots = 4                # wear levelling: rotate over 4 slots of the checkpoint area (1: rewrite one slot)
```

A checkpoint holds the trained weights, the optimizer state and a progress record (which session,
which step). It is written as flash is written: erase every sector of the slot (each erase adds one
cycle to that sector's wear), then program the bytes. Only a checkpoint whose program phase completes
counts; if the supply dies during its erase or program, that checkpoint is lost and the previous one
(in another slot, with wear levelling; none with a single slot, whose erase destroyed it) is what the
device restarts from. The area sits at the end of flash, slot after slot, each slot in whole sectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any

from emu.errors import ScenarioError
from emu.memory import MemoryPlan
from hw_models.flash import FlashSpec

CHECKPOINT_KEYS = ("policy", "every_steps", "slots")
"""The keys of the ``[checkpoint]`` section."""

POLICIES = ("every_steps", "end_of_session", "never")
PROGRESS_RECORD_BYTES = 16
"""Session number, step number and a CRC, so a restart can tell a complete checkpoint."""


@dataclass(frozen=True)
class CheckpointSettings:
    """The checkpoint policy, validated.

    Attributes
    ----------
    policy : str
        ``every_steps`` (after every ``every_steps``-th step), ``end_of_session`` or ``never``.
    every_steps : int
    slots : int
        Slots the writes rotate over (wear levelling); 1 rewrites the same sectors every time.
    """

    policy: str = "end_of_session"
    every_steps: int = 0
    slots: int = 1
    source: str = "checkpoint"

    def __post_init__(self) -> None:
        src = self.source
        if self.policy not in POLICIES:
            raise ScenarioError(src, "checkpoint.policy", self.policy, f"one of {', '.join(POLICIES)}")
        k = self.every_steps
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise ScenarioError(src, "checkpoint.every_steps", k, "a whole number of steps >= 1")
        if self.policy == "every_steps" and k < 1:
            raise ScenarioError(src, "checkpoint.every_steps", k, "a whole number >= 1 with every_steps")
        if isinstance(self.slots, bool) or not isinstance(self.slots, int) or self.slots < 1:
            raise ScenarioError(src, "checkpoint.slots", self.slots, "a whole number of slots >= 1")

    def after_steps(self, steps: int) -> tuple[int, ...]:
        """The step counts (1-based, within a session of ``steps`` steps) after which one is written."""
        if self.policy == "never":
            return ()
        if self.policy == "end_of_session":
            return (steps,)
        return tuple(range(self.every_steps, steps + 1, self.every_steps))

    @classmethod
    def from_section(cls, section: dict[str, Any] | None, source: str = "checkpoint") -> CheckpointSettings:
        """Parse a scenario's ``[checkpoint]`` table (keys already checked by the scenario)."""
        return cls(**dict(section or {}), source=source)


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
