"""Published training-throughput figures the emulator's training costs can be held against.

The MLPerf Tiny rows calibrate inference only. For training, ``calibration/README.md`` gives two
published anchors, both for fp32 training on a Cortex-M4F:

* PULP-TrainLib's comparison: fp32 training on an STM32L4 at about 0.12 MAC/cycle, about 8 cycles/MAC
  (tag D). The core tables' backward ratio (1.4x the fp32 forward kernel) was derived from this figure
  and the ~5.8 cycles/MAC of fp32 inference, so the comparison is in sample.
* POET's measured Cortex-M4F profile (nRF52840-class, 64 MHz, 3.3 V): 6.37 MFLOPS at 3.328 mA, about
  1.72 nJ/FLOP (tag V). POET counts a multiply and an add as two FLOPs. Nothing was fitted on it.

Each anchor is predicted from one simulated full fp32 SGD training step (batch 1, optimised kernels) of
the MLPerf Tiny DS-CNN on the named device: cycles per MAC = step time x clock / MACs of the forward and
backward tasks; FLOPs = 2 x those MACs. Which network the published figures came from is not recorded,
so the workload is a stand-in: the error says how far our per-MAC costs are from the published device
figure, not a like-for-like benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emu.scenario.scenario import Scenario
from emu.sim.simulation import simulate
from workloads.program import lower

WORKLOAD = "mlperf-dscnn"


@dataclass(frozen=True)
class TrainingAnchor:
    """A published training figure, its quantity and source, and the emulator's prediction of it."""

    name: str
    device: str
    quantity: str
    published: float
    predicted: float
    in_sample: bool
    source: str

    @property
    def error_pct(self) -> float:
        return 100 * (self.predicted - self.published) / self.published

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "device": self.device,
            "model": WORKLOAD,
            "quantity": self.quantity,
            "published": self.published,
            "predicted": self.predicted,
            "error_pct": self.error_pct,
            "in_sample": self.in_sample,
            "source": self.source,
        }


def _training_step(device: str) -> tuple[float, float, float, int]:
    """(step time s, step energy J, clock Hz, forward + backward MACs) of one full fp32 training step."""
    scenario = Scenario.from_dict(
        {
            "device": {"name": device},
            "model": {"name": WORKLOAD},
            "plan": {"update": "full", "optimizer": "sgd", "batch_size": 1, "precision": "fp32"},
            "session": {"samples": 1, "sample_source": "sram", "write_back": False, "library": "optimized"},
        },
        source="training anchors",
    )
    result = simulate(scenario)
    program = lower(scenario.model, scenario.plan)
    macs = sum(t.macs for t in program.tasks if t.phase in ("forward", "backward"))
    clock_hz = result.to_dict()["clock_hz"]
    return result.step_time_s, result.step_energy_j, clock_hz, macs


def training_anchors() -> tuple[TrainingAnchor, ...]:
    """The published training anchors with the emulator's predictions."""
    l4_time, _, l4_clock, l4_macs = _training_step("stm32l4r5")
    nrf_time, nrf_energy, _, nrf_macs = _training_step("nrf52840")
    return (
        TrainingAnchor(
            "fp32 training throughput, STM32L4 (PULP-TrainLib comparison)",
            "stm32l4r5",
            "cycles per MAC",
            8.0,
            l4_time * l4_clock / l4_macs,
            True,
            "calibration/README.md, fp32 and training throughput: about 0.12 MAC/cycle (D)",
        ),
        TrainingAnchor(
            "fp32 training throughput, nRF52840-class M4F (POET profile)",
            "nrf52840",
            "MFLOPS",
            6.37,
            2 * nrf_macs / nrf_time / 1e6,
            False,
            "calibration/README.md: POET's measured Cortex-M4F profile, 64 MHz, 6.37 MFLOPS (V)",
        ),
        TrainingAnchor(
            "fp32 training energy, nRF52840-class M4F (POET profile)",
            "nrf52840",
            "nJ per FLOP",
            1.72,
            nrf_energy / (2 * nrf_macs) * 1e9,
            False,
            "calibration/README.md: POET's profile, 3.328 mA at 3.3 V, about 1.72 nJ/FLOP (V)",
        ),
    )
