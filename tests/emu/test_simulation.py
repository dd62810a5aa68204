"""The discrete-event emulator: ledger sums, supply vs components, analytical vs event, reuse, SRAM peak."""

from __future__ import annotations

import math

import pytest

import emu
from emu.memory.memory_plan import plan_memory
from emu.scenario.scenario import Scenario


def _scenario(device: str = "stm32l4r5", model: str = "mlp", session: dict | None = None, **plan) -> Scenario:
    data = {
        "device": {"name": device},
        "model": {"name": model},
        "plan": {"update": "full", "precision": "fp32", **plan},
        "memory": {"reserved_sram_kib": 4, "firmware_flash_kib": 64},
        "session": {"samples": 3, "epochs": 1, "sample_source": "flash", **(session or {})},
    }
    return Scenario.from_dict(data, source="test")


def test_totals_are_ledger_sums():
    result = emu.simulate(_scenario())
    d = result.to_dict()
    entries = result.ledger.entries
    assert d["session_energy_j"] == pytest.approx(sum(e.energy_j * e.count for e in entries), rel=1e-12)
    assert sum(d["energy_by_component_j"].values()) == pytest.approx(d["session_energy_j"], rel=1e-12)
    assert sum(d["energy_by_phase_j"].values()) == pytest.approx(d["session_energy_j"], rel=1e-12)
    assert sum(layer["energy_j"] for layer in d["layers"]) == pytest.approx(
        sum(e.energy_j for e in result.step_ledger.entries if e.layer), rel=1e-12
    )
    assert d["step_energy_j"] > 0 and d["session_energy_j"] > 2 * d["step_energy_j"]


@pytest.mark.parametrize("overlap", [False, True])
def test_supply_energy_equals_sum_of_components(overlap):
    scenario = _scenario(session={"dma_overlap": overlap, "sleep_s": 2.0})
    result = emu.simulate(scenario, reuse_steps=False)
    assert result.supply_energy_j == pytest.approx(sum(result.ledger.by_component().values()), rel=1e-9)
    assert result.ledger.by_component()["sleep"] > 0


@pytest.mark.parametrize(
    "model,plan", [("mlp", {}), ("lenet-digits", {"precision": "int8", "update": "last:2"})]
)
def test_analytical_agrees_with_event_mode_without_overlap(model, plan):
    scenario = _scenario(model=model, **plan)
    event = emu.simulate(scenario)
    fast = emu.simulate(scenario, mode="analytical")
    assert fast.step_time_s == pytest.approx(event.step_time_s, rel=1e-12)
    assert fast.session_time_s == pytest.approx(event.session_time_s, rel=1e-12)
    assert fast.session_energy_j == pytest.approx(event.session_energy_j, rel=1e-12)
    assert fast.ledger.by("phase") == pytest.approx(event.ledger.by("phase"), rel=1e-12)


@pytest.mark.parametrize("device", ["stm32l4r5", "rp2040", "esp32s3", "stm32f746"])
def test_overlap_never_slower(device):
    off = emu.simulate(_scenario(device=device, model="mlperf-autoencoder", update="last:1"))
    on = emu.simulate(
        _scenario(device=device, model="mlperf-autoencoder", update="last:1", session={"dma_overlap": True})
    )
    assert on.step_time_s <= off.step_time_s * (1 + 1e-12)
    for a, b in zip(on.record.spans, off.record.spans, strict=False):
        if a.component == b.component == "core" and a.layer == b.layer and a.action == b.action:
            assert a.duration_s <= b.duration_s * (1 + 1e-12)


def test_overlap_buys_time_when_flash_bound():
    # the RP2040 reads external QSPI flash: dense layers are flash-bound, prefetching overlaps them
    kwargs = {"device": "rp2040", "model": "mlperf-autoencoder", "update": "none", "precision": "int8"}
    off = emu.simulate(_scenario(**kwargs))
    on = emu.simulate(_scenario(**kwargs, session={"dma_overlap": True}))
    assert on.step_time_s < off.step_time_s
    assert on.ledger.by_component()["dma"] > 0


@pytest.mark.parametrize(
    "model,plan", [("mlp", {}), ("mlperf-dscnn", {"precision": "int8", "update": "bias"})]
)
def test_peak_sram_equals_planner(model, plan):
    scenario = _scenario(model=model, **plan)
    planned = plan_memory(
        scenario.model, scenario.plan, scenario.reserved_sram_bytes, scenario.firmware_flash_bytes
    )
    assert emu.simulate(scenario).peak_sram_bytes == planned.peak_sram_bytes


