"""A burst of current beyond what the cell may give: carried by a buffer capacitor, or drawn anyway.

A CR2032 is rated for about 3 mA continuous; an MCU training at full clock draws tens of mA. With a
buffer capacitor beside the cell, the cell gives at most its rated current, the capacitor gives the
rest and sags by ``I_c t / C + I_c ESR``; after the burst the cell refills it at its rated current
less the background load. Without one, the whole burst comes from the cell: the voltage sags by
``I R`` and the rate-dependent battery model (Peukert, KiBaM) is what takes the capacity loss; that
is the derating, and the plan says so in its note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hw_models.battery import Battery
from hw_models.capacitor import Capacitor

__all__ = ["BurstPlan", "plan_burst"]


@dataclass(frozen=True)
class BurstPlan:
    """How the supply carries one burst.

    Attributes
    ----------
    mode : str
        ``"direct"`` (within the cell's rating), ``"buffered"`` (a capacitor carries the excess) or
        ``"unbuffered"`` (beyond the rating, drawn from the cell anyway).
    carried : bool
        The voltage at the regulator input stays at or above ``min_voltage_v`` through the burst
        (and, buffered, the cell can refill the capacitor).
    cell_current_a : float
        What the cell gives during the burst, and during the recharge after it.
    burst_duration_s, recharge_duration_s : float
        The burst, and the time after it during which the cell still gives ``cell_current_a`` (this
        current includes the background load: the recharge replaces the start of the next period).
    lowest_voltage_v : float
        The lowest voltage at the regulator input during the burst.
    capacitor_charge_c : float
        Charge the capacitor gave (and the cell later puts back).
    required_capacitance_f : float
        The smallest capacitance (same ESR) that keeps the voltage up (0 if none is needed, inf if
        no capacitance can, because the ESR drop alone is too large).
    leakage_current_a : float
        The capacitor's leakage at the cell voltage: a continuous extra background current.
    note : str
        One sentence for the report saying what was modelled.
    """

    mode: str
    carried: bool
    cell_current_a: float
    burst_duration_s: float
    recharge_duration_s: float
    lowest_voltage_v: float
    capacitor_charge_c: float
    required_capacitance_f: float
    leakage_current_a: float
    note: str

    def cell_segments(self) -> tuple[tuple[float, float], ...]:
        """``(current_a, duration_s)`` pieces the cell sees: the burst, then the recharge (if any)."""
        pieces = [(self.cell_current_a, self.burst_duration_s)]
        if self.recharge_duration_s > 0:
            pieces.append((self.cell_current_a, self.recharge_duration_s))
        return tuple(pieces)


def plan_burst(
    battery: Battery,
    open_circuit_voltage_v: float,
    load_current_a: float,
    duration_s: float,
    *,
    min_voltage_v: float,
    buffer: Capacitor | None = None,
    background_current_a: float = 0.0,
) -> BurstPlan:
    """Decide how a burst of ``load_current_a`` for ``duration_s`` is carried.

    Parameters
    ----------
    battery : Battery
        The cell (its ``max_continuous_current_a`` and ``internal_resistance_ohm``).
    open_circuit_voltage_v : float
        The cell's open-circuit voltage now (``cell.voltage_v(0.0)`` of a battery model).
    load_current_a : float
        Current the regulator draws from the cell during the burst.
    duration_s : float
    min_voltage_v : float
        Lowest input voltage the regulator (or the chip, unregulated) works at.
    buffer : Capacitor or None
        A capacitor across the cell.
    background_current_a : float
        The load before and after the burst (sleep current at the cell).
    """
    for name, value in (("load_current_a", load_current_a), ("duration_s", duration_s)):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
    r = battery.internal_resistance_ohm or 0.0
    limit = battery.max_continuous_current_a
    v_rest = open_circuit_voltage_v - background_current_a * r
    leak = 0.0 if buffer is None else min(v_rest, buffer.rated_voltage_v) / buffer.leakage_resistance_ohm
    rating = f"{battery.name}'s rated {limit * 1e3:g} mA continuous"
    if load_current_a <= limit:
        v = open_circuit_voltage_v - load_current_a * r
        return BurstPlan(
            "direct", v >= min_voltage_v, load_current_a, duration_s, 0.0, v, 0.0, 0.0, leak,
            f"{load_current_a * 1e3:.3g} mA is within {rating}: drawn from the cell directly"
            + ("" if v >= min_voltage_v else f", but the IR drop takes it to {v:.2f} V < {min_voltage_v} V"),
        )  # fmt: skip
    excess = load_current_a - limit
    if buffer is None:
        v = open_circuit_voltage_v - load_current_a * r
        pulse = battery.max_pulse_current_a
        over_pulse = (
            f"; it also exceeds the {pulse * 1e3:g} mA pulse rating"
            if pulse and load_current_a > pulse
            else ""
        )
        need = _required_f(excess, duration_s, v_rest - min_voltage_v, 0.0)
        return BurstPlan(
            "unbuffered", v >= min_voltage_v, load_current_a, duration_s, 0.0, v, 0.0, need, 0.0,
            f"{load_current_a * 1e3:.3g} mA exceeds {rating}{over_pulse}; no buffer capacitor given, so the "
            f"cell carries it all (IR drop to {v:.2f} V) and the capacity loss is only what the rate-"
            f"dependent battery model predicts; a buffer of >= {need:.3g} F would keep the cell in rating",
        )  # fmt: skip
    v0 = min(v_rest, buffer.rated_voltage_v)
    v_cell = open_circuit_voltage_v - limit * r
    sag = excess * duration_s / buffer.capacitance_f + excess * buffer.esr_ohm
    lowest = max(0.0, min(v0 - sag, v_cell))
    refill = limit - background_current_a - leak
    need = _required_f(excess, duration_s, v0 - min_voltage_v, buffer.esr_ohm)
    charge = excess * duration_s
    recharge = charge / refill if refill > 0 else math.inf
    carried = lowest >= min_voltage_v and refill > 0
    why = "" if carried else (
        " but the cell cannot refill it"
        if refill <= 0
        else f" but it sags to {lowest:.2f} V < {min_voltage_v} V"
    )  # fmt: skip
    return BurstPlan(
        "buffered", carried, limit, duration_s, recharge, lowest, charge, need, leak,
        f"{load_current_a * 1e3:.3g} mA exceeds {rating}: the {buffer.name} buffer "
        f"({buffer.capacitance_f:g} F) gives the excess {charge:.3g} C and the cell refills it at "
        f"{limit * 1e3:g} mA in {recharge:.3g} s{why}",
    )  # fmt: skip


def _required_f(excess_a: float, duration_s: float, headroom_v: float, esr_ohm: float) -> float:
    room = headroom_v - excess_a * esr_ohm
    if excess_a * duration_s == 0:
        return 0.0
    return math.inf if room <= 0 else excess_a * duration_s / room
