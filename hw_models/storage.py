"""Energy storage for a harvesting supply: a supercapacitor or a rechargeable cell, stepped exactly.

Over a piece with constant harvest power ``P_h`` (at the panel) and load power ``P_l`` (at the
storage terminals), the stored energy obeys a linear equation with a closed form:

- supercapacitor: ``dE/dt = eta P_h - P_l - V^2 / R_leak`` with ``E = C V^2 / 2``, i.e.
  ``dE/dt = a - E / tau`` with ``a = eta P_h - P_l`` and ``tau = R_leak C / 2``;
- rechargeable cell: ``dE/dt = eta P_h - P_l - P_self`` (self-discharge a constant fraction of the
  rated energy per year).

Storage is full at ``max_voltage_v`` (the charger stops and the surplus is spilled) and empty at
``min_voltage_v`` (the regulator's lowest input; the load browns out). The solution is monotone
within a piece, so each piece crosses at most one bound and a day advances in a few exact steps.
Load power given at the storage terminals: the caller converts the chip's current through the
regulator at the storage voltage of the piece's start (an approximation when a piece is long and
the voltage moves a lot).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from hw_models.battery import Battery
from hw_models.capacitor import Capacitor
from hw_models.cells import YEAR_S

__all__ = ["CellStore", "StorageStep", "SupercapStore", "integrate"]


@dataclass(frozen=True)
class StorageStep:
    """What one step (or an :func:`integrate` run) did; every energy in joules.

    ``stored_j - delivered_j - leaked_j`` equals the change of stored energy, and
    ``harvested_j = stored_j + spilled_j + conversion_loss_j``.

    Attributes
    ----------
    store : SupercapStore or CellStore
        The storage after the step.
    duration_s : float
        Time the load was carried (less than requested if it browned out).
    harvested_j : float
        Energy the panel produced.
    stored_j : float
        Energy that went into storage (after charge efficiency, less the spilled surplus).
    delivered_j : float
        Energy delivered to the load.
    leaked_j : float
        Energy lost to leakage or self-discharge.
    spilled_j : float
        Harvest that could not be stored (storage full).
    conversion_loss_j : float
        Harvest lost to charge efficiency.
    depleted : bool
        The storage reached its empty level with a load on.
    """

    store: SupercapStore | CellStore
    duration_s: float
    harvested_j: float
    stored_j: float
    delivered_j: float
    leaked_j: float
    spilled_j: float
    conversion_loss_j: float
    depleted: bool


def _advance(e0: float, a: float, tau: float, lo: float, hi: float, t: float, load: bool):
    """Exact step of ``dE/dt = a - E / tau`` clamped to [lo, hi]; returns (served, e1, int_e, spill_t).

    ``int_e`` is the integral of E over the served time (for leakage); ``spill_t`` the time spent
    full (when the surplus is spilled).
    """
    if math.isinf(tau):

        def linear_integral(s: float) -> float:
            return e0 * s + a * s * s / 2

        if a > 0 and e0 + a * t > hi:
            t_full = max(0.0, (hi - e0) / a)
            return t, hi, linear_integral(t_full) + hi * (t - t_full), t - t_full
        if a < 0 and load and e0 + a * t < lo:
            t_empty = max(0.0, (lo - e0) / a)
            return t_empty, lo, linear_integral(t_empty), 0.0
        return t, e0 + a * t, linear_integral(t), 0.0
    e_inf = a * tau

    def at(s: float) -> float:
        return e_inf + (e0 - e_inf) * math.exp(-s / tau)

    def integral(s: float) -> float:
        return e_inf * s - (e0 - e_inf) * tau * math.expm1(-s / tau)

    if e_inf > hi and at(t) > hi:
        t_full = 0.0 if e0 >= hi else tau * math.log((e_inf - e0) / (e_inf - hi))
        return t, hi, integral(t_full) + hi * (t - t_full), t - t_full
    if load and e_inf < lo and at(t) < lo:
        t_empty = 0.0 if e0 <= lo else tau * math.log((e0 - e_inf) / (lo - e_inf))
        return t_empty, lo, integral(t_empty), 0.0
    return t, at(t), integral(t), 0.0


def _check(*values: float) -> None:
    for v in values:
        if not math.isfinite(v) or v < 0:
            raise ValueError(f"powers and durations must be finite and >= 0, got {v!r}")


@dataclass(frozen=True)
class SupercapStore:
    """A supercapacitor charged by a harvester.

    Parameters
    ----------
    capacitor : Capacitor
    voltage_v : float
        Present voltage.
    min_voltage_v : float
        Empty: the regulator's lowest input voltage.
    max_voltage_v : float
        Full: the charger's limit (at most the capacitor's rating).
    charge_efficiency : float
        Fraction of the panel's power that reaches the capacitor (harvester converter), in (0, 1].
    """

    capacitor: Capacitor
    voltage_v: float
    min_voltage_v: float
    max_voltage_v: float
    charge_efficiency: float

    def __post_init__(self) -> None:
        if not 0 <= self.min_voltage_v < self.max_voltage_v <= self.capacitor.rated_voltage_v:
            raise ValueError(
                f"need 0 <= min_voltage_v < max_voltage_v <= rated {self.capacitor.rated_voltage_v} V"
            )
        if not 0 <= self.voltage_v <= self.max_voltage_v * (1 + 1e-12):
            raise ValueError(f"voltage_v must be within [0, {self.max_voltage_v}], got {self.voltage_v!r}")
        if not 0 < self.charge_efficiency <= 1:
            raise ValueError(f"charge_efficiency must be in (0, 1], got {self.charge_efficiency!r}")

    @property
    def energy_j(self) -> float:
        """Stored energy ``C V^2 / 2``."""
        return self.capacitor.energy_j(self.voltage_v)

    @property
    def capacity_j(self) -> float:
        """Usable energy between the empty and full voltages."""
        return self.capacitor.window_energy_j(self.max_voltage_v, self.min_voltage_v)

    @property
    def usable_energy_j(self) -> float:
        """Energy left above the empty level (0 below it)."""
        return max(0.0, self.energy_j - self.capacitor.energy_j(self.min_voltage_v))

    @property
    def state_of_charge(self) -> float:
        """``usable_energy_j / capacity_j``, in [0, 1]."""
        return min(1.0, self.usable_energy_j / self.capacity_j)

    @property
    def is_depleted(self) -> bool:
        """At or below the empty level."""
        return self.voltage_v <= self.min_voltage_v * (1 + 1e-12)

    @property
    def max_leak_w(self) -> float:
        """The leakage power when full (``V^2 / R_leak`` at ``max_voltage_v``): the most it leaks."""
        return self.capacitor.energy_j(self.max_voltage_v) / self._tau_s()

    def _tau_s(self) -> float:
        return self.capacitor.leakage_resistance_ohm * self.capacitor.capacitance_f / 2

    def _with_energy(self, energy_j: float) -> SupercapStore:
        volts = math.sqrt(max(0.0, 2 * energy_j / self.capacitor.capacitance_f))
        # The constructor, not dataclasses.replace: this runs once per storage step of a lifetime run.
        return SupercapStore(
            self.capacitor,
            min(volts, self.max_voltage_v),
            self.min_voltage_v,
            self.max_voltage_v,
            self.charge_efficiency,
        )

    def step(self, harvest_power_w: float, load_power_w: float, duration_s: float) -> StorageStep:
        """Advance ``duration_s`` with constant harvest (panel) and load (storage terminals) powers."""
        return _step(self, harvest_power_w, load_power_w, duration_s, self._tau_s(), 0.0)

    def advance(
        self, harvest_power_w: float, load_power_w: float, duration_s: float
    ) -> tuple[SupercapStore, float, bool]:
        """:meth:`step` without its energy books: ``(store after, time served, depleted)``."""
        return _advance_store(self, harvest_power_w, load_power_w, duration_s, self._tau_s(), 0.0)


@dataclass(frozen=True)
class CellStore:
    """A rechargeable cell (LiPo, LIR2032) charged by a harvester, tracked as energy.

    Parameters
    ----------
    battery : Battery
    energy_j : float
        Stored energy, 0 (at cut-off) to ``battery.energy_j`` (full).
    charge_efficiency : float
        Fraction of the panel's power that ends up stored (charger and coulombic efficiency).
    """

    battery: Battery
    energy_j: float
    charge_efficiency: float

    def __post_init__(self) -> None:
        if not 0 <= self.energy_j <= self.battery.energy_j * (1 + 1e-12):
            raise ValueError(f"energy_j must be within [0, {self.battery.energy_j}], got {self.energy_j!r}")
        if not 0 < self.charge_efficiency <= 1:
            raise ValueError(f"charge_efficiency must be in (0, 1], got {self.charge_efficiency!r}")

    @property
    def capacity_j(self) -> float:
        """Nominal energy: ``capacity_c * nominal_voltage_v``."""
        return self.battery.energy_j

    @property
    def usable_energy_j(self) -> float:
        """Energy left."""
        return self.energy_j

    @property
    def state_of_charge(self) -> float:
        """``energy_j / capacity_j``."""
        return min(1.0, self.energy_j / self.capacity_j)

    @property
    def is_depleted(self) -> bool:
        """Empty."""
        return self.energy_j <= 0

    @property
    def self_discharge_w(self) -> float:
        """The constant self-discharge power."""
        return self.battery.self_discharge_per_year * self.capacity_j / YEAR_S

    @property
    def max_leak_w(self) -> float:
        """The self-discharge power (constant)."""
        return self.self_discharge_w

    def _with_energy(self, energy_j: float) -> CellStore:
        return CellStore(self.battery, min(max(0.0, energy_j), self.capacity_j), self.charge_efficiency)

    def step(self, harvest_power_w: float, load_power_w: float, duration_s: float) -> StorageStep:
        """Advance ``duration_s`` with constant harvest (panel) and load (cell terminals) powers."""
        return _step(self, harvest_power_w, load_power_w, duration_s, math.inf, self.self_discharge_w)

    def advance(
        self, harvest_power_w: float, load_power_w: float, duration_s: float
    ) -> tuple[CellStore, float, bool]:
        """:meth:`step` without its energy books: ``(store after, time served, depleted)``."""
        return _advance_store(
            self, harvest_power_w, load_power_w, duration_s, math.inf, self.self_discharge_w
        )


def _solve(store, harvest_w: float, load_w: float, duration_s: float, tau: float, leak_w: float):
    """The step's ``(charge_w, a, hi, (served, e1, int_e, full_s))``; None if empty under a load."""
    _check(harvest_w, load_w, duration_s)
    if isinstance(store, SupercapStore):
        lo = store.capacitor.energy_j(store.min_voltage_v)
        hi = store.capacitor.energy_j(store.max_voltage_v)
        e0 = store.energy_j
    else:
        lo, hi, e0 = 0.0, store.capacity_j, store.energy_j
    if load_w > 0 and e0 <= lo * (1 + 1e-12):
        return None
    charge_w = store.charge_efficiency * harvest_w
    a = charge_w - load_w - leak_w
    return charge_w, a, hi, _advance(e0, a, tau, lo, hi, duration_s, load_w > 0)


