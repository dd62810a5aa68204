"""tinyemu's emulator: joins a workload and a device into memory, time, energy and lifetime answers.

The public API. ``import emu`` is light (no numba, numpy or SimPy): the heavier stages load on first use.
"""

from emu.comparison import PlanComparison, compare
from emu.errors import INPUT_ERRORS, ScenarioError
from emu.inspection import ModelInspection, inspect_model
from emu.planning import PlanResult, plan
from emu.scenario import Scenario

_LAZY = {
    "simulate": "emu.simulation",
    "SimulationResult": "emu.simulation",
    "lifetime": "emu.life",
    "LifetimeResult": "emu.lifetime_result",
    "train": "emu.training",
    "TrainResult": "emu.training",
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
    "inspect_model",
    "lifetime",
    "plan",
    "simulate",
    "train",
]
