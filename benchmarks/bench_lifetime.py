"""Speed of emu.lifetime over a 10-year horizon (prints wall times and event counts; not a test).

Run: /tmp/venv/bin/python benchmarks/bench_lifetime.py

Cases: the coin-cell keyword spotter on an AA cell (so it really runs 10 years: an inference a minute,
a nightly session, checkpoints every 50 steps), the same on its CR2032 (dies after about 3.3 years),
and the solar visual-wake-words node (10 years of harvest pieces, no identical days to jump over).
"""

from __future__ import annotations

import time
from pathlib import Path

import emu

ROOT = Path(__file__).resolve().parents[1]


def timed(path: str, overrides: dict, label: str, repeats: int = 3) -> None:
    scenario = emu.Scenario.from_toml(ROOT / path, overrides)
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = emu.lifetime(scenario, horizon_s="10y")
        best = min(best, time.perf_counter() - start)
    d = result.to_dict()
    print(
        f"{label}: {best:.3f} s wall (best of {repeats}), {d['events']:,} events; "
        f"lived {d['lifetime_days']:,.1f} days ({d['end_cause']}), {d['training_sessions']:,} sessions, "
        f"{d['inferences']:,} inferences"
    )


def main() -> None:
    timed("examples/kws_coin_cell.toml", {"supply": {"battery": "AA-alkaline"}}, "10 y, AA, 1/min + nightly")
    timed("examples/kws_coin_cell.toml", {}, "10 y, CR2032, 1/min + nightly")
    timed("examples/solar_vww.toml", {}, "10 y, solar + 1 F supercap, 1/5 min + daily")


if __name__ == "__main__":
    main()