def _advance_store(store, harvest_w: float, load_w: float, duration_s: float, tau: float, leak_w: float):
    solved = _solve(store, harvest_w, load_w, duration_s, tau, leak_w)
    if solved is None:
        return store, 0.0, True
    served, e1 = solved[3][0], solved[3][1]
    return store._with_energy(e1), served, load_w > 0 and served < duration_s


def _step(store, harvest_w: float, load_w: float, duration_s: float, tau: float, leak_w: float):
    solved = _solve(store, harvest_w, load_w, duration_s, tau, leak_w)
    if solved is None:
        return StorageStep(store, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, True)
    charge_w, a, hi, (served, e1, int_e, full_s) = solved
    # Without a load, a leaking store may fall below "empty": only the load browns out there.
    leaked = leak_w * served + (0.0 if math.isinf(tau) else int_e / tau)
    delivered = load_w * served
    # While full, the charger only passes what the load and leakage use: the rest is spilled.
    spilled = full_s * (a - (0.0 if math.isinf(tau) else hi / tau))
    depleted = load_w > 0 and served < duration_s
    return StorageStep(
        store=store._with_energy(e1),
        duration_s=served,
        harvested_j=harvest_w * served,
        stored_j=charge_w * served - spilled,
        delivered_j=delivered,
        leaked_j=leaked,
        spilled_j=spilled,
        conversion_loss_j=(harvest_w - charge_w) * served,
        depleted=depleted,
    )


