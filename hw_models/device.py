"""A microcontroller as frozen, self-validating data in SI units.

Every class here is built by :func:`hw_models.load_device` from a TOML file under
``hw_models/data/devices/``; constructing one directly validates it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hw_models.checks import check_choice, check_count, check_number, check_text, suggest
from hw_models.errors import SpecError
from hw_models.flash import FlashSpec

__all__ = [
    "CORE_FAMILIES",
    "CoreSpec",
    "Device",
    "DmaSpec",
    "MemoryBank",
    "OperatingPoint",
    "SleepState",
]

CORE_FAMILIES: frozenset[str] = frozenset(
    {
        "cortex-m0plus",
        "cortex-m3",
        "cortex-m4",
        "cortex-m4f",
        "cortex-m7",
        "cortex-m33",
        "cortex-m55",
        "cortex-m85",
        "xtensa-lx6",
        "xtensa-lx7",
        "riscv32",
        "msp430",
    }
)


@dataclass(frozen=True)
class CoreSpec:
    """The CPU core(s).

    Attributes
    ----------
    family : str
        One of :data:`CORE_FAMILIES`, e.g. ``"cortex-m4f"``; core cost tables are keyed on it.
    has_fpu : bool
        Hardware single-precision floating point.
    has_dsp_simd : bool
        Packed-integer SIMD (Arm DSP extension, Xtensa vector extension): cheap int8 MACs.
    cores : int
        Number of application cores.
    """

    family: str
    has_fpu: bool
    has_dsp_simd: bool
    cores: int = 1

    def __post_init__(self) -> None:
        check_choice("CoreSpec", "family", self.family, CORE_FAMILIES)
        for name in ("has_fpu", "has_dsp_simd"):
            if not isinstance(getattr(self, name), bool):
                raise SpecError("CoreSpec", name, getattr(self, name), "must be true or false")
        check_count("CoreSpec", "cores", self.cores)


@dataclass(frozen=True)
class OperatingPoint:
    """One clock setting with the supply current drawn while the core runs at it.

    Attributes
    ----------
    clock_hz : float
        Core clock.
    voltage_v : float
        Supply voltage at which ``run_current_a`` is specified.
    run_current_a : float
        Supply current while running (datasheet conditions, see the device's ``sources``).
    label : str
        What distinguishes this point (regulator, memory it runs from, measurement).
    core_voltage_v : float or None
        Internal core voltage (regulator scale) where the datasheet gives it.
    """

    clock_hz: float
    voltage_v: float
    run_current_a: float
    label: str = ""
    core_voltage_v: float | None = None

    def __post_init__(self) -> None:
        for name in ("clock_hz", "voltage_v", "run_current_a"):
            check_number("OperatingPoint", name, getattr(self, name))
        if self.core_voltage_v is not None:
            check_number("OperatingPoint", "core_voltage_v", self.core_voltage_v)

    @property
    def power_w(self) -> float:
        """Supply power while running: ``voltage_v * run_current_a``."""
        return self.voltage_v * self.run_current_a

    @property
    def energy_per_cycle_j(self) -> float:
        """Supply energy per core clock cycle."""
        return self.power_w / self.clock_hz


@dataclass(frozen=True)
class MemoryBank:
    """One SRAM bank.

    Attributes
    ----------
    name : str
        Datasheet name, e.g. ``"DTCM"``.
    size_bytes : int
        Size of the bank.
    base_address : int or None
        Start address, where the reference manual's memory map is cited; banks that touch in the
        address space form one contiguous region.
    """

    name: str
    size_bytes: int
    base_address: int | None = None

    def __post_init__(self) -> None:
        check_text("MemoryBank", "name", self.name)
        check_count("MemoryBank", "size_bytes", self.size_bytes)
        if self.base_address is not None:
            check_count("MemoryBank", "base_address", self.base_address, minimum=0)


@dataclass(frozen=True)
class DmaSpec:
    """The DMA engine used for bulk copies (flash <-> SRAM, SRAM <-> SRAM).

    Attributes
    ----------
    throughput_bytes_per_s : float
        Sustained copy rate.
    current_a : float
        Extra supply current while a transfer runs.
    memory_to_memory : bool
        False where only peripheral DMA exists (the CPU copies memory instead).
    """

    throughput_bytes_per_s: float
    current_a: float
    memory_to_memory: bool = True

    def __post_init__(self) -> None:
        check_number("DmaSpec", "throughput_bytes_per_s", self.throughput_bytes_per_s)
        check_number("DmaSpec", "current_a", self.current_a)


@dataclass(frozen=True)
class SleepState:
    """A low-power state between sessions.

    Attributes
    ----------
    name : str
        Vendor name, e.g. ``"stop2"``.
    current_a : float
        Supply current while in the state.
    wakeup_s : float
        Time from wake-up event to running code.
    retains_sram : bool
        Whether SRAM contents survive (training state survives only in such states or in flash).
    """

    name: str
    current_a: float
    wakeup_s: float
    retains_sram: bool

    def __post_init__(self) -> None:
        check_text("SleepState", "name", self.name)
        check_number("SleepState", "current_a", self.current_a)
        check_number("SleepState", "wakeup_s", self.wakeup_s)


@dataclass(frozen=True)
class Device:
    """A microcontroller: core, clocks, memories, DMA, sleep states, each value with its source.

    Attributes
    ----------
    name, description : str
        Preset name (the file stem for presets) and a one-line description.
    core : CoreSpec
    operating_points : tuple[OperatingPoint, ...]
        At least one; ``clock_hz`` is the fastest. Among points at the same clock, the first listed is
        the default (``max_operating_point``); later ones are alternatives (regulator, measurement).
    sram_bytes : int
        Total SRAM; equals the sum of ``sram_banks``.
    sram_banks : tuple[MemoryBank, ...]
    flash_bytes : int
        Total flash/NVM; equals ``flash.size_bytes``.
    flash : FlashSpec
    dma : DmaSpec
    sleep_states : tuple[SleepState, ...]
    supply_voltage_v : float
        Nominal supply voltage.
    source_path : str
        The file the device was loaded from (``""`` if built in code).
    sources : dict[str, str]
        Field path (``"flash.program_time_s"``, ``"operating_points[0].run_current_a"``) -> citation.
    sram_access_energy_j_per_byte : float or None
        Energy per SRAM byte accessed, where a figure can be sourced.
    """

    name: str
    description: str
    core: CoreSpec
    operating_points: tuple[OperatingPoint, ...]
    sram_bytes: int
    sram_banks: tuple[MemoryBank, ...]
    flash_bytes: int
    flash: FlashSpec
    dma: DmaSpec
    sleep_states: tuple[SleepState, ...]
    supply_voltage_v: float
    source_path: str = ""
    sources: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    sram_access_energy_j_per_byte: float | None = None

    def __post_init__(self) -> None:
        owner = self.source_path or f"Device {self.name!r}"
        check_text(owner, "name", self.name)
        check_count(owner, "sram_bytes", self.sram_bytes)
        check_count(owner, "flash_bytes", self.flash_bytes)
        check_number(owner, "supply_voltage_v", self.supply_voltage_v)
        if not self.operating_points:
            raise SpecError(owner, "operating_points", (), "must list at least one operating point")
        if not self.sram_banks:
            raise SpecError(owner, "sram_banks", (), "must list at least one bank")
        banks_total = sum(b.size_bytes for b in self.sram_banks)
        if banks_total != self.sram_bytes:
            raise SpecError(
                owner, "sram_banks", banks_total, f"bank sizes must add up to sram_bytes = {self.sram_bytes}"
            )
        if self.flash.size_bytes != self.flash_bytes:
            raise SpecError(
                owner,
                "flash.sector_sizes_bytes",
                self.flash.size_bytes,
                f"sector sizes must add up to flash_bytes = {self.flash_bytes}",
            )
        names = [s.name for s in self.sleep_states]
        if len(set(names)) != len(names):
            raise SpecError(owner, "sleep_states", names, "sleep state names must be unique")
        if self.sram_access_energy_j_per_byte is not None:
            check_number(owner, "sram_access_energy_j_per_byte", self.sram_access_energy_j_per_byte)

    @property
    def clock_hz(self) -> float:
        """The highest clock among the operating points."""
        return self.max_operating_point.clock_hz

    @property
    def max_operating_point(self) -> OperatingPoint:
        """The fastest operating point; among equally fast points, the first listed (the default)."""
        fastest = max(op.clock_hz for op in self.operating_points)
        return next(op for op in self.operating_points if op.clock_hz == fastest)

    @property
    def largest_sram_bank_bytes(self) -> int:
        """Size of the largest single SRAM bank."""
        return max(b.size_bytes for b in self.sram_banks)

    @property
    def largest_contiguous_sram_bytes(self) -> int:
        """Largest run of address-adjacent banks (banks without an address count alone)."""
        placed = sorted((b.base_address, b.size_bytes) for b in self.sram_banks if b.base_address is not None)
        best = self.largest_sram_bank_bytes
        run_end, run_size = None, 0
        for base, size in placed:
            run_size = run_size + size if base == run_end else size
            run_end = base + size
            best = max(best, run_size)
        return best

    def sleep_state(self, name: str) -> SleepState:
        """Return the sleep state called ``name``."""
        for state in self.sleep_states:
            if state.name == name:
                return state
        options = [s.name for s in self.sleep_states]
        raise SpecError(
            self.source_path or self.name,
            "sleep_states",
            name,
            f"must be one of {options}{suggest(name, options)}",
        )
