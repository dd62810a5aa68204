"""emu.lifetime: the fast path is exact, energy is conserved, and the physics orders things as it should."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import emu
from emu.scenario.deployment import parse_duration_s
from hw_models.cells import YEAR_S
from hw_models.loader import load_battery

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "hw_models" / "data"
KWS = ROOT / "examples" / "kws_coin_cell.toml"


def tiny_cell(tmp_path: Path, mah: float = 2.0) -> str:
    """A CR2032 with a tiny capacity, so the cell dies within days."""
    text = (DATA / "batteries" / "CR2032.toml").read_text()
    path = tmp_path / "tiny.toml"
    path.write_text(text.replace("capacity_mah = 225", f"capacity_mah = {mah}").replace('"CR2032"', '"tiny"'))
    return str(path)


def device_with(tmp_path: Path, **replacements: str) -> str:
    """The nRF52840 preset with some flash lines replaced (endurance, erase time...)."""
    text = (DATA / "devices" / "nrf52840.toml").read_text()
    for old, new in replacements.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "dev.toml"
    path.write_text(text)
    return str(path)


def scenario(**sections: dict) -> emu.Scenario:
    """The coin-cell example with some section values overridden."""
    return emu.Scenario.from_toml(KWS, sections)


def short_day(tmp_path: Path, model: str = "kibam", **deployment) -> emu.Scenario:
    dep = {"horizon": "7d", "inference_period_s": 30, "training_period_h": 6, **deployment}
    return scenario(deployment=dep, supply={"battery": tiny_cell(tmp_path), "battery_model": model})


@pytest.mark.parametrize("model", ["peukert", "kibam"])
def test_fast_path_on_a_cell_is_exact_to_the_readme_bounds(tmp_path, model):
    s = short_day(tmp_path, model)
    fast, full = emu.lifetime(s, mode="fast"), emu.lifetime(s, mode="full")
    assert full.end_cause == fast.end_cause == "battery_cutoff"  # the cell dies within the 7 days
    assert full.lifetime_s < 7 * 86400
    assert fast.lifetime_s == pytest.approx(full.lifetime_s, rel=1e-8)
    assert fast.chip_energy_j == pytest.approx(full.chip_energy_j, rel=1e-8)
    assert fast.supply_energy_j == pytest.approx(full.supply_energy_j, rel=1e-4)
    assert fast.training_sessions == full.training_sessions and fast.inferences == full.inferences
    assert fast.events * 50 < full.events  # the fast path really skipped the repetitions


def test_cell_charge_equals_the_ledger_phases(tmp_path):
    """Ideal cell, chip on the cell directly: charge drawn = (sum of ledger phases) / chip voltage."""
    s = short_day(tmp_path, "ideal", horizon="2d")
    result = emu.lifetime(s)
    assert result.end_cause == "horizon_reached"
    battery = load_battery(tiny_cell(tmp_path))
    used_c = battery.capacity_c * (1 - result.soc_timeline[-1][1])
    leak_c = battery.self_discharge_per_year * battery.capacity_c * result.lifetime_s / YEAR_S
    volts = s.device.supply_voltage_v
    assert used_c == pytest.approx(result.chip_energy_j / volts + leak_c, rel=1e-9)
    assert sum(result.energy_by_component_j.values()) == pytest.approx(result.chip_energy_j, rel=1e-12)


def test_more_frequent_training_never_lives_longer(tmp_path):
    lives = [
        emu.lifetime(short_day(tmp_path, "kibam", training_period_h=h, horizon="30d")).lifetime_s
        for h in (48, 12, 4)
    ]
    assert lives[0] >= lives[1] >= lives[2]
    assert lives[0] > lives[2]


def test_race_to_sleep_or_slow_and_low_follows_the_operating_points(tmp_path):
    """Whichever clock costs less energy per day (session + sleep, from emu.simulate) lives longer."""
    clocks = (64, 8)
    lives, daily = {}, {}
    for mhz in clocks:
        s = short_day(tmp_path, "ideal", training_clock_mhz=mhz, horizon="30d")
        lives[mhz] = emu.lifetime(s).lifetime_s
        session = emu.simulate(
            replace(s, settings={**s.settings, "session": {**s.settings["session"], "clock_mhz": mhz}})
        )
        sleep_w = session.context.states.sleep_power_w
        daily[mhz] = session.session_energy_j - sleep_w * session.session_time_s
    slow_wins = daily[8] < daily[64]
    assert (lives[8] > lives[64]) == slow_wins
    assert lives[8] != lives[64]


def test_flash_wears_out_and_wear_levelling_helps(tmp_path):
    dev = device_with(tmp_path, **{"endurance_cycles = 10000": "endurance_cycles = 20"})
    results = {}
    for slots in (1, 4):
        s = scenario(
            device={"name": dev},
            deployment={"horizon": "1y", "training_period_h": 24},
            checkpoint={"policy": "end_of_session", "slots": slots},
            session={"write_back": False},
        )
        results[slots] = emu.lifetime(s)
    one, four = results[1], results[4]
    assert one.end_cause == four.end_cause == "flash_worn_out"
    assert max(one.flash_wear.values()) == 20
    assert one.training_sessions == 19  # the 20th session's checkpoint erase wore the sector out
    assert four.lifetime_s > 3.5 * one.lifetime_s


def test_flash_wear_fast_equals_full(tmp_path):
    dev = device_with(tmp_path, **{"endurance_cycles = 10000": "endurance_cycles = 6"})
    s = scenario(device={"name": dev}, deployment={"horizon": "10d", "training_period_h": 24})
    fast, full = emu.lifetime(s, mode="fast"), emu.lifetime(s, mode="full")
    assert fast.end_cause == full.end_cause == "flash_worn_out"
    assert fast.lifetime_s == pytest.approx(full.lifetime_s, rel=1e-9)
    assert fast.flash_wear == full.flash_wear


@pytest.mark.parametrize("slots", [1, 2])
def test_brownout_during_a_checkpoint_loses_it(tmp_path, slots):
    """A cell holding exactly the charge up to the middle of the second checkpoint's erase dies in it.

    One session right after the second inference (2 samples, 2 epochs: 4 steps), a checkpoint every 2
    steps. The charge is summed here from the activity costs (chip on the cell directly, a flat cell
    voltage curve so the cut-off is at empty whatever the current).
    """
    from emu.deploy.activities import inference_cost, session_cost
    from emu.scenario.deployment import DeploymentSettings

    dep = {
        "horizon": "1d",
        "inference_period_s": 60,
        "training_period_h": 1 / 60,
        "sample_every_inferences": 1,
    }
    probe = scenario(
        deployment=dep,
        checkpoint={"policy": "every_steps", "every_steps": 2, "slots": slots},
        session={"write_back": False},
    )
    settings = DeploymentSettings.from_section(probe.settings["deployment"])
    inference, result = inference_cost(probe, settings)
    cost = session_cost(probe, settings, 2)
    assert cost.steps == 4
    flash, volts = probe.device.flash, probe.device.supply_voltage_v
    erase_j = flash.erase_time_s * flash.erase_current_a * volts
    program_j = emu.lifetime(probe).activities["checkpoint"]["energy_j"] - erase_j
    sleep_j = result.context.states.sleep_power_w * (60 - inference.duration_s)
    chip_j = sleep_j + 2 * inference.energy_j + cost.head.energy_j + 4 * cost.step.energy_j
    chip_j += erase_j + program_j + erase_j / 2
    text = (DATA / "batteries" / "CR2032.toml").read_text()
    lines = [line for line in text.splitlines() if not line.startswith(("ocv_", "capacity_mah"))]
    path = tmp_path / "exact.toml"
    path.write_text("\n".join([*lines, f"capacity_mah = {chip_j / volts / 3.6!r}"]) + "\n")
    s = scenario(
        deployment=dep,
        checkpoint={"policy": "every_steps", "every_steps": 2, "slots": slots},
        session={"write_back": False},
        supply={"battery": str(path), "battery_model": "ideal"},
    )
    result = emu.lifetime(s)
    assert result.end_cause == "battery_cutoff"
    assert "checkpoint" in result.end_detail
    assert result.counts["checkpoints_written"] == 1 and result.counts["checkpoints_lost"] == 1
    # two slots: the first checkpoint (after step 2) survives; one slot: erasing it lost everything
    assert result.counts["steps_lost"] == pytest.approx(2 if slots == 2 else 4)
    assert result.work_lost_j == pytest.approx(
        result.counts["steps_lost"] * cost.step.energy_j + erase_j / 2, rel=1e-3
    )


def test_harvesting_outlives_the_same_cell_alone():
    cell = {"battery": "LIR2032", "battery_model": "ideal"}
    dep = {"horizon": "60d", "inference_period_s": 5}
    alone = emu.lifetime(scenario(deployment=dep, supply=cell))
    solar = {
        "battery": "LIR2032",
        "panel": "mono-outdoor-small",
        "latitude_deg": 40.0,
        "storage": "cell",
        "start_day_of_year": 150,
    }
    harvested = emu.lifetime(scenario(deployment=dep, supply=solar))
    assert alone.end_cause == "battery_cutoff"
    assert harvested.lifetime_s > alone.lifetime_s


def test_harvesting_brownouts_and_downtime_fast_matches_full():
    supply = {
        "panel": "AM-1815",
        "office_light_w_per_m2": 1.5,
        "storage": "supercap",
        "capacitor": "PB-5R0V474",
        "regulator": "TPS62840",
        "restart_soc": 0.3,
    }
    s = scenario(deployment={"horizon": "10d", "inference_period_s": 20}, supply=supply)
    fast, full = emu.lifetime(s, mode="fast"), emu.lifetime(s, mode="full")
    assert full.counts["brownouts"] >= 1 and full.downtime_s > 0
    assert fast.counts["brownouts"] == full.counts["brownouts"]
    assert fast.downtime_s == pytest.approx(full.downtime_s, rel=1e-3)
    assert fast.chip_energy_j == pytest.approx(full.chip_energy_j, rel=1e-3)


def test_clear_sky_solar_fast_matches_full():
    """Winter at 55 deg N under clouds on a 0.47 F supercap: nights brown the node out."""
    supply = {
        "panel": "mono-outdoor-small",
        "latitude_deg": 55.0,
        "cloud_cover": 0.8,
        "start_day_of_year": 350,
        "storage": "supercap",
        "capacitor": "PB-5R0V474",
        "regulator": "TPS62840",
        "restart_soc": 0.3,
    }
    s = scenario(deployment={"horizon": "10d", "inference_period_s": 20}, supply=supply)
    fast, full = emu.lifetime(s, mode="fast"), emu.lifetime(s, mode="full")
    assert full.counts["brownouts"] >= 3 and full.training_sessions >= 5
    assert fast.counts["brownouts"] == full.counts["brownouts"]
    assert fast.training_sessions == full.training_sessions
    assert fast.downtime_s == pytest.approx(full.downtime_s, rel=1e-3)
    assert fast.chip_energy_j == pytest.approx(full.chip_energy_j, rel=1e-3)
    assert fast.supply_energy_j == pytest.approx(full.supply_energy_j, rel=1e-3)
    assert fast.events * 100 < full.events


def test_fast_path_behind_a_buck_converter_within_the_readme_bounds():
    """The converter's input current follows the cell voltage: the jump is not exact, and says how far."""
    s = scenario(deployment={"horizon": "30d"}, supply={"regulator": "TPS62740"})
    fast, full = emu.lifetime(s, mode="fast"), emu.lifetime(s, mode="full")
    assert fast.end_cause == full.end_cause
    assert fast.lifetime_s == pytest.approx(full.lifetime_s, rel=1e-6)
    assert fast.chip_energy_j == pytest.approx(full.chip_energy_j, rel=1e-6)
    assert fast.supply_energy_j == pytest.approx(full.supply_energy_j, rel=5e-3)
    assert fast.supply_energy_j != full.supply_energy_j  # if this becomes exact, tighten the README
    assert fast.events * 50 < full.events


