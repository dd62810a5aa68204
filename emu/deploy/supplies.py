"""What powers a deployed device, stepped exactly: a cell (regulator, buffer) or harvested storage.

Both supplies are immutable values with one method the lifetime run uses, :meth:`carry`: carry a
constant chip-side power for a duration, and say how far it got. The chip's power becomes a current at
the regulator output (the device's supply voltage), then the regulator's input current at the cell's
open-circuit voltage (or the storage voltage) at the start of the piece. A piece's cell current is
constant, so every cell step is the battery model's exact constant-current step.

A buffer capacitor beside a cell that cannot give a burst's current (a CR2032 gives 3 mA) carries the
excess; the cell then gives its rated current until the capacitor is refilled (the plan of
:func:`hw_models.buffer.plan_burst`): the owed charge is paid back at the rated current during the
following pieces. The buffer's leakage is a constant extra current.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, is_dataclass, replace
from typing import Generic, TypeVar

from hw_models.capacitor import Capacitor
from hw_models.cell_voltage import mean_ocv_v
from hw_models.cells import CellModel
from hw_models.panel import SolarHarvester
from hw_models.regulator import Regulator
from hw_models.solar import DAY_S
from hw_models.storage import CellStore, SupercapStore

_CELL_STATE_FIELDS = {"IdealCell": ("state_of_charge",), "PeukertCell": ("state_of_charge",)}
_KIBAM_FIELDS = ("available_c", "bound_c")


_Supply = TypeVar("_Supply", bound="CellSupply | StoreSupply")


@dataclass(frozen=True)
class Carry(Generic[_Supply]):
    """What one :meth:`carry` did (``Carry[CellSupply]`` from a cell, ``Carry[StoreSupply]`` from storage).

    Attributes
    ----------
    supply : CellSupply or StoreSupply
        The supply after the piece.
    served_s : float
        How long the load was carried (less than asked if the supply failed).
    supply_j : float
        Energy taken from the cell or storage (regulator losses included).
    failed : bool
        The supply could not carry the piece to its end (a brown-out).
    """

    supply: _Supply
    served_s: float
    supply_j: float
    failed: bool
    charge_c: float = 0.0
    ohmic_j: float = 0.0


def chip_current_a(chip_power_w: float, output_voltage_v: float) -> float:
    """The chip's current at the regulator output."""
    return chip_power_w / output_voltage_v


