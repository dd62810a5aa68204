"""A cell's open-circuit voltage curve and cut-off: the voltage side shared by every battery model.

The curve is piecewise linear in state of charge (``Battery.ocv_soc``, ``Battery.ocv_voltage_v``);
without one the cell sits at its nominal voltage until empty. The terminal voltage under a load is
``ocv(soc) - current * internal_resistance`` and the cell is cut off where that reaches the cut-off
voltage, so a heavier load is cut off at a higher state of charge.
"""

from __future__ import annotations

import bisect
import functools
import math

from hw_models.battery import Battery

__all__ = ["cutoff_soc", "mean_ocv_v", "ocv_v"]


def _curve(battery: Battery) -> tuple[tuple[float, ...], tuple[float, ...]]:
    if battery.ocv_soc:
        return battery.ocv_soc, battery.ocv_voltage_v
    return (0.0, 1.0), (battery.nominal_voltage_v, battery.nominal_voltage_v)


def ocv_v(battery: Battery, soc: float) -> float:
    """Open-circuit voltage at state of charge ``soc`` (clamped to [0, 1])."""
    xs, ys = _curve(battery)
    s = min(1.0, max(0.0, soc))
    i = min(max(bisect.bisect_right(xs, s) - 1, 0), len(xs) - 2)
    return ys[i] + (ys[i + 1] - ys[i]) * (s - xs[i]) / (xs[i + 1] - xs[i])


@functools.lru_cache(maxsize=64)
def _cumulative(xs: tuple[float, ...], ys: tuple[float, ...]) -> tuple[float, ...]:
    """The curve's integral from 0 to each breakpoint (trapezoids: exact for a piecewise-linear curve)."""
    totals = [0.0]
    for i in range(len(xs) - 1):
        totals.append(totals[-1] + (xs[i + 1] - xs[i]) * (ys[i] + ys[i + 1]) / 2)
    return tuple(totals)


def _integral(battery: Battery, soc: float) -> float:
    """The integral of the curve from 0 to ``soc`` (exact for a piecewise-linear curve)."""
    xs, ys = _curve(battery)
    s = min(1.0, max(0.0, soc), xs[-1])
    if s <= xs[0]:
        return 0.0
    i = min(bisect.bisect_right(xs, s) - 1, len(xs) - 2)
    at_s = ys[i] + (ys[i + 1] - ys[i]) * (s - xs[i]) / (xs[i + 1] - xs[i])
    return _cumulative(xs, ys)[i] + (s - xs[i]) * (ys[i] + at_s) / 2


def mean_ocv_v(battery: Battery, soc_a: float, soc_b: float) -> float:
    """Mean open-circuit voltage over the state-of-charge interval between ``soc_a`` and ``soc_b``.

    With state of charge linear in time (a constant current), this is the exact time-average.
    """
    if abs(soc_a - soc_b) < 1e-15:
        return ocv_v(battery, soc_a)
    return (_integral(battery, soc_a) - _integral(battery, soc_b)) / (soc_a - soc_b)


def cutoff_soc(battery: Battery, current_a: float, cutoff_voltage_v: float | None = None) -> float:
    """The state of charge at which the terminal voltage under ``current_a`` reaches the cut-off.

    Returns 0 if the voltage stays above the cut-off down to empty, and ``math.inf`` if even a full
    cell sags below it at this current (the load is more than the cell can carry at all).
    """
    cutoff = battery.cutoff_voltage_v if cutoff_voltage_v is None else cutoff_voltage_v
    needed = cutoff + current_a * (battery.internal_resistance_ohm or 0.0)
    xs, ys = _curve(battery)
    if needed <= ys[0]:
        return 0.0
    if needed > ys[-1]:
        return math.inf
    for i in range(len(xs) - 1):
        if ys[i] <= needed <= ys[i + 1]:
            if ys[i + 1] == ys[i]:
                return xs[i]
            return xs[i] + (xs[i + 1] - xs[i]) * (needed - ys[i]) / (ys[i + 1] - ys[i])
    return xs[-1]
