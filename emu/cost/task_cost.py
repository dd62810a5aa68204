"""The cost of each task of a step program on a device: cycles, flash reads, SRAM traffic, time, power.

Rules (the constants are data, in ``hw_models/data/cores/<family>.toml``):

* A task's kernel class follows its layer: a standard convolution is ``conv``, a depthwise one
  ``depthwise``, a 1x1 one ``pointwise``; ``dense``; batch-norm, ReLU, adds, concats, upsampling
  and dropout are ``elementwise``; pools are ``pooling``; the loss task is ``loss`` and optimizer
  steps ``update``.
  Flatten aliases its input and costs nothing.
* cycles = cycles_per_mac x MACs + cycles_per_output x outputs + cycles_per_call x calls (a task stands
  for one call per micro-step when the plan accumulates gradients over micro-batches). Outputs are the
  elements a task writes: the output of a forward convolution or dense layer, the input gradient of a
  backward-data task, the element operations of element-wise, pooling and loss tasks, the bias
  reductions of a backward-weight task, and for an update one read-modify-write per parameter and per
  optimizer state slot.
* Forward tasks run in the plan's precision; loss, backward and update run in floating point (gradients
  are fp32 in both precisions), in ``softfloat`` on a core without an FPU. A backward action costs its
  forward kernel times the table's ratio for that action.
* Frozen weights execute in place from flash: a task that reads them is bounded by the flash read
  rate, ``duration = max(compute, flash bytes / read throughput)`` (the fitted cycles already include
  the typical stalls of the calibration boards, so only a flash-bound task takes longer than its
  cycles).
* The core draws the operating point's run current for the whole duration; SRAM access energy is
  charged separately only where the device gives a figure (datasheet run currents already include the
  memory system).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from hw_models.cores import CoreCostTable, KernelCost
from hw_models.device import Device, OperatingPoint
from workloads.layers import Conv2d
from workloads.step_program import StepProgram, Task, stored_param_bytes

_ELEMENTWISE = frozenset(
    {
        "batchnorm",
        "relu",
        "relu6",
        "leaky_relu",
        "sigmoid",
        "tanh",
        "elu",
        "hard_sigmoid",
        "hard_swish",
        "add",
        "mul",
        "concat",
        "upsample",
        "dropout",
    }
)
_POOLING = frozenset({"maxpool", "avgpool", "global_avg_pool"})
_FREE = frozenset({"flatten", "input"})


def kernel_class(task: Task, program: StepProgram) -> str | None:
    """The kernel class of ``task`` (None for work-free tasks such as flatten)."""
    if task.action == "loss":
        return "loss"
    if task.action == "update":
        return "update"
    node = program.graph[task.layer]
    if isinstance(node.layer, Conv2d):
        if node.layer.is_depthwise:
            return "depthwise"
        return "pointwise" if node.layer.is_pointwise() else "conv"
    if node.kind == "dense":
        return "dense"
    if node.kind in _ELEMENTWISE:
        return "elementwise"
    if node.kind in _POOLING:
        return "pooling"
    if node.kind in _FREE:
        return None
    raise ValueError(f"no kernel class for layer kind {node.kind!r}")


@dataclass(frozen=True)
class TaskWork:
    """What a task computes, in the units of the cost table."""

    kernel_class: str | None
    floating: bool
    macs: int
    outputs: int


def task_work(task: Task, program: StepProgram) -> TaskWork:
    """Kernel class, precision kind and counts of ``task`` (see the module rules)."""
    cls = kernel_class(task, program)
    floating = task.action != "forward" or program.plan.precision != "int8"
    if cls is None:
        return TaskWork(None, floating, 0, 0)
    batch = program.plan.batch_size
    node = program.graph[task.layer]
    if cls == "update":
        outputs = task.param_updates * (1 + program.plan.optimizer_state_slots)
    elif cls in ("elementwise", "pooling", "loss") or task.action == "backward_weight":
        outputs = task.elementwise_ops
    elif task.action == "backward_data":
        outputs = batch * sum(prod(s) for s in node.input_shapes)
    else:
        outputs = batch * node.output_elements
    return TaskWork(cls, floating, task.macs, outputs)


@dataclass(frozen=True)
class TaskCost:
    """The cost of one task at one operating point.

    Attributes
    ----------
    cycles : float
        Core cycles of the kernel.
    compute_s : float
        ``cycles / clock_hz``.
    flash_read_bytes : int
        Frozen weights read from flash (execute in place).
    xip_s : float
        Time the flash needs to deliver those bytes.
    sram_traffic_bytes : int
        Bytes of the SRAM tensors the task reads and writes (each counted once).
    duration_s : float
        ``max(compute_s, xip_s)``.
    """

    index: int
    phase: str
    action: str
    layer: str
    kernel_class: str | None
    cycles: float
    compute_s: float
    flash_read_bytes: int
    xip_s: float
    sram_traffic_bytes: int
    duration_s: float


class CostModel:
    """Costs the tasks of one program on one device at one operating point with one kernel library."""

    def __init__(
        self,
        program: StepProgram,
        device: Device,
        table: CoreCostTable,
        point: OperatingPoint,
        library: str | None = None,
    ) -> None:
        self.program = program
        self.device = device
        self.table = table
        self.point = point
        self.library = table.library(library)
        self.float_precision = table.float_precision(self.library, device.core.has_fpu)
        self.flash_rate_bytes_per_s = device.flash.read_throughput_at(point.clock_hz)
        self._flash_weights = self._frozen_flash_bytes()

    def _frozen_flash_bytes(self) -> dict[str, int]:
        """Per layer: the bytes its forward/backward-data tasks read from flash (weights not in SRAM)."""
        program = self.program
        stored = stored_param_bytes(program.graph, program.plan)
        in_sram = {t.layer: t.size_bytes for t in program.tensors.values() if t.category == "trained_weights"}
        return {layer: max(b - in_sram.get(layer, 0), 0) for layer, b in stored.items()}

    def kernel(self, work: TaskWork, action: str) -> KernelCost | None:
        """The cost entry of a task's work (None for work-free tasks)."""
        if work.kernel_class is None:
            return None
        precision = self.float_precision if work.floating else "int8"
        cost = self.table.kernel(self.library, precision, work.kernel_class)
        if action in self.table.backward_ratios:
            cost = cost.scaled(
                self.table.backward_ratios[action], self.table.sources[f"backward.{action}_ratio"]
            )
        return cost

    def task_cost(self, task: Task) -> TaskCost:
        work = task_work(task, self.program)
        kernel = self.kernel(work, task.action)
        cycles = kernel.cycles(work.macs, work.outputs, task.calls) if kernel else 0.0
        compute_s = cycles / self.point.clock_hz
        flash_bytes = 0
        if task.action in ("forward", "backward_data"):
            flash_bytes = self._flash_weights.get(task.layer, 0) * task.calls  # once per micro-step
        xip_s = (
            flash_bytes / self.flash_rate_bytes_per_s if flash_bytes and self.flash_rate_bytes_per_s else 0.0
        )
        tensors = self.program.tensors
        traffic = sum(tensors[n].size_bytes for n in set(task.reads) | set(task.writes))
        return TaskCost(
            task.index,
            task.phase,
            task.action,
            task.layer,
            work.kernel_class,
            cycles,
            compute_s,
            flash_bytes,
            xip_s,
            traffic,
            max(compute_s, xip_s),
        )

    def costs(self) -> tuple[TaskCost, ...]:
        """The cost of every task of the program, in order."""
        return tuple(self.task_cost(t) for t in self.program.tasks)

    @property
    def run_power_w(self) -> float:
        """Supply power while the core runs."""
        return self.point.power_w

    def sram_energy_j(self, traffic_bytes: int) -> float:
        """SRAM access energy of ``traffic_bytes`` (0 where the device gives no figure)."""
        per_byte = self.device.sram_access_energy_j_per_byte
        return traffic_bytes * per_byte if per_byte else 0.0
