"""A fuzzer of our own: scenarios mutated from ``examples/`` either load and plan, or raise an input error.

Seeded, so a failure reproduces: each case is derived from ``random.Random(SEED + i)``. Three families
of mutation, as a tester would try them:

- structural: replace one to three values of a parsed example with NaN, infinities, huge or negative
  numbers, booleans, fractions, strings, arrays, tables, or delete the key (what a TOML file can say);
- ``--set``: the same kinds of values as command-line text, through the CLI's own parser;
- textual: the example's TOML text truncated, a line dropped or duplicated, a character changed.

Each mutated scenario is built, its sections parsed (session, deployment, supply, checkpoint, train) and
planned; anything raised must be one of :data:`emu.errors.INPUT_ERRORS` (exit code 2). A plan that does
not fit is a verdict, not an error.
"""

from __future__ import annotations

import functools
import math
import random
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import emu
from cli.options import build_scenario
from emu.errors import INPUT_ERRORS
from emu.scenario.checkpoint import CheckpointSettings
from emu.scenario.deployment import DeploymentSettings
from emu.scenario.scenario import Scenario
from emu.scenario.session import SessionSettings
from emu.scenario.supply import SupplySettings
from emu.scenario.train import TrainSettings
from workloads.plan import TrainingPlan

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))
SEED = 20261204
CASES = 600

VALUES: tuple[Any, ...] = (
    math.nan,
    math.inf,
    -math.inf,
    1e308,
    -1e308,
    10**30,
    2**63 - 1,
    -1,
    0,
    0.0,
    2.5,
    1e-300,
    True,
    False,
    "",
    "x",
    "last:²",
    "/dev/zero",
    "/proc/self",
    "a\x00b.toml",
    "../examples/kws_nrf52840.toml",
    [],
    [1, 2],
    {},
    {"a": math.nan},
)
SET_TOKENS = (
    "nan",
    "inf",
    "-inf",
    "1e308",
    "99999999999999999999999",
    "-1",
    "0",
    "2.5",
    "true",
    '"x"',
    "[]",
    "{}",
    "[[[[1]]]]",
    '"last:0"',
    "0x7fffffffffffffff",
    "1e-320",
)


def _leaves(data: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s, k) for s, table in data.items() if isinstance(table, dict) for k in table]


def _structural(data: dict[str, Any], rng: random.Random) -> tuple[dict[str, Any], str]:
    data = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
    changes = []
    for _ in range(rng.randint(1, 3)):
        leaves = _leaves(data)
        if not leaves:
            break
        section, key = rng.choice(leaves)
        if rng.random() < 0.15:
            del data[section][key]
            changes.append(f"del {section}.{key}")
        else:
            value = rng.choice(VALUES)
            data[section][key] = value
            changes.append(f"{section}.{key}={value!r}")
    return data, "; ".join(changes)


def _textual(text: str, rng: random.Random) -> tuple[str, str]:
    lines = text.splitlines()
    kind = rng.choice(["truncate", "drop", "duplicate", "char"])
    if kind == "truncate":
        at = rng.randrange(len(text))
        return text[:at], f"truncated at {at}"
    i = rng.randrange(len(lines))
    if kind == "drop":
        return "\n".join(lines[:i] + lines[i + 1 :]), f"dropped line {i + 1}"
    if kind == "duplicate":
        return "\n".join(lines[: i + 1] + lines[i:]), f"duplicated line {i + 1}"
    at = rng.randrange(len(text))
    char = rng.choice("=[]{}\"'#.\n0-9eE+")
    return text[:at] + char + text[at + 1 :], f"char {at} -> {char!r}"


def _exercise(scenario: Scenario) -> None:
    """What the commands do first with a scenario: parse every section, then plan it."""
    src = scenario.source
    SessionSettings.from_section(scenario.settings.get("session"), src)
    DeploymentSettings.from_section(scenario.settings.get("deployment"), src)
    SupplySettings.from_section(scenario.settings.get("supply"), src)
    CheckpointSettings.from_section(scenario.settings.get("checkpoint"), src)
    TrainSettings.from_scenario(scenario)
    emu.plan(scenario, suggest=False)


