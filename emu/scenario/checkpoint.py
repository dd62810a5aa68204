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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emu.errors import ScenarioError

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
    def from_section(
        cls, section: Mapping[str, Any] | None, source: str = "checkpoint"
    ) -> CheckpointSettings:
        """Parse a scenario's ``[checkpoint]`` table (keys already checked by the scenario)."""
        return cls(**dict(section or {}), source=source)
