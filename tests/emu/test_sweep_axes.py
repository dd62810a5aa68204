"""Sweep axes: keys as ``--set`` takes them, value lists, ranges, samples, product and zip."""

import pytest

from emu.errors import ScenarioError
from emu.study.axes import Interval, Samples, canonical_key, grid, overrides, parse_axis, parse_range


def test_shorthands_and_dotted_keys():
    assert canonical_key("device") == "device.name"
    assert canonical_key("model") == "model.name"
    assert canonical_key(" plan.batch_size ") == "plan.batch_size"


@pytest.mark.parametrize(
    ("key", "hint"),
    [("plan.bach_size", "batch_size"), ("plann.batch_size", "plan"), ("devise", "device")],
)
def test_a_typo_in_a_key_says_did_you_mean(key, hint):
    with pytest.raises(ScenarioError) as err:
        canonical_key(key)
    assert f"did you mean {hint!r}" in str(err.value)


def test_values_parse_as_toml_and_inline_tables_stay_whole():
    key, values = parse_axis("plan.sparse_weights={conv2d_8=0.25, dense_0=1.0},{dense_0=0.5}")
    assert key == "plan.sparse_weights"
    assert values == [{"conv2d_8": 0.25, "dense_0": 1.0}, {"dense_0": 0.5}]
    assert parse_axis("plan.batch_size=1,4,16") == ("plan.batch_size", [1, 4, 16])
    assert parse_axis("plan.reorder=true,false") == ("plan.reorder", [True, False])
    assert parse_axis("device=nrf52840,stm32f746") == ("device.name", ["nrf52840", "stm32f746"])


def test_ranges_include_both_ends_and_do_not_drift():
    assert parse_range("16..64:16") == [16, 32, 48, 64]
    assert parse_range("16..60:16") == [16, 32, 48]
    assert parse_range("0.1..0.3:0.1") == [0.1, 0.2, 0.3]
    assert parse_range("1..2") == Interval(1, 2)


@pytest.mark.parametrize("text", ["a..b:1", "5..1:1", "1..5:0", "1..5:-1"])
def test_bad_ranges_are_scenario_errors(text):
    with pytest.raises(ScenarioError):
        parse_range(text)


def test_product_varies_the_first_axis_slowest():
    points = grid({"plan.batch_size": [1, 2], "device": ["a", "b", "c"]})
    assert len(points) == 6
    assert points[0] == (("plan.batch_size", 1), ("device.name", "a"))
    assert points[1] == (("plan.batch_size", 1), ("device.name", "b"))
    assert points[3] == (("plan.batch_size", 2), ("device.name", "a"))


def test_zip_pairs_axes_and_needs_equal_lengths():
    points = grid({"plan.batch_size": [1, 2], "device": ["a", "b"]}, zip_axes=True)
    assert points == [
        (("plan.batch_size", 1), ("device.name", "a")),
        (("plan.batch_size", 2), ("device.name", "b")),
    ]
    with pytest.raises(ScenarioError, match="one length"):
        grid({"plan.batch_size": [1, 2], "device": ["a"]}, zip_axes=True)


def test_an_axis_twice_or_an_interval_without_samples_is_refused():
    with pytest.raises(ScenarioError, match="one axis only"):
        grid({"device": ["a"], "device.name": ["b"]})
    with pytest.raises(ScenarioError, match="--samples"):
        grid({"session.clock_mhz": Interval(16, 64)})


@pytest.mark.parametrize("method", ["lhs", "random"])
def test_samples_are_seeded_within_bounds_and_typed(method):
    intervals = (("session.clock_mhz", Interval(16, 64)), ("plan.learning_rate", Interval(0.001, 0.1)))
    drawn = Samples(intervals, 20, method, seed=3).draw()
    assert drawn == Samples(intervals, 20, method, seed=3).draw()
    assert drawn != Samples(intervals, 20, method, seed=4).draw()
    clocks = [dict(p)["session.clock_mhz"] for p in drawn]
    rates = [dict(p)["plan.learning_rate"] for p in drawn]
    assert all(isinstance(c, int) and 16 <= c <= 64 for c in clocks)
    assert all(isinstance(r, float) and 0.001 <= r <= 0.1 for r in rates)


def test_latin_hypercube_puts_one_sample_in_each_stratum():
    drawn = Samples((("x", Interval(0.0, 1.0)),), 10, "lhs", seed=0).draw()
    strata = sorted(int(dict(p)["x"] * 10) for p in drawn)
    assert strata == list(range(10))


def test_samples_combine_with_the_axes_as_one_more_axis():
    samples = Samples((("session.clock_mhz", Interval(16, 64)),), 3, seed=0)
    points = grid({"device": ["a", "b"]}, samples=samples)
    assert len(points) == 6
    assert [dict(p)["session.clock_mhz"] for p in points[:3]] == [
        dict(p)["session.clock_mhz"] for p in points[3:]
    ]


def test_overrides_group_by_section():
    point = (("plan.batch_size", 4), ("device.name", "x"), ("name", "n"))
    assert overrides(point) == {"plan": {"batch_size": 4}, "device": {"name": "x"}, "name": "n"}
