"""tinyemu's emulator: joins a workload and a device into memory, time, energy and lifetime answers.

The public API. ``import emu`` is light (no numba, numpy or SimPy): the heavier stages load on first use.
"""

from typing import TYPE_CHECKING

from emu.errors import INPUT_ERRORS, ScenarioError
from emu.lower.inspection import ModelInspection, inspect_model
from emu.memory.planning import PlanResult, plan
from emu.scenario.devices import describe_device
from emu.scenario.scenario import Scenario
from emu.study.comparison import PlanComparison, compare

if TYPE_CHECKING:  # the lazy names below, for the type checker; at run time __getattr__ loads them
    from emu.deploy.life import lifetime
    from emu.deploy.lifetime_result import LifetimeResult
    from emu.functional.forward import forward
    from emu.functional.training import TrainResult, train
    from emu.sim.simulation import SimulationResult, simulate

_LAZY = {
    "simulate": "emu.sim.simulation",
    "SimulationResult": "emu.sim.simulation",
    "lifetime": "emu.deploy.life",
    "LifetimeResult": "emu.deploy.lifetime_result",
    "train": "emu.functional.training",
    "forward": "emu.functional.forward",
    "TrainResult": "emu.functional.training",
    "optimize": "emu.study.optimization",
    "OptimizeResult": "emu.study.optimization",
    "sweep": "emu.study.sweep",
    "SweepTable": "emu.study.sweep_table",
    "Samples": "emu.study.axes",
    "Journal": "emu.study.journal",
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
    "OptimizeResult",
    "PlanComparison",
    "PlanResult",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "Samples",
    "SweepTable",
    "Journal",
    "TrainResult",
    "compare",
    "describe_device",
    "forward",
    "inspect_model",
    "lifetime",
    "optimize",
    "plan",
    "simulate",
    "sweep",
    "train",
]
