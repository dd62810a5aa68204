"""Steady ticks on harvested storage, carried one storage step per harvest piece at their mean load.

Between sessions every tick is a sleep then an inference. On a supercapacitor or rechargeable cell
the fast path carries a stretch of them in one exact storage step per harvest piece at the ticks'
mean power, converted at the storage voltage of the piece's start. Two approximations: the ripple
of one inference within a piece (the mean load browns out up to one tick after the inferences
would), and the conversion over a long piece (a night) at its start voltage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emu.deploy.supplies import StoreSupply

if TYPE_CHECKING:
    from emu.deploy.life_run import LifeRun


def store_ticks(run: LifeRun, n: int) -> int:
    """Carry up to ``n`` steady ticks of ``run`` from now; returns how many ticks were carried."""
    supply, served_s, supply_j, points, failed = _mean_ticks(run, n)
    if not failed:
        _commit(run, supply, n * run.period_s, supply_j, points, n)
        return n
    ticks = int(served_s // run.period_s)
    _commit(run, supply, served_s, supply_j, points, ticks)
    run.brownout("sleep")
    return n if run.end_cause else ticks


def _mean_ticks(run: LifeRun, n: int) -> tuple[StoreSupply, float, float, list[tuple[float, float]], bool]:
    """``n`` ticks at the mean load, not yet applied: (supply, served_s, supply_j, timeline, failed)."""
    supply = run.supply
    if not isinstance(supply, StoreSupply):
        raise TypeError("store ticks carry harvesting storage; a cell's ticks take the exact jump")
    period_s = run.period_s
    infer_w, infer_s = run.inference.power_w, run.inference.duration_s
    sleep_s = period_s - infer_s
    start_t = run.t
    points: list[tuple[float, float]] = []
    supply_j = 0.0
    for a, b, harvest_w in supply.harvest.pieces(start_t, start_t + n * period_s):
        mean_w = (
            supply.terminal_power_w(infer_w) * infer_s + supply.terminal_power_w(run.sleep_w) * sleep_s
        ) / period_s
        c = supply.carry_piece(harvest_w, mean_w, b - a)
        supply = c.supply
        points.append((a + c.served_s, supply.state_of_charge))
        supply_j += c.supply_j
        if c.failed:
            return supply, a + c.served_s - start_t, supply_j, points, True
    return supply, n * period_s, supply_j, points, False


def _commit(
    run: LifeRun,
    supply: StoreSupply,
    served_s: float,
    supply_j: float,
    points: list[tuple[float, float]],
    ticks: int,
) -> None:
    sleep = run.sleep_act(run.period_s - run.inference.duration_s)
    for act in (sleep, run.inference):
        for key, value in act.tally:
            run.tally[key] += value * ticks
    run.tally["inferences"] += ticks
    run.tally["supply_j"] += supply_j
    run.events += len(points)
    run.timeline.extend(points)
    run.collect(run.k, ticks)
    run.k += ticks
    run.supply, run.t = supply, run.t + served_s
    run.timeline.append((run.t, supply.state_of_charge))
