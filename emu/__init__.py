"""tinyemu's emulator: joins a workload and a device into memory, time, energy and lifetime answers.

The public API. Importing ``emu`` imports neither numba nor numpy: training loads them on first use.
"""

from emu.errors import INPUT_ERRORS, ScenarioError
from emu.lifetime import lifetime
from emu.lifetime_result import LifetimeResult
from emu.planning import PlanResult, plan
from emu.scenario import Scenario
from emu.simulation import SimulationResult, simulate

_LAZY = {"train": "emu.training", "TrainResult": "emu.training"}
"""Public names whose modules load numpy (and, when run, numba): imported on first use, so that
``import emu`` and the plan path stay light."""


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'emu' has no attribute {name!r}")


__all__ = [
    "INPUT_ERRORS",
    "LifetimeResult",
    "PlanResult",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "TrainResult",
    "lifetime",
    "plan",
    "simulate",
    "train",
]