def test_deterministic(tmp_path):
    s = short_day(tmp_path)
    assert emu.lifetime(s).to_dict() == emu.lifetime(s).to_dict()


def test_json_keys_and_thinned_timeline():
    d = emu.lifetime(scenario(deployment={"horizon": "2y"})).to_dict()
    for key in (
        "lifetime_s",
        "end_cause",
        "training_sessions",
        "inferences",
        "energy_by_phase_j",
        "soc_timeline",
    ):
        assert key in d
    assert 2 <= len(d["soc_timeline"]) <= 301
    times = [t for t, _ in d["soc_timeline"]]
    assert times == sorted(times)


@pytest.mark.parametrize(
    ("text", "seconds"), [("5y", 5 * YEAR_S), ("90d", 90 * 86400), ("12h", 43200), ("3600s", 3600), (60, 60)]
)
def test_horizon_parsing(text, seconds):
    assert parse_duration_s(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["5x", "y", "-3d", "0d", "", "5 years", True])
def test_horizon_parsing_errors(text):
    with pytest.raises(emu.ScenarioError, match="duration"):
        parse_duration_s(text)


def test_bad_sections_are_located():
    with pytest.raises(emu.ScenarioError, match="supply.battery_model"):
        emu.lifetime(scenario(supply={"battery_model": "magic"}))
    with pytest.raises(emu.ScenarioError, match="checkpoint.every_steps"):
        emu.lifetime(scenario(checkpoint={"policy": "every_steps", "every_steps": 0}))
    with pytest.raises(emu.ScenarioError, match="deployment.train_min_soc"):
        emu.lifetime(scenario(deployment={"train_min_soc": 2}))


def test_training_offset_moves_the_sessions():
    # sessions at offset + k x period: over 66 h, a 24 h period gives sessions at 24 h and 48 h; shifted by
    # 20 h they fall at 44 h (and 68 h, past the horizon)
    def sessions(offset_h: float) -> int:
        s = scenario(deployment={"horizon": "66h", "training_period_h": 24, "training_offset_h": offset_h})
        return emu.lifetime(s).to_dict()["training_sessions"]

    assert sessions(0) == 2
    assert sessions(20) == 1


def test_a_cell_that_cannot_carry_one_inference_ends_the_life_at_once(tmp_path):
    text = (DATA / "batteries" / "CR2032.toml").read_text()
    assert "internal_resistance_ohm = 20\n" in text
    weak = tmp_path / "weak.toml"
    weak.write_text(text.replace("internal_resistance_ohm = 20\n", "internal_resistance_ohm = 400\n"))
    result = emu.lifetime(scenario(supply={"battery": str(weak)}))
    assert result.end_cause == "burst_not_carried" and result.lifetime_s == 0
    assert "first inference" in result.end_detail and result.inferences == 0
    assert emu.lifetime(scenario(supply={"battery": tiny_cell(tmp_path)})).end_cause != "burst_not_carried"