@pytest.mark.parametrize(
    "model,plan", [("mlp", {}), ("mlperf-dscnn", {"precision": "int8", "update": "bias"})]
)
def test_occupancy_replayed_from_the_engines_allocations_matches_the_plan(model, plan, monkeypatch):
    from emu.sim.hardware import Sram

    log = []
    allocate, free = Sram.allocate, Sram.free
    monkeypatch.setattr(
        Sram, "allocate", lambda s, t, names, w: (log.append(("+", names)), allocate(s, t, names, w))
    )
    monkeypatch.setattr(Sram, "free", lambda s, t, names: (log.append(("-", names)), free(s, t, names)))
    scenario = _scenario(model=model, **plan, session={"samples": 2})
    emu.simulate(scenario, reuse_steps=False)
    memory = plan_memory(
        scenario.model, scenario.plan, scenario.reserved_sram_bytes, scenario.firmware_flash_bytes
    )
    live: set[str] = set()
    peak_extent = peak_live = 0
    for sign, names in log:
        for name in names:
            if sign == "+":
                assert name not in live, f"{name} allocated twice"
                live.add(name)
            else:
                assert name in live, f"{name} freed but not live"
                live.discard(name)
        spans = sorted(
            (memory.arena.offsets[n], memory.arena.offsets[n] + memory.arena.sizes[n]) for n in live
        )
        assert all(end <= start for (_, end), (start, _) in zip(spans, spans[1:], strict=False))
        peak_extent = max(peak_extent, max((end for _, end in spans), default=0))
        peak_live = max(peak_live, sum(end - start for start, end in spans))
    assert log and set(memory.program.tensors) <= {n for sign, names in log if sign == "+" for n in names}
    assert peak_extent + scenario.reserved_sram_bytes == memory.peak_sram_bytes
    assert peak_live == max(memory.live_bytes)


@pytest.mark.parametrize("overlap", [False, True])
def test_reused_step_equals_event_by_event(overlap):
    scenario = _scenario(
        model="mlperf-autoencoder", update="last:2", session={"samples": 4, "dma_overlap": overlap}
    )
    reused = emu.simulate(scenario)
    full = emu.simulate(scenario, reuse_steps=False)
    assert reused.steps == full.steps == 4
    assert reused.session_time_s == pytest.approx(full.session_time_s, rel=1e-9)
    assert reused.session_energy_j == pytest.approx(full.session_energy_j, rel=1e-9)
    assert reused.step_energy_j == pytest.approx(full.step_energy_j, rel=1e-9)
    assert reused.ledger.by("layer") == pytest.approx(full.ledger.by("layer"), rel=1e-9)
    assert reused.supply_energy_j == pytest.approx(full.supply_energy_j, rel=1e-9)


def test_write_back_counts_wear_per_sector():
    result = emu.simulate(
        _scenario(device="nrf52840", model="mlperf-dscnn", update="last:1", precision="int8")
    )
    d = result.to_dict()
    sectors = d["write_back"]["sectors"]
    assert sectors and d["flash_wear"] == {str(s): 1 for s in sectors}
    assert d["write_back"]["program_bytes"] == 4096 * len(sectors)  # nRF52840: 4 KiB pages, whole pages
    assert d["energy_by_phase_j"]["write_back"] > 0
    no_write = emu.simulate(
        _scenario(
            device="nrf52840",
            model="mlperf-dscnn",
            update="last:1",
            precision="int8",
            session={"write_back": False},
        )
    )
    assert no_write.to_dict()["flash_wear"] == {} and "write_back" not in no_write.ledger.by("phase")


def test_infeasible_sram_is_recorded_not_short():
    result = emu.simulate(_scenario(device="nrf52840", model="mlperf-mbv1-vww", update="full"))
    assert not result.feasible and "SRAM" in result.infeasibilities[0]
    assert result.steps == 3 and result.session_time_s > 3 * result.step_time_s * 0.99


def test_deterministic():
    a = emu.simulate(_scenario(session={"dma_overlap": True})).to_dict()
    b = emu.simulate(_scenario(session={"dma_overlap": True})).to_dict()
    assert a == b


def test_inference_is_update_none_and_lower_clock_is_slower():
    fast = emu.simulate(_scenario(update="none"))
    slow = emu.simulate(_scenario(update="none", session={"clock_mhz": 60}))
    assert set(fast.ledger.by("phase")) <= {"wake", "data", "forward"}
    assert math.isclose(slow.step_time_s / fast.step_time_s, 2.0, rel_tol=0.2)


@pytest.mark.parametrize(
    "session,field",
    [
        ({"samples": 0}, "session.samples"),
        ({"sample_source": "disk"}, "session.sample_source"),
        ({"clock_mhz": 999}, "session.clock_mhz"),
    ],
)
def test_bad_session_raises_located_error(session, field):
    with pytest.raises(emu.ScenarioError) as err:
        emu.simulate(_scenario(session=session))
    assert err.value.field == field