def integrate(store: SupercapStore | CellStore, pieces: Iterable[tuple[float, float, float]]) -> StorageStep:
    """Advance through ``(duration_s, harvest_power_w, load_power_w)`` pieces, stopping at a brown-out.

    Returns
    -------
    StorageStep
        The sums over the pieces carried, the final store, and ``depleted`` if a piece browned out
        (``duration_s`` then says how far it got).
    """
    totals = [0.0] * 7
    for duration_s, harvest_w, load_w in pieces:
        step = store.step(harvest_w, load_w, duration_s)
        store = step.store
        parts = (
            step.duration_s,
            step.harvested_j,
            step.stored_j,
            step.delivered_j,
            step.leaked_j,
            step.spilled_j,
            step.conversion_loss_j,
        )
        totals = [t + p for t, p in zip(totals, parts, strict=True)]
        if step.depleted:
            return _summed(store, totals, depleted=True)
    return _summed(store, totals, depleted=False)


def _summed(store: SupercapStore | CellStore, totals: list[float], *, depleted: bool) -> StorageStep:
    duration_s, harvested_j, stored_j, delivered_j, leaked_j, spilled_j, loss_j = totals
    return StorageStep(
        store, duration_s, harvested_j, stored_j, delivered_j, leaked_j, spilled_j, loss_j, depleted
    )
