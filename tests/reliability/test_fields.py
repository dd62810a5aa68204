"""The table of numeric scenario fields: every entry is a real key, and each refuses the classes of
impossible number (NaN, infinities, booleans, fractions of a count, past either bound) through the
scenario boundary, while a value inside its range passes."""

import math

import pytest

from emu.errors import ScenarioError
from emu.scenario.fields import NUMERIC_FIELDS, check_field
from emu.scenario.scenario import SECTIONS, Scenario

BASE = {"device": {"name": "nrf52840"}, "model": {"name": "mlp"}}


def test_every_numeric_field_is_a_scenario_key():
    for dotted in NUMERIC_FIELDS:
        section, key = dotted.split(".")
        assert key in SECTIONS[section], dotted


def _impossible(dotted):
    limits = NUMERIC_FIELDS[dotted]
    values = [math.nan, math.inf, -math.inf, True, [1], {"a": 1}, limits.high * 2 + 1, limits.low - 1]
    if limits.integer:
        values.append(limits.low + 0.5)
    if not limits.text:
        values.append("1")
    return values


@pytest.mark.parametrize("dotted", sorted(NUMERIC_FIELDS))
def test_each_field_refuses_impossible_numbers_where_the_scenario_enters(dotted):
    section, key = dotted.split(".")
    for value in _impossible(dotted):
        data = {**BASE, section: {**BASE.get(section, {}), key: value}}
        with pytest.raises(ScenarioError) as err:
            Scenario.from_dict(data, source="s.toml")
        message = str(err.value)
        assert message.startswith("s.toml: ") and dotted in message, (value, message)
        assert "\n" not in message


@pytest.mark.parametrize("dotted", sorted(NUMERIC_FIELDS))
def test_each_field_accepts_its_bounds_when_closed(dotted):
    limits = NUMERIC_FIELDS[dotted]
    cast = int if limits.integer else float
    for value, is_open in ((limits.low, limits.low_open), (limits.high, limits.high_open)):
        if is_open:
            with pytest.raises(ScenarioError):
                check_field("s.toml", dotted, cast(value))
        else:
            check_field("s.toml", dotted, cast(value))
    check_field("s.toml", dotted, cast((limits.low + limits.high) / 2))
