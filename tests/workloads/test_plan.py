"""Training plans: validation and what each update policy trains."""

import pytest

from workloads.errors import WorkloadError
from workloads.plan import TrainingPlan
from workloads.zoo import build_model


@pytest.fixture(scope="module")
def dscnn():
    return build_model("mlperf-dscnn")


def test_none_trains_nothing(dscnn):
    assert TrainingPlan(update="none").resolve(dscnn) == {}


def test_full_trains_every_parameter(dscnn):
    trained = TrainingPlan(update="full").resolve(dscnn)
    assert set(trained) == {n.name for n in dscnn if n.param_count}


def test_last_k_trains_the_last_k_weighted_layers_and_their_batchnorm(dscnn):
    trained = TrainingPlan(update="last:2").resolve(dscnn)
    assert set(trained) == {"conv2d_8", "batchnorm_8", "dense_0"}


def test_bias_trains_only_biases(dscnn):
    trained = TrainingPlan(update="bias").resolve(dscnn)
    assert trained and all(t.bias and t.weight_fraction == 0 for t in trained.values())


def test_sparse_trains_biases_of_last_n_and_chosen_weight_fractions(dscnn):
    plan = TrainingPlan(update="sparse", sparse_bias_layers=2, sparse_weights={"conv2d_6": 0.5})
    trained = plan.resolve(dscnn)
    assert trained["conv2d_6"].weight_fraction == 0.5 and not trained["conv2d_6"].bias
    assert trained["conv2d_8"].bias and trained["conv2d_8"].weight_fraction == 0
    assert trained["dense_0"].bias
    assert "conv2d_7" not in trained


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"update": "last:0"}, "plan.update"),
        ({"update": "partial"}, "plan.update"),
        ({"optimizer": "adamw"}, "plan.optimizer"),
        ({"precision": "fp16"}, "plan.precision"),
        ({"batch_size": 0}, "plan.batch_size"),
        ({"batch_size": 2.5}, "plan.batch_size"),
        ({"reorder": "yes"}, "plan.reorder"),
        ({"sparse_weights": {"conv2d_1": 1.5}}, "plan.sparse_weights.conv2d_1"),
        ({"update": "sparse"}, "plan.sparse_bias_layers"),  # a sparse update of nothing
    ],
)
def test_bad_plan_fields_are_named(changes, field):
    with pytest.raises(WorkloadError) as err:
        TrainingPlan(**changes)
    assert err.value.field == field


def test_plan_that_asks_more_than_the_graph_has(dscnn):
    with pytest.raises(WorkloadError, match="at most 10"):
        TrainingPlan(update="last:11").resolve(dscnn)
    with pytest.raises(WorkloadError, match="did you mean 'conv2d_8'"):
        TrainingPlan(update="sparse", sparse_weights={"conv2d_88": 1.0}).resolve(dscnn)
