"""The ``[session]`` section of a scenario: what one on-device training session does.

```toml
[session]
samples = 100            # training samples per epoch
epochs = 1
clock_mhz = 64           # or operating_point = 0 / "label"; default: the device's default point
sample_source = "flash"  # "sram": samples arrive in the input buffer; "flash": copied from flash per step
dma_overlap = true       # prefetch frozen weights from flash while the previous layer computes
write_back = true        # erase and program the trained weights into flash at the end
sleep_state = "system_on_idle"   # the state entered after the session (default: the first listed)
sleep_s = 0.0            # time to account in that state after the session
library = "optimized"    # kernel library of the core cost table ("optimized" | "reference")
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from math import ceil
from typing import Any

from emu.errors import ScenarioError

SESSION_KEYS = (
    "samples",
    "epochs",
    "clock_mhz",
    "operating_point",
    "sample_source",
    "dma_overlap",
    "write_back",
    "sleep_state",
    "sleep_s",
    "library",
)
"""The keys of the ``[session]`` section."""

SAMPLE_SOURCES = ("sram", "flash")


@dataclass(frozen=True)
class SessionSettings:
    """One training session, validated.

    Attributes
    ----------
    samples, epochs : int
        The session runs ``ceil(samples / batch) * epochs`` steps.
    clock_hz : float or None
        Run at this clock (an operating point's clock, or a lower one scaled from the next point up).
    operating_point : int or str or None
        Run at this operating point (index or label); exclusive with ``clock_hz``.
    sample_source : str
        ``sram`` (the input buffer is filled by the sensor path, no copy charged) or ``flash`` (each step
        copies its batch from flash into the input buffer, by DMA where there is memory-to-memory DMA).
    dma_overlap : bool
        Prefetch the next layer's frozen weights from flash into SRAM while the core computes.
    write_back : bool
        Erase and program the trained weights into flash at the end of the session.
    sleep_state : str or None
        The sleep state after the session (None: the device's first).
    sleep_s : float
        Time accounted in the sleep state.
    library : str or None
        Kernel library of the core cost table (None: the table's default).
    """

    samples: int = 1
    epochs: int = 1
    clock_hz: float | None = None
    operating_point: int | str | None = None
    sample_source: str = "sram"
    dma_overlap: bool = False
    write_back: bool = True
    sleep_state: str | None = None
    sleep_s: float = 0.0
    library: str | None = None
    source: str = "session"

    def __post_init__(self) -> None:
        src = self.source
        for key in ("samples", "epochs"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ScenarioError(src, f"session.{key}", value, "a positive integer")
        if self.clock_hz is not None and (
            isinstance(self.clock_hz, bool)
            or not isinstance(self.clock_hz, int | float)
            or self.clock_hz <= 0
        ):
            raise ScenarioError(src, "session.clock_mhz", self.clock_hz, "a positive number of MHz")
        if self.clock_hz is not None and self.operating_point is not None:
            raise ScenarioError(src, "session.operating_point", self.operating_point, "not with clock_mhz")
        if self.operating_point is not None and (
            isinstance(self.operating_point, bool) or not isinstance(self.operating_point, int | str)
        ):
            raise ScenarioError(
                src, "session.operating_point", self.operating_point, "an index or a label of the device"
            )
        if self.sample_source not in SAMPLE_SOURCES:
            raise ScenarioError(src, "session.sample_source", self.sample_source, "sram or flash")
        for key in ("dma_overlap", "write_back"):
            if not isinstance(getattr(self, key), bool):
                raise ScenarioError(src, f"session.{key}", getattr(self, key), "true or false")
        if self.sleep_state is not None and not isinstance(self.sleep_state, str):
            raise ScenarioError(src, "session.sleep_state", self.sleep_state, "a sleep state name")
        if isinstance(self.sleep_s, bool) or not isinstance(self.sleep_s, int | float) or self.sleep_s < 0:
            raise ScenarioError(src, "session.sleep_s", self.sleep_s, "a non-negative number of seconds")
        if self.library is not None and not isinstance(self.library, str):
            raise ScenarioError(src, "session.library", self.library, "a library name such as optimized")

    def steps(self, batch_size: int) -> int:
        """Training steps of the session: ``ceil(samples / batch) * epochs``."""
        return ceil(self.samples / batch_size) * self.epochs

    @classmethod
    def from_section(cls, section: Mapping[str, Any] | None, source: str = "session") -> SessionSettings:
        """Parse a scenario's ``[session]`` table (keys already checked by the scenario)."""
        values = dict(section or {})
        clock_mhz = values.pop("clock_mhz", None)
        if clock_mhz is not None:
            if isinstance(clock_mhz, bool) or not isinstance(clock_mhz, int | float) or clock_mhz <= 0:
                raise ScenarioError(source, "session.clock_mhz", clock_mhz, "a positive number of MHz")
            values["clock_hz"] = float(clock_mhz) * 1e6
        return cls(**values, source=source)
