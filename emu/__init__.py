"""tinyemu's emulator: joins a workload and a device into memory, time, energy and lifetime answers.

The public API. Importing ``emu`` never imports numba: functional training loads its kernels on first use.
"""

from emu.errors import INPUT_ERRORS, ScenarioError
from emu.planning import PlanResult, plan
from emu.scenario import Scenario
from emu.simulation import SimulationResult, simulate
from emu.training import TrainResult, train  # numba-free until train() runs

__all__ = [
    "INPUT_ERRORS",
    "PlanResult",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "TrainResult",
    "plan",
    "simulate",
    "train",
]