@dataclass(frozen=True)
class CellSupply:
    """A primary or rechargeable cell, optionally behind a regulator and beside a buffer capacitor.

    Parameters
    ----------
    cell : CellModel
    regulator : Regulator or None
        None: the chip runs from the cell directly at its datasheet currents.
    output_voltage_v : float
        The voltage at which the chip's powers are given (the device's supply voltage).
    buffer : Capacitor or None
    owed_c : float
        Charge the buffer gave that the cell has yet to put back.
    """

    cell: CellModel
    regulator: Regulator | None
    output_voltage_v: float
    buffer: Capacitor | None = None
    owed_c: float = 0.0

    @property
    def state_of_charge(self) -> float:
        return self.cell.state_of_charge

    @property
    def leak_a(self) -> float:
        """The buffer capacitor's leakage at the cell voltage (a constant background current)."""
        if self.buffer is None:
            return 0.0
        volts = min(self.cell.voltage_v(0.0), self.buffer.rated_voltage_v)
        return volts / self.buffer.leakage_resistance_ohm

    def cell_current_a(self, chip_power_w: float) -> float:
        """The cell current for a chip power, through the regulator at the cell's open-circuit voltage."""
        load = chip_current_a(chip_power_w, self.output_voltage_v)
        if self.regulator is None:
            return load
        return self.regulator.input_current_a(load, self.cell.voltage_v(0.0))

    def carry(self, t_s: float, duration_s: float, chip_power_w: float) -> Carry[CellSupply]:
        """Carry ``chip_power_w`` for ``duration_s`` (``t_s`` is unused: a cell has no time of day)."""
        current = self.cell_current_a(chip_power_w) + self.leak_a
        limit = self.cell.battery.max_continuous_current_a
        pieces: list[tuple[float, float]]
        owed = self.owed_c
        if self.buffer is not None and current > limit:
            pieces = [(limit, duration_s)]
            owed += (current - limit) * duration_s
        elif owed > 0 and current < limit:
            repay_s = min(duration_s, owed / (limit - current))
            pieces = [(limit, repay_s), (current, duration_s - repay_s)]
            owed = max(0.0, owed - (limit - current) * repay_s)
        else:
            pieces = [(current, duration_s)]
        cell, served, energy, charge, ohmic = self.cell, 0.0, 0.0, 0.0, 0.0
        resistance = cell.battery.internal_resistance_ohm or 0.0
        for amps, seconds in pieces:
            if seconds <= 0:
                continue
            step = cell.draw(amps, seconds)
            cell, served, energy = step.cell, served + step.duration_s, energy + step.energy_j
            charge += step.charge_c
            ohmic += amps * amps * resistance * step.duration_s
            if step.depleted:
                return Carry(replace(self, cell=cell, owed_c=owed), served, energy, True, charge, ohmic)
        return Carry(replace(self, cell=cell, owed_c=owed), duration_s, energy, False, charge, ohmic)

    def drain_of(self, pieces: Iterable[tuple[float, float]]) -> tuple[float, float]:
        """Charge (C) and ohmic loss (J) of carrying ``(duration_s, chip_power_w)`` pieces from this state."""
        charge = ohmic = 0.0
        supply: CellSupply | StoreSupply = self
        for duration_s, power_w in pieces:
            c = supply.carry(0.0, duration_s, power_w)
            charge, ohmic, supply = charge + c.charge_c, ohmic + c.ohmic_j, c.supply
        return charge, ohmic

    # -- the cell state as a vector, for the exact jumps of the lifetime run (see emu.deploy.jump) --------
    def vector(self) -> tuple[float, ...] | None:
        """The cell's state variables (None if this cell model is not known to be affine)."""
        names = self._fields()
        return None if names is None or self.owed_c else tuple(getattr(self.cell, n) for n in names)

    def with_vector(self, values: tuple[float, ...]) -> CellSupply:
        names, cell = self._fields(), self.cell
        if names is None or not is_dataclass(cell) or isinstance(cell, type):
            raise TypeError(f"{type(cell).__name__} has no state vector: vector() returned None for it")
        return replace(self, cell=replace(cell, **dict(zip(names, values, strict=True))))

    def _fields(self) -> tuple[str, ...] | None:
        kind = type(self.cell).__name__
        if kind == "KibamCell":
            return _KIBAM_FIELDS
        return _CELL_STATE_FIELDS.get(kind)

    def energy_between_j(self, charge_c: float, ohmic_j: float, soc_a: float, soc_b: float) -> float:
        """Terminal energy of ``charge_c`` drawn as the state of charge fell from ``soc_a`` to ``soc_b``."""
        return charge_c * mean_ocv_v(self.cell.battery, soc_a, soc_b) - ohmic_j


