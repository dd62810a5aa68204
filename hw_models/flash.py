"""Non-volatile memory (embedded flash, external QSPI NOR, MRAM) as frozen, self-validating data."""

from __future__ import annotations

from dataclasses import dataclass

from hw_models.checks import check_count, check_number
from hw_models.errors import SpecError

__all__ = ["FlashSpec"]


@dataclass(frozen=True)
class FlashSpec:
    """Non-volatile program/data memory and the cost of writing it.

    Attributes
    ----------
    sector_sizes_bytes : tuple[int, ...]
        Erase-unit sizes in address order (non-uniform on e.g. STM32F7); sums to the flash size.
    sector_erase_times_s : tuple[float, ...]
        Erase time of each sector, parallel to ``sector_sizes_bytes`` (zeros if ``needs_erase`` is False).
    program_unit_bytes : int
        Smallest programmable unit (word, double word, flash word, page).
    program_time_s : float
        Time to program one unit.
    program_current_a : float
        Supply current while programming.
    erase_current_a : float
        Supply current while erasing (0 if ``needs_erase`` is False).
    endurance_cycles : int or None
        Program/erase cycles per sector; None where the vendor states no figure.
    external : bool
        Off-chip (QSPI NOR) rather than embedded.
    needs_erase : bool
        False for byte-writable MRAM/FRAM.
    read_wait_states : int or None
        Wait states at the maximum clock, for embedded flash.
    read_width_bytes : int or None
        Bytes fetched per flash read access.
    read_throughput_bytes_per_s : float or None
        Sustained execute-in-place read rate, where it is stated directly (external flash).
    """

    sector_sizes_bytes: tuple[int, ...]
    sector_erase_times_s: tuple[float, ...]
    program_unit_bytes: int
    program_time_s: float
    program_current_a: float
    erase_current_a: float
    endurance_cycles: int | None
    external: bool
    needs_erase: bool
    read_wait_states: int | None = None
    read_width_bytes: int | None = None
    read_throughput_bytes_per_s: float | None = None

    def __post_init__(self) -> None:
        owner = "FlashSpec"
        if not self.sector_sizes_bytes:
            raise SpecError(owner, "sector_sizes_bytes", self.sector_sizes_bytes, "must list at least one")
        for i, size in enumerate(self.sector_sizes_bytes):
            check_count(owner, f"sector_sizes_bytes[{i}]", size)
        if len(self.sector_erase_times_s) != len(self.sector_sizes_bytes):
            raise SpecError(
                owner, "sector_erase_times_s", len(self.sector_erase_times_s), "must give one per sector"
            )
        for i, t in enumerate(self.sector_erase_times_s):
            check_number(owner, f"sector_erase_times_s[{i}]", t, allow_zero=not self.needs_erase)
        check_count(owner, "program_unit_bytes", self.program_unit_bytes)
        check_number(owner, "program_time_s", self.program_time_s)
        check_number(owner, "program_current_a", self.program_current_a)
        check_number(owner, "erase_current_a", self.erase_current_a, allow_zero=not self.needs_erase)
        if self.endurance_cycles is not None:
            check_count(owner, "endurance_cycles", self.endurance_cycles)
        if self.read_wait_states is not None:
            check_count(owner, "read_wait_states", self.read_wait_states, minimum=0)
        if self.read_width_bytes is not None:
            check_count(owner, "read_width_bytes", self.read_width_bytes)
        if self.read_throughput_bytes_per_s is not None:
            check_number(owner, "read_throughput_bytes_per_s", self.read_throughput_bytes_per_s)

    @property
    def size_bytes(self) -> int:
        """Total size: the sum of the sectors."""
        return sum(self.sector_sizes_bytes)

    @property
    def largest_sector_bytes(self) -> int:
        """The largest erase unit (the worst case for a read-modify-write)."""
        return max(self.sector_sizes_bytes)

    @property
    def erase_time_s(self) -> float:
        """Erase time of the largest sector; per-sector times are in ``sector_erase_times_s``."""
        i = self.sector_sizes_bytes.index(self.largest_sector_bytes)
        return self.sector_erase_times_s[i]

    def read_throughput_at(self, clock_hz: float) -> float | None:
        """Read rate at ``clock_hz``: stated, or ``width x clock / (wait states + 1)``; None if unknown."""
        if self.read_throughput_bytes_per_s is not None:
            return self.read_throughput_bytes_per_s
        if self.read_wait_states is None or self.read_width_bytes is None:
            return None
        return self.read_width_bytes * clock_hz / (self.read_wait_states + 1)
