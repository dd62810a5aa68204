"""tinyemu's emulator: joins a workload and a device into memory, time, energy and lifetime answers.

The public API. ``import emu`` is light (no numba, numpy or SimPy): the heavier stages load on first use.
"""

from emu.errors import INPUT_ERRORS, ScenarioError
from emu.lower.inspection import ModelInspection, inspect_model
from emu.memory.planning import PlanResult, plan
from emu.scenario.devices import describe_device
from emu.scenario.scenario import Scenario
from emu.study.comparison import PlanComparison, compare

_LAZY = {
    "simulate": "emu.sim.simulation",
    "SimulationResult": "emu.sim.simulation",
    "lifetime": "emu.deploy.life",
    "LifetimeResult": "emu.deploy.lifetime_result",
    "train": "emu.functional.training",
    "TrainResult": "emu.functional.training",
}
"""Public names imported on first use: the simulator (SimPy), the lifetime stack and training (numpy, and
numba when it runs) stay out of ``import emu``, so the plan path starts fast."""


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'emu' has no attribute {name!r}")


__all__ = [
    "INPUT_ERRORS",
    "LifetimeResult",
    "ModelInspection",
    "PlanComparison",
    "PlanResult",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "TrainResult",
    "compare",
    "describe_device",
    "inspect_model",
    "lifetime",
    "plan",
    "simulate",
    "train",
]
