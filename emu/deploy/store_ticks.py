"""Steady ticks on harvested storage, carried one storage step per harvest piece at their mean load.

Between sessions every tick is a sleep then an inference. On a supercapacitor or rechargeable cell
the fast path carries a stretch of them in one exact storage step per harvest piece at the ticks'
mean power, converted at the storage voltage of the piece's start. Two approximations: the ripple
of one inference within a piece (the mean load browns out up to one tick after the inferences
would), and the conversion over a long piece (a night) at its start voltage.
"""

from __future__ import annotations

from dataclasses import dataclass

from emu.deploy.activities import Activity
from emu.deploy.supplies import StoreSupply


@dataclass(frozen=True)
class MeanTicks:
    """``ticks`` steady ticks carried at their mean load: the storage after them and what it took."""

    supply: StoreSupply
    served_s: float
    supply_j: float
    timeline: tuple[tuple[float, float], ...]
    failed: bool
    ticks: int


def mean_ticks(
    supply: StoreSupply, start_s: float, n: int, period_s: float, inference: Activity, sleep_w: float
) -> MeanTicks:
    """Up to ``n`` ticks (a sleep, then ``inference``) from ``start_s``, one storage step per harvest piece.

    On a brown-out, ``ticks`` counts the whole ticks carried before it and ``failed`` is set.
    """
    infer_w, infer_s = inference.power_w, inference.duration_s
    sleep_s = period_s - infer_s
    points: list[tuple[float, float]] = []
    supply_j = 0.0
    for a, b, harvest_w in supply.harvest.pieces(start_s, start_s + n * period_s):
        # converted at the storage voltage of the piece's start
        mean_w = (
            supply.terminal_power_w(infer_w) * infer_s + supply.terminal_power_w(sleep_w) * sleep_s
        ) / period_s
        c = supply.carry_piece(harvest_w, mean_w, b - a)
        assert isinstance(c.supply, StoreSupply)
        supply = c.supply
        points.append((a + c.served_s, supply.state_of_charge))
        supply_j += c.supply_j
        if c.failed:
            served_s = a + c.served_s - start_s
            return MeanTicks(supply, served_s, supply_j, tuple(points), True, int(served_s // period_s))
    return MeanTicks(supply, n * period_s, supply_j, tuple(points), False, n)
