"""Short pieces on harvested storage carried as one storage step, while the storage surely holds them.

A session on a supercapacitor is a dozen pieces of a few milliseconds to a second (its head, the
training steps between checkpoints, the checkpoint writes, the write-back), and the tick after it a
sleep and an inference: each one its own exact storage step in ``mode="full"``. In ``mode="fast"`` a
:class:`StoreBatch` collects them instead and carries them in one step per harvest piece at their
mean power (the approximation :func:`emu.store_ticks.store_ticks` already makes for a stretch
of ticks: the pieces' powers are converted at the storage voltage of the batch's start, and the
ripple within it is not followed). It only takes a piece while the storage holds at least twice the
energy the batch needs with no harvest at all (leakage at its largest included), so nothing in the
batch can brown out, neither in the batch nor piece by piece: the piece that would break that bound
ends the batch and is carried alone, exactly, where a brown-out can be located.
"""

from __future__ import annotations

from emu.deploy.supplies import Carry, StoreSupply

SAFETY_FACTOR = 2.0
"""How many times the batch's worst-case need the storage must hold for the batch to take a piece."""


class StoreBatch:
    """Pieces collected from ``t_s`` on ``supply``, to be carried by :meth:`flush` (owned by one run).

    Parameters
    ----------
    supply : StoreSupply
        The supply at the batch's start (it is not stepped until :meth:`flush`).
    t_s : float
        The batch's start time.
    """

    def __init__(self, supply: StoreSupply, t_s: float) -> None:
        self.supply, self.t0_s = supply, t_s
        self.duration_s, self.terminal_j = 0.0, 0.0
        self._usable_j = supply.store.usable_energy_j
        self._leak_w = supply.store.max_leak_w
        self._terminal_w: dict[float, float] = {}  # chip power -> storage power, at the batch's voltage

    def take(self, duration_s: float, chip_power_w: float) -> bool:
        """Add a piece if the storage surely carries the batch with it (False: carry it alone)."""
        power_w = self._terminal_w.get(chip_power_w)
        if power_w is None:
            power_w = self._terminal_w[chip_power_w] = self.supply.terminal_power_w(chip_power_w)
        terminal_j = self.terminal_j + power_w * duration_s
        duration = self.duration_s + duration_s
        if SAFETY_FACTOR * (terminal_j + self._leak_w * duration) >= self._usable_j:
            return False
        self.duration_s, self.terminal_j = duration, terminal_j
        return True

    def flush(self) -> Carry[StoreSupply] | None:
        """Carry the pieces taken so far at their mean power (None if there were none)."""
        if self.duration_s <= 0:
            return None
        c = self.supply.carry_terminal(self.t0_s, self.duration_s, self.terminal_j / self.duration_s)
        if c.failed:  # excluded by the bound in take(): a bug, not a brown-out
            raise RuntimeError(f"a storage batch browned out at {self.t0_s + c.served_s:.6g} s")
        return c
