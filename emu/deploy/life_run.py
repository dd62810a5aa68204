"""The lifetime run: the deployment's timeline, carried by the supply piece by piece or in exact jumps.

Time is a grid of inference ticks (``k x inference_period_s``). Between training sessions every tick
is the same unit, a sleep then an inference; a session starts right after the inference of the tick
that triggers it, and ticks that fall inside a session (or a brown-out) are missed. A *cycle* runs from
the end of one session to the end of the next.

``mode="full"`` carries every sleep, inference and session piece one after the other (one constant-current
cell step, or storage step, each). ``mode="fast"`` jumps over repetitions: identical ticks, then whole
identical cycles (same session, ticks and flash writes), by the affine map of :mod:`emu.deploy.jump`
(cells); on harvested storage, ticks in one storage step per harvest piece at their mean load
(:mod:`emu.deploy.store_ticks`), a session in one step while the storage surely holds it
(:mod:`emu.deploy.store_batch`). Only a session, a checkpoint, a cut-off, a worn sector or the horizon
takes events.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Literal

from emu.deploy import jump
from emu.deploy.activities import Activity, SessionCost, flat_activity, phase_key, session_cost, tick_tally
from emu.deploy.store_batch import StoreBatch
from emu.deploy.store_ticks import mean_ticks
from emu.deploy.supplies import CellSupply, StoreSupply
from emu.memory.checkpoint_area import CheckpointArea
from emu.scenario.checkpoint import CheckpointSettings
from emu.scenario.deployment import DeploymentSettings
from emu.scenario.scenario import Scenario

Piece = tuple[Literal["piece"], Activity]
"""One activity the cycle carried."""
TickStretch = tuple[Literal["ticks"], tuple[Activity, ...], int]
"""A stretch of ``n`` identical ticks (sleep, inference) the cycle jumped over."""
CycleItem = Piece | TickStretch
"""What a cycle carried, in order, for the cycle jump to replay."""


class LifeRun:
    """One run of a deployment (owned by :func:`emu.life.lifetime`; never shared)."""

    def __init__(
        self,
        scenario: Scenario,
        deployment: DeploymentSettings,
        checkpoint: CheckpointSettings,
        area: CheckpointArea,
        supply: CellSupply | StoreSupply,
        inference: Activity,
        sleep_power_w: float,
        boot: Activity,
        horizon_s: float,
        fast: bool,
        restart_soc: float | None,
    ) -> None:
        self.scenario, self.dep, self.ckpt, self.area = scenario, deployment, checkpoint, area
        self.supply, self.inference, self.sleep_w, self.boot = supply, inference, sleep_power_w, boot
        self.horizon_s, self.fast, self.restart_soc = horizon_s, fast, restart_soc
        self.period_s = deployment.inference_period_s
        self.samples_persist = scenario.session.sample_source == "flash"
        self.endurance = scenario.device.flash.endurance_cycles
        self.sessions: dict[int, SessionCost] = {}
        self.t, self.k, self.buffered, self.session_no, self.slot_next = 0.0, 0, 0, 0, 0
        period = deployment.training_period_s
        self.next_train_s = period + deployment.training_offset_s if period else math.inf
        self.wear: dict[int, int] = {}
        self.tally: defaultdict[str, float] = defaultdict(float)
        self.timeline: list[tuple[float, float]] = [(0.0, supply.state_of_charge)]
        self.end_cause: str | None = None
        self.end_detail = ""
        self.resume: tuple[int, int] | None = None  # (samples, checkpointed step) of an interrupted session
        self.training_stopped = not deployment.trains or not scenario.plan.trains
        self.events = 0
        self.items: list[CycleItem] = []  # what the current cycle carried, for the cycle jump
        self.tick_map: jump.Affine | None = None
        self.resume_due = False
        self.batch: StoreBatch | None = None  # fast mode on storage: pieces collected, not yet carried

    # -- carrying ------------------------------------------------------------------------------------
    def carry(self, act: Activity, record: bool | None = None) -> bool:
        """Carry ``act`` from now; False (and the time of failure) on a brown-out."""
        if self.batch is not None:
            if self.batch.take(act.duration_s, act.power_w):
                for key, value in act.tally:
                    self.tally[key] += value
                self.t += act.duration_s
                if self.fast if record is None else record:
                    self.items.append(("piece", act))
                return True
            self.end_batch()  # this piece might brown out: carry it alone
        c = self.supply.carry(self.t, act.duration_s, act.power_w)
        self.events += 1
        frac = c.served_s / act.duration_s if act.duration_s > 0 else 1.0
        for key, value in act.tally:
            self.tally[key] += value * frac
        self.tally["supply_j"] += c.supply_j
        self.tally["charge_c"] += c.charge_c
        self.tally["ohmic_j"] += c.ohmic_j
        self.supply, self.t = c.supply, self.t + c.served_s
        if self.fast if record is None else record:
            self.items.append(("piece", act))
        return not c.failed

    def begin_batch(self) -> None:
        """Fast mode on storage: collect the next pieces into one storage step (emu.deploy.store_batch)."""
        if self.fast and self.batch is None and isinstance(self.supply, StoreSupply):
            self.batch = StoreBatch(self.supply, self.t)

    def end_batch(self) -> None:
        """Carry the collected pieces, if any."""
        batch, self.batch = self.batch, None
        c = batch.flush() if batch is not None else None
        if c is not None:
            self.supply = c.supply
            self.tally["supply_j"] += c.supply_j
            self.events += 1

    def sleep_act(self, duration_s: float) -> Activity:
        return flat_activity("sleep", "sleep", "sleep", duration_s, self.sleep_w)

    def sleep_until(self, t_s: float) -> bool:
        return self.carry(self.sleep_act(t_s - self.t)) if t_s > self.t else True

    def collect(self, first_tick: int, ticks: int) -> None:
        """Buffer the samples of ticks ``first_tick .. first_tick + ticks - 1``."""
        every = self.dep.sample_every_inferences
        if every == 0 or ticks <= 0:
            return
        count = (
            (first_tick + ticks - 1) // every - (first_tick - 1) // every
            if first_tick > 0
            else ((ticks - 1) // every + 1)
        )
        room = self.dep.max_buffered_samples - self.buffered
        self.buffered += min(room, count)
        self.tally["samples_dropped"] += max(0, count - room)

    # -- ticks ---------------------------------------------------------------------------------------
    def last_tick(self) -> int:
        """The last tick before the horizon."""
        return math.ceil(self.horizon_s / self.period_s) - 1

    def tick(self) -> bool:
        """Sleep to the next tick, run its inference, buffer its sample (ticks already past are missed)."""
        late = math.ceil(self.t / self.period_s - 1e-9)
        if late > self.k:
            self.tally["inferences_missed"] += late - self.k
            self.k = late
        if self.k > self.last_tick():
            return True
        self.begin_batch()
        if not self.sleep_until(self.k * self.period_s):
            return self.brownout("sleep")
        if not self.carry(self.inference):
            return self.brownout("inference")
        self.end_batch()
        self.tally["inferences"] += 1
        self.collect(self.k, 1)
        self.k += 1
        return True

    def run_ticks(self, last: int) -> None:
        """Run the ticks up to ``last`` (inclusive) or the horizon, unless the run ends first."""
        last = min(last, self.last_tick())
        while self.k <= last and self.end_cause is None:
            steady = (
                self.k > 0 and abs(self.t - ((self.k - 1) * self.period_s + self.inference.duration_s)) < 1e-9
            )
            n = last - self.k + 1
            if not (self.fast and steady and n > 1 and self.jump_ticks(n)):
                self.tick()

    def jump_ticks(self, n: int) -> int:
        """Advance up to ``n`` steady ticks at once; returns how many were advanced."""
        if isinstance(self.supply, StoreSupply):
            return self.carry_mean_ticks(self.supply, n)
        x0 = self.supply.vector()
        if x0 is None or n < 2:
            return 0
        unit = (self.sleep_act(self.period_s - self.inference.duration_s), self.inference)
        if self.tick_map is None:
            self.tick_map = jump.probe(lambda x: self.replay(x, unit), x0, self.scale(x0))
        if self.tick_map is None:
            return 0
        done = jump.first_failure(self.tick_map, x0, lambda x: self.replay(x, unit) is not None, n)
        if done == 0:
            return 0
        self.advance(jump.power(self.tick_map, done), done, tick_tally(unit), unit, done * self.period_s)
        self.items.append(("ticks", unit, done))
        self.collect(self.k, done)
        self.k += done
        self.events += 1
        return done

    def carry_mean_ticks(self, supply: StoreSupply, n: int) -> int:
        """Up to ``n`` steady ticks on storage at their mean load (:mod:`emu.deploy.store_ticks`)."""
        done = mean_ticks(supply, self.t, n, self.period_s, self.inference, self.sleep_w)
        for key, value in tick_tally(
            (self.sleep_act(self.period_s - self.inference.duration_s), self.inference)
        ).items():
            self.tally[key] += value * done.ticks
        self.tally["supply_j"] += done.supply_j
        self.events += len(done.timeline)
        self.timeline.extend(done.timeline)
        self.collect(self.k, done.ticks)
        self.k += done.ticks
        self.supply, self.t = done.supply, self.t + done.served_s
        self.timeline.append((self.t, done.supply.state_of_charge))
        if not done.failed:
            return n
        self.brownout("sleep")
        return n if self.end_cause else done.ticks

    def scale(self, x: tuple[float, ...]) -> tuple[float, ...]:
        total = sum(abs(v) for v in x) or 1.0
        return (total,) * len(x)

    def cell_supply(self) -> CellSupply:
        """The supply, which the exact jumps need to be a cell (storage takes store_ticks and store_batch).

        Raises
        ------
        TypeError
            If the supply is storage: a jump was tried where it does not apply, a bug.
        """
        if not isinstance(self.supply, CellSupply):
            raise TypeError("the exact jumps apply to a cell supply, not to harvesting storage")
        return self.supply

    def replay(self, x: tuple[float, ...], items: Sequence[Activity | CycleItem]) -> tuple[float, ...] | None:
        """The cell state after carrying ``items`` from state ``x`` (None if it fails or the buffer owes)."""
        if min(x) < 0:
            return None  # extrapolated past empty
        try:
            supply = self.cell_supply().with_vector(x)
        except ValueError:  # a state no cell can be in (beyond full or empty)
            return None
        for item in items:
            if isinstance(item, Activity):
                c = supply.carry(0.0, item.duration_s, item.power_w)
                if c.failed:
                    return None
                supply = c.supply
            elif item[0] == "piece":
                c = supply.carry(0.0, item[1].duration_s, item[1].power_w)
                if c.failed:
                    return None
                supply = c.supply
            else:
                _, unit, n = item
                y = supply.vector()
                if y is None or self.tick_map is None or self.replay(y, unit) is None:
                    return None
                y = jump.apply(jump.power(self.tick_map, n - 1), y)
                if self.replay(y, unit) is None:
                    return None
                supply = supply.with_vector(jump.apply(self.tick_map, y))
        return supply.vector()

    def advance(
        self,
        f: jump.Affine,
        units: int,
        per_unit: dict[str, float],
        unit: Sequence[Activity] | None,
        span_s: float,
    ) -> None:
        """Apply a jump of ``units`` units: the cell state, the tallies, the supply energy, the timeline.

        ``unit`` is what one unit carries, to measure its charge when ``per_unit`` has none (None: a
        cycle, whose tallies always have it).
        """
        before = self.cell_supply()
        x0 = before.vector()
        if x0 is None:
            raise TypeError(f"{type(before.cell).__name__} has no state vector to jump")
        points = 40
        after = before.with_vector(jump.apply(f, x0))
        charge = per_unit.get("charge_c", 0.0) * units
        ohmic = per_unit.get("ohmic_j", 0.0) * units
        for key, value in per_unit.items():
            if key not in ("supply_j", "charge_c", "ohmic_j"):
                self.tally[key] += value * units
        if charge == 0.0 and unit is not None:
            charge, ohmic = (units * v for v in before.drain_of((a.duration_s, a.power_w) for a in unit))
        self.tally["charge_c"] += charge
        self.tally["ohmic_j"] += ohmic
        self.tally["supply_j"] += before.energy_between_j(
            charge, ohmic, before.state_of_charge, after.state_of_charge
        )
        t0 = self.t
        self.supply, self.t = after, self.t + span_s
        if units >= 2 * points:
            soc0, soc1 = before.state_of_charge, after.state_of_charge
            for i in range(1, points):
                self.timeline.append((t0 + span_s * i / points, soc0 + (soc1 - soc0) * i / points))
        self.timeline.append((self.t, after.state_of_charge))

    # -- sessions ------------------------------------------------------------------------------------
    def session_cost(self, samples: int) -> SessionCost:
        if samples not in self.sessions:
            self.sessions[samples] = session_cost(self.scenario, self.dep, samples)
        return self.sessions[samples]

    def trigger_tick(self) -> int | None:
        """The tick after whose inference the next session is due (None: no more training)."""
        if self.training_stopped:
            return None
        due = []
        if self.dep.training_period_s is not None:
            due.append(max(self.k, math.ceil(self.next_train_s / self.period_s - 1e-9)))
        m, every = self.dep.train_after_samples, self.dep.sample_every_inferences
        if m is not None:
            if self.buffered >= m:
                due.append(self.k)
            else:
                first = -(-self.k // every) * every
                due.append(first + (m - self.buffered - 1) * every)
        return min(due) if due else None

    def maybe_train(self) -> None:
        """At a trigger tick: run the session, or skip it (nothing buffered, or too little energy)."""
        by_period = self.next_train_s <= self.t + 1e-9
        period = self.dep.training_period_s
        if by_period and period is not None:  # without a period next_train_s is inf
            while self.next_train_s <= self.t + 1e-9:
                self.next_train_s += period
        if self.buffered == 0 or self.supply.state_of_charge < self.dep.train_min_soc:
            self.tally["sessions_skipped"] += 1
            if not by_period and isinstance(self.supply, CellSupply):
                self.training_stopped = True  # a cell never recharges: the sample trigger would spin
            return
        n = min(self.buffered, self.dep.session_max_samples or self.session_default_samples())
        self.buffered -= n
        self.session_no += 1
        self.run_session(n, 0)

    def session_default_samples(self) -> int:
        return self.scenario.session.samples

    def run_session(self, samples: int, start_step: int) -> None:
        """Carry a session from ``start_step`` (a resumed session starts at its checkpoint)."""
        self.begin_batch()
        self._session(samples, start_step)
        self.end_batch()

    def _session(self, samples: int, start_step: int) -> None:
        cost = self.session_cost(samples)
        self.resume = (samples, start_step)
        if not self.carry(cost.head):
            return self.fail_in_session(cost, start_step, start_step, "the session's wake-up")
        done, last_good = start_step, start_step
        holds: dict[int, int] = {}
        for mark in (*[c for c in self.ckpt.after_steps(cost.steps) if c > done], None):
            end = cost.steps if mark is None else mark
            if end > done:
                before = self.t
                if not self.carry(cost.step.repeated(end - done)):
                    position = done + (self.t - before) / cost.step.duration_s
                    self.tally["training_steps"] += math.floor(position) - done
                    return self.fail_in_session(cost, position, last_good, "training")
                self.tally["training_steps"] += end - done
                done = end
            if mark is None:
                break
            slot = self.slot_next
            self.slot_next = (slot + 1) % self.area.slots
            holds.pop(slot, None)
            last_good = max(holds.values(), default=start_step)
            spent_before = self.tally[phase_key("checkpoint")]
            for sector in self.area.slot_sectors[slot]:
                act = flat_activity(
                    "checkpoint_erase",
                    "checkpoint",
                    "flash",
                    self.area.sector_erase_s[sector],
                    self.area.erase_power_w,
                )
                if not self.erase(sector, act):
                    return self.fail_in_session(cost, done, last_good, "a checkpoint", spent_before)
            program = flat_activity(
                "checkpoint_program", "checkpoint", "flash", self.area.program_s, self.area.program_power_w
            )
            if not self.carry(program):
                return self.fail_in_session(cost, done, last_good, "a checkpoint", spent_before)
            holds[slot], last_good = done, done
            self.tally["checkpoints_written"] += 1
        for sector, act in cost.write_back:
            if not self.erase(sector, act):
                return self.fail_in_session(cost, done, last_good, "the write-back")
        if cost.program is not None and not self.carry(cost.program):
            return self.fail_in_session(cost, done, last_good, "the write-back")
        self.resume = None
        self.tally["training_sessions"] += 1
        self.tally["samples_trained"] += samples

    def erase(self, sector: int, act: Activity) -> bool:
        """Erase a sector (its wear counts when the erase starts); False on a brown-out or wear-out."""
        self.wear[sector] = self.wear.get(sector, 0) + 1
        if not self.carry(act):
            return False
        if self.endurance is not None and self.wear[sector] >= self.endurance:
            self.finish(
                "flash_worn_out", f"flash sector {sector} reached its {self.endurance:,} erase cycles"
            )
            return False
        return True

    def fail_in_session(
        self,
        cost: SessionCost,
        position: float,
        last_good: int,
        where: str,
        checkpoint_j0: float | None = None,
    ) -> None:
        """A session stopped by a brown-out (or the flash wearing out): count what was lost."""
        if self.end_cause == "flash_worn_out":
            return
        lost_steps = max(0.0, position - last_good)
        self.tally["steps_lost"] += lost_steps
        self.tally["work_lost_j"] += lost_steps * cost.step.energy_j
        if checkpoint_j0 is not None:
            self.tally["checkpoints_lost"] += 1
            self.tally["work_lost_j"] += self.tally[phase_key("checkpoint")] - checkpoint_j0
        self.resume = (cost.samples, last_good) if self.samples_persist else None
        self.brownout(where)

    # -- power failures ------------------------------------------------------------------------------
    def brownout(self, where: str) -> bool:
        """The supply gave out: a cell ends the life; storage restarts the device once it recovers."""
        if not isinstance(self.supply, StoreSupply) or self.restart_soc is None:
            day = self.t / 86400.0
            self.finish("battery_cutoff", f"the cell reached its cut-off during {where} on day {day:,.1f}")
            return False
        if not self.samples_persist:
            self.tally["samples_dropped"] += self.buffered
            self.buffered = 0
        self.tally["brownouts"] += 1
        failed_at = self.t
        self.timeline.append((self.t, self.supply.state_of_charge))
        supply, back = self.supply.recover(self.t, self.restart_soc, self.horizon_s)
        self.supply, self.t = supply, back
        self.tally["downtime_s"] += back - failed_at
        restart_k = math.ceil(back / self.period_s - 1e-12)
        self.tally["inferences_missed"] += max(0, restart_k - self.k)
        self.k = max(self.k, restart_k)
        self.timeline.append((self.t, self.supply.state_of_charge))
        if back >= self.horizon_s:
            self.finish("horizon_reached", "the horizon came while the device was browned out")
            return False
        if not self.carry(self.boot, record=False):
            return self.brownout("a restart")
        self.resume_due = self.resume is not None
        return True

    def finish(self, cause: str, detail: str) -> None:
        self.end_batch()
        if self.end_cause is None:
            self.end_cause, self.end_detail = cause, detail
            self.timeline.append((self.t, self.supply.state_of_charge))
