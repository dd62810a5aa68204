"""Published training anchors: predicted from a real simulated training step, reported as they are."""

import pytest

from emu.fidelity.training_anchors import WORKLOAD, training_anchors
from emu.scenario.scenario import Scenario
from emu.sim.simulation import simulate
from workloads.program import lower


@pytest.fixture(scope="module")
def anchors():
    return {a.device + " " + a.quantity: a for a in training_anchors()}


def test_each_anchor_cites_its_source_and_says_whether_it_was_fitted_on(anchors):
    assert len(anchors) == 3
    assert anchors["stm32l4r5 cycles per MAC"].in_sample  # the backward ratio came from this figure
    assert not anchors["nrf52840 MFLOPS"].in_sample
    for anchor in anchors.values():
        assert "calibration/README.md" in anchor.source
        document = anchor.to_dict()
        assert document["error_pct"] == pytest.approx(100 * (anchor.predicted / anchor.published - 1))


def test_predictions_come_from_the_simulated_step(anchors):
    scenario = Scenario.from_dict(
        {
            "device": {"name": "nrf52840"},
            "model": {"name": WORKLOAD},
            "plan": {"update": "full", "precision": "fp32"},
            "session": {"samples": 1, "write_back": False},
        }
    )
    result = simulate(scenario)
    macs = sum(
        t.macs for t in lower(scenario.model, scenario.plan).tasks if t.phase in ("forward", "backward")
    )
    assert anchors["nrf52840 MFLOPS"].predicted == pytest.approx(2 * macs / result.step_time_s / 1e6)
    assert anchors["nrf52840 nJ per FLOP"].predicted == pytest.approx(result.step_energy_j / (2 * macs) * 1e9)