class HarvestTable:
    """A harvester's ``(start_s, end_s, power_w)`` pieces, computed once per distinct day.

    A clear-sky day depends only on its day of the year, an office day on its weekday and a trace on
    the time within its period: those days' pieces are computed once and shifted (exact: the profile
    is periodic). Each run owns its table.
    """

    def __init__(self, harvester: SolarHarvester, max_piece_s: float = 7200.0) -> None:
        self.harvester = harvester
        self.max_piece_s = max_piece_s
        self._days: dict[object, tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]] = {}
        self._by_index: dict[int, tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]] = {}

    def _key(self, day_start_s: float) -> object:
        profile = self.harvester.profile
        if hasattr(profile, "day_of_year"):
            return ("doy", profile.day_of_year(day_start_s))
        if hasattr(profile, "days_per_week"):
            return ("week", int((day_start_s % (7 * DAY_S)) // DAY_S))
        period = getattr(profile, "period_s", None)
        return ("trace", day_start_s % period) if period else ("day", day_start_s)

    def _relative(self, index: int) -> tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]:
        """Day ``index``'s pieces as (starts, ends, powers), relative to the day's start."""
        known = self._by_index.get(index)
        if known is not None:
            return known
        start = index * DAY_S
        key = self._key(start)
        if key not in self._days:
            starts, ends, powers, t = [], [], [], 0.0
            for duration, power in self.harvester.pieces(start, start + DAY_S, self.max_piece_s):
                starts.append(t)
                ends.append(t + duration)
                powers.append(power)
                t += duration
            self._days[key] = (tuple(starts), tuple(ends), tuple(powers))
        self._by_index[index] = self._days[key]
        return self._days[key]

    def pieces(self, t0_s: float, t1_s: float) -> list[tuple[float, float, float]]:
        """``(start_s, end_s, power_w)`` pieces covering ``[t0_s, t1_s]``."""
        out = []
        day = int(t0_s // DAY_S)
        while day * DAY_S < t1_s:
            base = day * DAY_S
            starts, ends, powers = self._relative(day)
            i = max(0, bisect.bisect_right(starts, t0_s - base) - 1)
            while i < len(starts) and base + starts[i] < t1_s:
                lo, hi = max(base + starts[i], t0_s), min(base + ends[i], t1_s)
                if hi > lo:
                    out.append((lo, hi, powers[i]))
                i += 1
            day += 1
        return out


@dataclass(frozen=True)
class StoreSupply:
    """A harvester charging a supercapacitor or a rechargeable cell, behind an optional regulator.

    Parameters
    ----------
    store : SupercapStore or CellStore
    harvest : HarvestTable
    regulator : Regulator or None
    output_voltage_v : float
    """

    store: SupercapStore | CellStore
    harvest: HarvestTable
    regulator: Regulator | None
    output_voltage_v: float

    @property
    def state_of_charge(self) -> float:
        return self.store.state_of_charge

    @property
    def voltage_v(self) -> float:
        if isinstance(self.store, SupercapStore):
            return self.store.voltage_v
        return self.store.battery.nominal_voltage_v

    def terminal_power_w(self, chip_power_w: float) -> float:
        """The power taken from storage for a chip power, through the regulator at the storage voltage."""
        load = chip_current_a(chip_power_w, self.output_voltage_v)
        volts = max(self.voltage_v, 1e-3)
        if self.regulator is None:
            return load * volts
        return self.regulator.input_power_w(load, volts)

    def carry(self, t_s: float, duration_s: float, chip_power_w: float) -> Carry[StoreSupply]:
        """Carry ``chip_power_w`` from ``t_s`` for ``duration_s`` while the panel charges the storage."""
        return self.carry_terminal(t_s, duration_s, self.terminal_power_w(chip_power_w))

    def carry_terminal(self, t_s: float, duration_s: float, terminal_w: float) -> Carry[StoreSupply]:
        """As :meth:`carry`, with the power already at the storage terminals."""
        store, served = self.store, 0.0
        for a, b, harvest_w in self.harvest.pieces(t_s, t_s + duration_s):
            store, seconds, depleted = store.advance(harvest_w, terminal_w, b - a)
            served += seconds
            if depleted:
                return Carry(self._with_store(store), served, terminal_w * served, True)
        return Carry(self._with_store(store), duration_s, terminal_w * served, False)

    def carry_piece(self, harvest_w: float, terminal_w: float, duration_s: float) -> Carry[StoreSupply]:
        """As :meth:`carry_terminal` within one harvest piece of ``harvest_w`` (the caller cut it)."""
        store, served, depleted = self.store.advance(harvest_w, terminal_w, duration_s)
        return Carry(self._with_store(store), served, terminal_w * served, depleted)

    def _with_store(self, store: SupercapStore | CellStore) -> StoreSupply:
        # The constructor, not dataclasses.replace: this runs once per piece of a lifetime run.
        return StoreSupply(store, self.harvest, self.regulator, self.output_voltage_v)

    def recover(self, t_s: float, restart_soc: float, until_s: float) -> tuple[StoreSupply, float]:
        """Charge with no load from ``t_s`` until the state of charge reaches ``restart_soc``.

        Returns the supply and the time it restarts (``until_s`` if not by then). Within a piece the
        stored energy is monotone, so the crossing is found by bisection on the piece's duration.
        """
        store = self.store
        for a, b, harvest_w in self.harvest.pieces(t_s, until_s):
            after = store.step(harvest_w, 0.0, b - a).store
            if after.state_of_charge >= restart_soc:
                lo, hi = 0.0, b - a
                for _ in range(60):
                    mid = 0.5 * (lo + hi)
                    if store.step(harvest_w, 0.0, mid).store.state_of_charge >= restart_soc:
                        hi = mid
                    else:
                        lo = mid
                return replace(self, store=store.step(harvest_w, 0.0, hi).store), a + hi
            store = after
        return replace(self, store=store), until_s