def _case(i: int, tmp_path: Path) -> tuple[str, Callable[[], Scenario]]:
    """Case ``i``: what was mutated, and how to build the mutated scenario."""
    rng = random.Random(SEED + i)
    example = rng.choice(EXAMPLES)
    text = example.read_text()
    family = rng.choice(["structural", "structural", "set", "textual"])
    if family == "structural":
        data, what = _structural(tomllib.loads(text), rng)
        build = functools.partial(Scenario.from_dict, data, source=example.name, base_dir=example.parent)
    elif family == "set":
        section, key = rng.choice(_leaves(tomllib.loads(text)))
        assignment = f"{section}.{key}={rng.choice(SET_TOKENS)}"
        what = f"--set {assignment}"
        build = functools.partial(build_scenario, example, None, None, assignments=[assignment])
    else:
        mutated, what = _textual(text, rng)
        path = tmp_path / f"case{i}.toml"
        path.write_text(mutated)
        build = functools.partial(Scenario.from_toml, path)
    return f"{example.name}: {family}: {what}", build


def test_mutated_scenarios_load_and_plan_or_raise_an_input_error(tmp_path):
    bugs = []
    outcomes = {"ok": 0, "input error": 0}
    for i in range(CASES):
        what, build = _case(i, tmp_path)
        try:
            _exercise(build())
            outcomes["ok"] += 1
        except INPUT_ERRORS as exc:
            outcomes["input error"] += 1
            assert "\n" not in str(exc).strip() or "TOML" in str(exc), (
                f"case {i} ({what}): a multi-line error {exc}"
            )
        except Exception as exc:  # noqa: BLE001 - collecting every kind of bug is the point
            bugs.append(f"case {i} ({what}): {type(exc).__name__}: {str(exc)[:200]}")
    assert not bugs, f"{len(bugs)} of {CASES} cases raised a non-input error:\n" + "\n".join(bugs[:20])
    # the fuzzer is only worth its time if it reaches both sides of the boundary
    assert outcomes["ok"] > CASES // 20 and outcomes["input error"] > CASES // 4, outcomes


DEVICES = sorted((ROOT / "hw_models" / "data" / "devices").glob("*.toml"))
NUMBER = re.compile(r"(?<=[=,\[{]\s)-?\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?")
DEVICE_CASES = 200


def test_mutated_device_files_load_or_raise_an_input_error(tmp_path):
    """Device data files with one to three numbers replaced: :func:`load_device` and a plan on it."""
    from hw_models.loader import load_device

    bugs = []
    outcomes = {"ok": 0, "input error": 0}
    for i in range(DEVICE_CASES):
        rng = random.Random(SEED - 1 - i)
        device = rng.choice(DEVICES)
        text = device.read_text()
        spans = [m.span() for m in NUMBER.finditer(text)]
        changes = []
        for start, end in sorted(rng.sample(spans, rng.randint(1, 3)), reverse=True):
            token = rng.choice(SET_TOKENS + ("10000000000", "1e10"))
            text = text[:start] + token + text[end:]
            changes.append(f"{start}: {token}")
        what = f"{device.name}: {'; '.join(changes)}"
        path = tmp_path / f"dev{i}.toml"
        path.write_text(text)
        try:
            loaded = load_device(path)
            emu.plan(Scenario(loaded, build_scenario(None, "nrf52840", "mlp").model, TrainingPlan()))
            outcomes["ok"] += 1
        except INPUT_ERRORS:
            outcomes["input error"] += 1
        except Exception as exc:  # noqa: BLE001 - collecting every kind of bug is the point
            bugs.append(f"case {i} ({what}): {type(exc).__name__}: {str(exc)[:200]}")
    assert not bugs, f"{len(bugs)} of {DEVICE_CASES} cases raised a non-input error:\n" + "\n".join(bugs[:20])
    assert outcomes["ok"] > DEVICE_CASES // 20 and outcomes["input error"] > DEVICE_CASES // 4, outcomes
