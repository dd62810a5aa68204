"""How long a deployed device lives on its supply, why it stops, what it gets done (:func:`emu.lifetime`).

The scenario's ``[deployment]`` section says what the device does (:mod:`emu.scenario.deployment`),
``[supply]`` what powers it (:mod:`emu.scenario.supply`) and ``[checkpoint]`` what survives a power failure
(:mod:`emu.scenario.checkpoint`). The cost of an inference and of a session comes from :func:`emu.simulate`
(once per distinct configuration); :mod:`emu.deploy.life_run` carries the timeline on the supply, and here
whole identical cycles (session to session) are jumped over exactly when the supply is a cell.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from math import gcd

from emu.cost.power import resolve_point, resolve_sleep
from emu.deploy import jump
from emu.deploy.activities import (
    LIFETIME_PHASES,
    component_key,
    flat_activity,
    inference_cost,
    phase_key,
    session_cost,
)
from emu.deploy.life_run import LifeRun
from emu.deploy.lifetime_result import COUNT_KEYS, LifetimeResult, detail_limit, thin
from emu.deploy.supplies import CellSupply
from emu.deploy.supply_build import build_supply, burst_note
from emu.errors import ScenarioError
from emu.memory.checkpoint_area import plan_area
from emu.scenario.deployment import DeploymentSettings, parse_duration_s
from emu.scenario.scenario import Scenario
from emu.sim.ledger import COMPONENTS

MODES = ("fast", "full")


def lifetime(
    scenario: Scenario,
    horizon_s: float | str | None = None,
    mode: str = "fast",
    progress: Callable[[float, float], None] | None = None,
) -> LifetimeResult:
    """Simulate the deployment of ``scenario`` until its supply or flash gives out, or the horizon.

    Parameters
    ----------
    scenario : Scenario
        With optional ``[deployment]``, ``[supply]`` and ``[checkpoint]`` sections (defaults: an
        inference a minute, a daily session on the buffered samples, a CR2032 under KiBaM, a checkpoint
        at the end of each session, a 10-year horizon).
    horizon_s : float or str or None
        Overrides ``deployment.horizon`` (seconds, or ``"5y"``, ``"90d"``...).
    mode : str
        ``fast`` (jumps over identical ticks and cycles) or ``full`` (every piece one step of the supply).
    progress : callable or None
        ``progress(simulated_s, horizon_s)``, called as the run advances (a full-mode run of years takes
        minutes); it cannot change the result.
    """
    if mode not in MODES:
        raise ScenarioError(scenario.source, "mode", mode, "fast or full")
    src = scenario.source
    dep, ckpt, supply_settings = scenario.deployment, scenario.checkpoint, scenario.supply
    horizon = dep.horizon_s if horizon_s is None else parse_duration_s(horizon_s, src, "horizon")
    base_dir = scenario.base_dir
    _check_device_names(scenario, dep)
    built = build_supply(supply_settings, scenario.device, base_dir)
    inference, inference_result = inference_cost(scenario, dep)
    if inference.duration_s >= dep.inference_period_s:
        raise ScenarioError(
            src,
            "deployment.inference_period_s",
            dep.inference_period_s,
            f"longer than one inference ({inference.duration_s:.3g} s)",
        )
    states = inference_result.context.states
    boot = flat_activity("boot", "wake", "core", states.wake_s, states.wake_power_w)
    notes = list(built.notes) + list(inference_result.context.notes)
    infeasible = list(inference_result.infeasibilities)
    trains = dep.trains and scenario.plan.trains
    samples0 = dep.session_max_samples or scenario.session.samples
    first = session_cost(scenario, dep, samples0) if trains else None
    memory = (first.result if first else inference_result).context.memory
    area = plan_area(memory, scenario.device.flash, states.supply_voltage_v, ckpt)
    if first is not None:
        infeasible += [r for r in first.result.infeasibilities if r not in infeasible]
        notes += [n for n in first.result.context.notes if n not in notes]
        if area.infeasible:
            infeasible.append(area.infeasible)
        _, note = burst_note(
            built, first.step.power_w, first.step.duration_s * first.steps, states.sleep_power_w, "training"
        )
        if note:
            notes.append(note)
    burst, note = burst_note(
        built, inference.power_w, inference.duration_s, states.sleep_power_w, "inference"
    )
    if note:
        notes.append(note)
    run = LifeRun(
        scenario,
        dep,
        ckpt,
        area,
        built.supply,
        inference,
        states.sleep_power_w,
        boot,
        horizon,
        mode == "fast",
        built.restart_soc,
    )
    if first is not None:
        run.sessions[first.samples] = first  # simulated once: the run reuses it for sessions this size
    if burst is not None and not burst.carried:
        # a fresh cell cannot hold the chip up through one inference: the first one browns it out
        run.end_cause, run.end_detail = "burst_not_carried", f"the first inference browns out: {burst.note}"
    else:
        _drive(run, progress)
    if run.training_stopped and trains and dep.train_after_samples is not None and dep.train_min_soc > 0:
        notes.append(
            "training stopped for good once the cell fell below train_min_soc (a cell never recharges)"
        )
    activities = {"inference": {"time_s": inference.duration_s, "energy_j": inference.energy_j}}
    if first is not None:
        activities["session"] = {
            "samples": first.samples,
            "steps": first.steps,
            "time_s": first.result.session_time_s,
            "energy_j": first.result.session_energy_j,
        }
        if ckpt.policy != "never":
            activities["checkpoint"] = {"size_bytes": area.size_bytes, "energy_j": area.write_j(0)}
    t = run.tally
    timeline = sorted(set(run.timeline))
    return LifetimeResult(
        scenario=scenario.name,
        device=scenario.device.name,
        model=scenario.model.name,
        supply=built.description,
        mode=mode,
        horizon_s=horizon,
        lifetime_s=min(run.t, horizon),
        end_cause=run.end_cause or "horizon_reached",
        end_detail=run.end_detail,
        counts={k: t.get(k, 0.0) for k in COUNT_KEYS},
        energy_by_phase_j={p: t.get(phase_key(p), 0.0) for p in LIFETIME_PHASES},
        energy_by_component_j={c: t.get(component_key(c), 0.0) for c in COMPONENTS},
        supply_energy_j=t.get("supply_j", 0.0),
        downtime_s=t.get("downtime_s", 0.0),
        work_lost_j=t.get("work_lost_j", 0.0),
        soc_timeline=thin(timeline),
        flash_wear=dict(run.wear),
        flash_endurance_cycles=scenario.device.flash.endurance_cycles,
        activities=activities,
        notes=tuple(notes),
        infeasibilities=tuple(infeasible),
        events=run.events,
        soc_detail=tuple(thin(timeline, detail_limit(timeline))),
    )


def _check_device_names(scenario: Scenario, dep: DeploymentSettings) -> None:
    """The ``[deployment]`` names checked against the device, so an error names the scenario's field
    (``deployment.sleep_state``), not the ``[session]`` copy an activity is simulated with."""
    device, src = scenario.device, scenario.source
    resolve_sleep(device, dep.sleep_state, src, "deployment.sleep_state")
    for phase in ("inference", "training"):
        fields = (f"deployment.{phase}_clock_mhz", f"deployment.{phase}_operating_point")
        clock_hz, point = getattr(dep, f"{phase}_clock_hz"), getattr(dep, f"{phase}_operating_point")
        resolve_point(device, clock_hz, point, src, fields)


def _drive(run: LifeRun, progress: Callable[[float, float], None] | None = None) -> None:
    """The main loop: ticks up to the next session, the session, a cycle jump when cycles repeat."""
    history: list[dict] = []
    while run.end_cause is None:
        if progress is not None:
            progress(min(run.t, run.horizon_s), run.horizon_s)
        if run.resume_due:
            run.resume_due = False
            if run.resume is None:
                raise RuntimeError("a resume was due with no interrupted session to resume")
            samples, step = run.resume
            run.run_session(samples, step)
            continue
        due = run.trigger_tick()
        target = run.last_tick() if due is None else due
        brownouts = run.tally["brownouts"]
        run.run_ticks(target)
        if run.end_cause is not None:
            break
        if due is None or run.k != due + 1 or run.tally["brownouts"] != brownouts:
            history.clear()
            if run.k > run.last_tick():
                run.sleep_until(run.horizon_s)
                run.finish("horizon_reached", "")
                break
            continue
        sessions = run.tally["training_sessions"]
        run.maybe_train()
        if run.end_cause is None and run.tally["training_sessions"] > sessions and run.fast:
            if isinstance(run.supply, CellSupply):  # only a cell's cycles are jumped over
                history.append(_snapshot(run))
            run.items = []
            if _jump_cycles(run, history):
                history.clear()
        elif run.tally["training_sessions"] == sessions:
            history.clear()


def _snapshot(run: LifeRun) -> dict:
    return {
        "t": run.t,
        "k": run.k,
        "buffered": run.buffered,
        "next_train_s": run.next_train_s,
        "session_no": run.session_no,
        "slot_next": run.slot_next,
        "wear": dict(run.wear),
        "tally": dict(run.tally),
        "items": tuple(run.items),
        "signature": tuple(
            ("ticks", item[2])
            if item[0] == "ticks"
            else (item[1].name, round(item[1].duration_s, 9), round(item[1].power_w, 12))
            for item in run.items
        ),
    }


def _jump_cycles(run: LifeRun, history: list[dict]) -> bool:
    """Jump over whole repetitions of the last cycles when they repeat exactly (cell supplies only)."""
    if not isinstance(run.supply, CellSupply) or len(history) < 3:
        return False
    last = history[-1]
    per_cycle = last["tally"].get("checkpoints_written", 0.0) - history[-2]["tally"].get(
        "checkpoints_written", 0.0
    )
    cycles = run.area.slots // gcd(int(per_cycle), run.area.slots) if per_cycle else 1
    if len(history) < 2 * cycles + 1:
        return False
    recent = history[-2 * cycles :]
    if any(h["signature"] != recent[0]["signature"] or h["buffered"] != last["buffered"] for h in recent):
        return False
    start = history[-cycles - 1]
    items = tuple(item for h in history[-cycles:] for item in h["items"])
    x0 = run.supply.vector()
    if x0 is None:
        return False
    span_s = last["t"] - start["t"]
    limit = math.floor((run.horizon_s - run.t) / span_s) - 1
    wear = {s: last["wear"].get(s, 0) - start["wear"].get(s, 0) for s in last["wear"]}
    if run.endurance is not None:
        for sector, rate in wear.items():
            if rate > 0:
                limit = min(limit, (run.endurance - 1 - run.wear[sector]) // rate)
    if limit < 1:
        return False
    f = jump.probe(lambda x: run.replay(x, items), x0, jump.probe_scale(x0))
    if f is None:
        return False
    gate = run.dep.train_min_soc

    def ok(x: tuple[float, ...]) -> bool:
        y = run.replay(x, items)
        return y is not None and run.cell_supply().with_vector(y).state_of_charge >= gate

    done = jump.first_failure(f, x0, ok, limit)
    if done < 1:
        return False
    tally = {k: v - start["tally"].get(k, 0.0) for k, v in last["tally"].items()}
    run.advance(jump.power(f, done), done, tally, None, done * span_s)
    run.k += done * (last["k"] - start["k"])
    run.session_no += done * (last["session_no"] - start["session_no"])
    run.next_train_s += done * (last["next_train_s"] - start["next_train_s"])
    run.slot_next = (run.slot_next + done * int(per_cycle) * cycles) % run.area.slots
    for sector, rate in wear.items():
        run.wear[sector] = run.wear.get(sector, 0) + done * rate
    run.events += 1
    return True
