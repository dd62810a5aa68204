"""The one loader: TOML data files -> validated :class:`Device` and :class:`Battery` in SI units.

A data file writes readable prefixed keys (``sram_kib``, ``run_current_ua_per_mhz``, ``erase_time_ms``);
:mod:`hw_models.units` lists the accepted suffixes and :class:`hw_models.toml_table.TomlTable` converts
them. Every value must carry a citation: a ``<key>_source`` string next to it or a ``source`` string
in its table (sub-tables inherit their parent's). Anything wrong raises :class:`SpecError` naming the
file, the dotted field, the value and what is allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hw_models.battery import Battery
from hw_models.checks import closest
from hw_models.device import CoreSpec, Device, DmaSpec, MemoryBank, OperatingPoint, SleepState
from hw_models.errors import SpecError
from hw_models.file_cache import cached_by_file
from hw_models.flash import FlashSpec
from hw_models.input_file import check_input_file, read_toml
from hw_models.toml_table import TomlTable, given

__all__ = ["battery_names", "device_names", "load_battery", "load_device"]

_DATA = Path(__file__).parent / "data"
_DEVICES = _DATA / "devices"
_BATTERIES = _DATA / "batteries"

MAX_SECTORS = 1 << 20
"""Sectors a flash may have in all its groups: the layout keeps one entry per sector, and a million
4 KiB sectors is already 4 GiB (no microcontroller's flash comes near it)."""


def device_names() -> list[str]:
    """Names of the shipped device presets, sorted."""
    return sorted(p.stem for p in _DEVICES.glob("*.toml"))


def battery_names() -> list[str]:
    """Names of the shipped battery presets, sorted case-insensitively."""
    return sorted((p.stem for p in _BATTERIES.glob("*.toml")), key=str.lower)


@cached_by_file(lambda name_or_path: _resolve(name_or_path, _DEVICES, "device")[0])
def load_device(name_or_path: str | Path) -> Device:
    """Load a device preset by name, or a user's device file by path.

    Parameters
    ----------
    name_or_path : str or Path
        A preset name from :func:`device_names` (``"nrf52840"``), or the path of a TOML file
        (anything that is a ``Path``, contains a path separator or ends in ``.toml``).

    Returns
    -------
    Device

    Raises
    ------
    SpecError
        Unknown preset, unreadable or invalid TOML, or any invalid, missing, unknown or unsourced field.
    """
    path, preset = _resolve(name_or_path, _DEVICES, "device")
    file = str(path)
    root = TomlTable(_parse(path), file=file, sources={})
    device = _device(root, file)
    if preset and device.name != path.stem:
        raise SpecError(file, "name", device.name, f"a preset's name must match its file name {path.stem!r}")
    return device


@cached_by_file(lambda name_or_path: _resolve(name_or_path, _BATTERIES, "battery")[0])
def load_battery(name_or_path: str | Path) -> Battery:
    """Load a battery preset by name (case-insensitive, e.g. ``"cr2032"``) or a user's file by path.

    Raises
    ------
    SpecError
        As for :func:`load_device`.
    """
    path, _ = _resolve(name_or_path, _BATTERIES, "battery")
    file = str(path)
    return _battery(TomlTable(_parse(path), file=file, sources={}), file)


def _resolve(name_or_path: str | Path, folder: Path, what: str) -> tuple[Path, bool]:
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or "/" in text or "\\" in text or text.endswith(".toml"):
        path = Path(name_or_path)
        if not path.exists():
            raise SpecError(text, "(file)", text, f"no such {what} file")
        return check_input_file(path, f"{what} file"), False
    names = sorted((p.stem for p in folder.glob("*.toml")), key=str.lower)
    by_lower = {n.lower(): n for n in names}
    if text.lower() not in by_lower:
        close = closest(text.lower(), by_lower)
        hint = f"; did you mean {by_lower[close]!r}?" if close else ""
        raise SpecError(f"{what} presets", what, text, f"unknown preset{hint}; available: {', '.join(names)}")
    return folder / f"{by_lower[text.lower()]}.toml", True


def _parse(path: Path) -> dict[str, Any]:
    return read_toml(path, "TOML data file")


def _build(cls: type, table: TomlTable, **fields: Any) -> Any:
    """Construct a spec object, re-addressing its own validation errors to the file and table."""
    try:
        return cls(**fields)
    except SpecError as err:
        raise err.located(table.file, table.path) from None


def _device(root: TomlTable, file: str) -> Device:
    name = root.text("name", cited=False)
    description = root.text("description", cited=False)
    core = _core(root.table("core", si_prefix="core."))
    supply = root.table("supply")
    voltage = supply.quantity("voltage", "voltage", si_name="supply_voltage_v")
    points = root.tables("operating_points", si_prefix="operating_points[{i}].")
    memory = root.table("memory")
    flash_table = root.table("flash", si_prefix="flash.")
    dma = _dma(root.table("dma", si_prefix="dma."))
    sleeps = root.tables("sleep_states", si_prefix="sleep_states[{i}].")
    root.finish()
    supply.finish()
    sram_bytes, banks, energy = _memory(memory)
    flash_bytes, flash = _flash(flash_table)
    sources = root.sources
    sources["flash_bytes"] = sources["flash.size_bytes"]
    try:
        return Device(
            name=given(name),
            description=given(description),
            core=core,
            operating_points=tuple(_operating_point(t) for t in points),
            sram_bytes=sram_bytes,
            sram_banks=banks,
            flash_bytes=flash_bytes,
            flash=flash,
            dma=dma,
            sleep_states=tuple(_sleep_state(t) for t in sleeps),
            supply_voltage_v=given(voltage)[0],
            source_path=file,
            sources=sources,
            sram_access_energy_j_per_byte=energy,
        )
    except SpecError as err:
        raise err.located(file) from None


def _core(t: TomlTable) -> CoreSpec:
    fields = {
        "family": t.text("family"),
        "has_fpu": t.flag("has_fpu"),
        "has_dsp_simd": t.flag("has_dsp_simd"),
        "cores": t.count("cores", maximum=1024),
    }
    t.finish()
    return _build(CoreSpec, t, **fields)


def _operating_point(t: TomlTable) -> OperatingPoint:
    clock = t.quantity("clock", "frequency")
    voltage = t.quantity("voltage", "voltage")
    current = t.quantity("run_current", ("current", "current_per_frequency"), si_name="run_current_a")
    label = t.text("label", required=False, cited=False)
    core_voltage = t.quantity("core_voltage", "voltage", required=False)
    t.finish()
    clock_hz, current_a, current_kind = given(clock)[0], *given(current)
    run_current_a = current_a * clock_hz if current_kind == "current_per_frequency" else current_a
    return _build(
        OperatingPoint,
        t,
        clock_hz=clock_hz,
        voltage_v=given(voltage)[0],
        run_current_a=run_current_a,
        label=label or "",
        core_voltage_v=core_voltage[0] if core_voltage else None,
    )


def _memory(t: TomlTable) -> tuple[int, tuple[MemoryBank, ...], float | None]:
    sram = t.quantity("sram", "size", integer=True)
    energy = t.quantity("sram_access_energy", "energy_per_byte", required=False)
    bank_tables = t.tables("banks", required=False, si_prefix="sram_banks[{i}].")
    t.finish()
    banks = []
    for b in bank_tables:
        name = b.text("name", cited=False)
        size = b.quantity("size", "size", integer=True)
        base = b.count("base_address", required=False, minimum=0)
        b.finish()
        banks.append(_build(MemoryBank, b, name=name, size_bytes=given(size)[0], base_address=base))
    sram_bytes = given(sram)[0]
    if not banks:
        t.sources["sram_banks[0].size_bytes"] = t.sources["sram_bytes"]
        banks.append(MemoryBank("sram", sram_bytes))
    return sram_bytes, tuple(banks), energy[0] if energy else None


def _flash(t: TomlTable) -> tuple[int, FlashSpec]:
    size = t.quantity("size", "size", integer=True)
    external = t.flag("external")
    needs_erase = t.flag("needs_erase")
    erasable = needs_erase is not False
    unit = t.quantity("program_unit", "size", integer=True)
    program_time = t.quantity("program_time", "time")
    program_current = t.quantity("program_current", "current")
    erase_time = t.quantity("erase_time", "time", required=False)
    erase_current = t.quantity("erase_current", "current", required=erasable)
    endurance = t.count("endurance_cycles", required=False)
    wait_states = t.count("read_wait_states", required=False, minimum=0)
    width = t.quantity("read_width", "size", required=False, integer=True)
    throughput = t.quantity("read_throughput", "throughput", required=False)
    groups = t.tables("sectors", required=erasable, si_prefix="flash.sectors[{i}].")
    t.finish()
    sizes: list[int] = []
    times: list[float] = []
    for g in groups:
        count = g.count("count", maximum=MAX_SECTORS)
        if count is not None and len(sizes) + count > MAX_SECTORS:
            raise g.error("count", count, f"must keep the flash at {MAX_SECTORS:,} sectors or fewer in all")
        sector = g.quantity("size", "size", integer=True)
        own_time = g.quantity("erase_time", "time", required=erase_time is None and erasable)
        g.finish()
        sizes += [given(sector)[0]] * given(count)
        times += [(own_time or erase_time or (0.0,))[0]] * given(count)
    size_bytes = given(size)[0]
    if not groups:
        sizes, times = [size_bytes], [0.0]
    flash = _build(
        FlashSpec,
        t,
        sector_sizes_bytes=tuple(sizes),
        sector_erase_times_s=tuple(times),
        program_unit_bytes=given(unit)[0],
        program_time_s=given(program_time)[0],
        program_current_a=given(program_current)[0],
        erase_current_a=erase_current[0] if erase_current else 0.0,
        endurance_cycles=endurance,
        external=external,
        needs_erase=needs_erase,
        read_wait_states=wait_states,
        read_width_bytes=width[0] if width else None,
        read_throughput_bytes_per_s=throughput[0] if throughput else None,
    )
    return size_bytes, flash


def _dma(t: TomlTable) -> DmaSpec:
    throughput = t.quantity("throughput", "throughput")
    current = t.quantity("current", "current")
    m2m = t.flag("memory_to_memory")
    t.finish()
    return _build(
        DmaSpec,
        t,
        throughput_bytes_per_s=given(throughput)[0],
        current_a=given(current)[0],
        memory_to_memory=m2m,
    )


def _sleep_state(t: TomlTable) -> SleepState:
    name = t.text("name", cited=False)
    current = t.quantity("current", "current")
    wakeup = t.quantity("wakeup", "time")
    retains = t.flag("retains_sram")
    t.finish()
    return _build(
        SleepState, t, name=name, current_a=given(current)[0], wakeup_s=given(wakeup)[0], retains_sram=retains
    )


def _battery(root: TomlTable, file: str) -> Battery:
    name = root.text("name", cited=False)
    chemistry = root.text("chemistry")
    nominal = root.quantity("nominal_voltage", "voltage")
    cutoff = root.quantity("cutoff_voltage", "voltage")
    capacity = root.quantity("capacity", "charge")
    continuous = root.quantity("max_continuous_current", "current")
    pulse = root.quantity("max_pulse_current", "current", required=False)
    discharge = root.quantity("self_discharge", "fraction_per_year", allow_zero=True)
    models = _battery_models(root)
    root.finish()
    if root.source is None:
        raise SpecError(file, "source", "<missing>", "required: the cell's citation (tag and notes)")
    try:
        return Battery(
            name=given(name),
            chemistry=given(chemistry),
            nominal_voltage_v=given(nominal)[0],
            cutoff_voltage_v=given(cutoff)[0],
            capacity_c=given(capacity)[0],
            max_continuous_current_a=given(continuous)[0],
            max_pulse_current_a=pulse[0] if pulse else None,
            self_discharge_per_year=given(discharge)[0],
            source=root.source,
            source_path=file,
            sources=root.sources,
            **models,
        )
    except SpecError as err:
        raise err.located(file) from None


def _battery_models(root: TomlTable) -> dict[str, Any]:
    """The optional fields the battery models use (Peukert, OCV curve, resistance, KiBaM)."""
    rated = root.quantity("rated_current", "current", required=False)
    resistance = root.quantity("internal_resistance", "resistance", required=False, allow_zero=True)
    soc = root.array("ocv_soc", required=False)
    volts = root.array("ocv_voltage", "voltage", required=False)
    rate = root.quantity("kibam_rate", "rate", required=False)
    return {
        "rated_current_a": rated[0] if rated else None,
        "peukert_exponent": root.number("peukert_exponent", required=False),
        "internal_resistance_ohm": resistance[0] if resistance else None,
        "ocv_soc": soc[0] if soc else (),
        "ocv_voltage_v": volts[0] if volts else (),
        "kibam_capacity_fraction": root.number("kibam_capacity_fraction", required=False),
        "kibam_rate_per_s": rate[0] if rate else None,
    }
