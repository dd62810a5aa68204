"""Exact jumps: the first failing period found by the binary climb equals the one found by stepping."""

import pytest

from emu.deploy.jump import apply, first_failure, power


def _stepped(f, x0, ok, limit):
    x = x0
    for j in range(limit):
        if not ok(x):
            return j
        x = apply(f, x)
    return limit


@pytest.mark.parametrize("limit", [0, 1, 2, 3, 7, 8, 9, 100, 1023, 1024, 1025])
@pytest.mark.parametrize("floor", [-1.0, 0.0, 0.37, 0.9, 0.999, 1.0])
def test_first_failure_matches_stepping_period_by_period(limit, floor):
    f = (((0.999,), (0.0,)), (-1e-4,))  # a draining state: x -> 0.999 x - 1e-4
    ok = lambda x: x[0] > floor  # noqa: E731
    assert first_failure(f, (1.0,), ok, limit) == _stepped(f, (1.0,), ok, limit)


def test_power_is_repeated_application():
    f = (((0.9, 0.05), (0.1, 0.8)), (-0.01, -0.02))
    x = (1.0, 0.5)
    stepped = x
    for _ in range(13):
        stepped = apply(f, stepped)
    assert apply(power(f, 13), x) == pytest.approx(stepped, rel=1e-12)
