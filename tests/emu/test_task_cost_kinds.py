"""Every layer kind the importers create has a kernel class on every device's core cost table."""

import pytest

from emu.cost.task_cost import CostModel
from hw_models.cores import load_core_table
from hw_models.loader import device_names, load_device
from workloads.graph import GraphBuilder
from workloads.plan import TrainingPlan
from workloads.program import lower

ELEMENTWISE = {
    "leaky_relu",
    "sigmoid",
    "tanh",
    "elu",
    "hard_sigmoid",
    "hard_swish",
    "mul",
    "concat",
    "upsample",
}
"""The kinds under test whose work is element-wise (the activation class of the tables)."""


def _graph():
    g = GraphBuilder("kinds", (6, 6, 2))
    g.conv(4, 3)
    g.leaky_relu(0.1)
    x = g.hard_swish()
    g.global_avg_pool()
    gate = g.sigmoid()
    scaled = g.mul(x, gate)
    side = g.conv(2, 1, x=x)
    g.concat(scaled, side)
    g.maxpool(2)
    g.upsample((2, 3))
    g.maxpool((2, 3))
    g.flatten()
    g.dense(3)
    g.hard_sigmoid(1 / 6)
    g.tanh()
    g.elu(0.5)
    g.sigmoid()
    g.dense(3)
    return g.build()


@pytest.mark.parametrize("device", device_names())
def test_new_kinds_cost_as_elementwise_work_on_every_core(device):
    spec = load_device(device)
    program = lower(_graph(), TrainingPlan(update="full", batch_size=2))
    model = CostModel(program, spec, load_core_table(spec.core.family), spec.max_operating_point)
    costs = {(c.layer, c.action): c for c in model.costs()}
    for task in program.tasks:
        if task.kind in ELEMENTWISE:
            cost = costs[(task.layer, task.action)]
            assert cost.kernel_class == "elementwise"
            assert cost.cycles > 0 and cost.duration_s > 0
    assert {t.kind for t in program.tasks} >= ELEMENTWISE
    assert {(t.kind, t.action) for t in program.tasks} >= {(k, "backward_data") for k in ELEMENTWISE}
