"""Speed of the supply models over a 10-year horizon (prints wall times; not a test).

Run: /tmp/venv/bin/python benchmarks/bench_supply.py
"""

from __future__ import annotations

import time

from hw_models import load_battery, load_capacitor, load_panel
from hw_models.cell_models import make_cell
from hw_models.panel import SolarHarvester
from hw_models.solar import DAY_S, ClearSkyProfile
from hw_models.storage import SupercapStore, integrate

DAYS = 3650


def battery_days(model: str) -> tuple[float, int]:
    """A day = 1440 one-minute inference periods folded into one sleep + one active step, plus a
    10-minute training burst: 3 exact steps a day."""
    cell = make_cell(load_battery("CR2032"), model)
    steps = 0
    start = time.perf_counter()
    for _ in range(DAYS):
        for current, seconds in ((3e-6, DAY_S - 1440 * 0.05 - 600), (8e-3, 1440 * 0.05), (3e-3, 600)):
            d = cell.draw(current, seconds)
            steps += 1
            cell = d.cell
            if d.depleted:
                return time.perf_counter() - start, steps
    return time.perf_counter() - start, steps


def solar_days() -> tuple[float, int]:
    harvester = SolarHarvester(load_panel("mono-outdoor-small"), ClearSkyProfile(48.0, 1, cloud_cover=0.5))
    store = SupercapStore(load_capacitor("PB-5R0V105"), 4.0, 2.0, 5.0, 0.8)
    start = time.perf_counter()
    pieces = [(d, p, 40e-6) for d, p in harvester.pieces(0, DAYS * DAY_S, 4 * 3600)]
    integrate(store, pieces)
    return time.perf_counter() - start, len(pieces)


def main() -> None:
    for model in ("ideal", "peukert", "kibam"):
        seconds, steps = battery_days(model)
        print(f"CR2032 {model:8s} 10 years, {steps} exact steps: {seconds * 1e3:.1f} ms")
    seconds, pieces = solar_days()
    print(f"solar + 1 F supercap 10 years, {pieces} pieces (<= 4 h lit): {seconds * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
