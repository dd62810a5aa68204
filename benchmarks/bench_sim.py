"""Speed of the event simulation: events per second, one training step of mbv2-w0.35, a 1,000-step session.

Run ``python benchmarks/bench_sim.py``. Goals (issue 4): one full-training step of ``mbv2-w0.35`` simulated
event by event in under 50 ms wall; a 1,000-step session of ``mlperf-dscnn`` in under 1 s. Each figure is
the best of a few repeats (the machine is shared; the minimum is the least disturbed run).
"""

from __future__ import annotations

import time

import emu
from emu.scenario.scenario import Scenario
from emu.sim.context import build_context
from emu.sim.engine import EventEngine


def _scenario(model: str, device: str, plan: dict, session: dict) -> Scenario:
    return Scenario.from_dict(
        {"device": {"name": device}, "model": {"name": model}, "plan": plan, "session": session},
        source="bench",
    )


def _best(fn, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    mbv2 = _scenario(
        "mbv2-w0.35", "stm32h743", {"update": "full", "precision": "fp32"}, {"dma_overlap": True}
    )
    ctx = build_context(mbv2)
    engine_s = _best(lambda: EventEngine(ctx, 1).run())
    events = EventEngine(ctx, 1).run().events
    step_s = _best(lambda: emu.simulate(mbv2))
    print(f"mbv2-w0.35 full fp32 step on stm32h743 ({len(ctx.costs)} tasks, {events} events):")
    print(f"  event engine only      {engine_s * 1e3:7.2f} ms  ({events / engine_s:,.0f} events/s)")
    print(
        f"  emu.simulate, one step {step_s * 1e3:7.2f} ms  (goal < 50 ms; includes lowering and memory plan)"
    )

    dscnn = _scenario(
        "mlperf-dscnn",
        "nrf52840",
        {
            "update": "sparse",
            "sparse_bias_layers": 3,
            "sparse_weights": {"conv2d_8": 0.25, "dense_0": 1.0},
            "precision": "int8",
            "reorder": True,
        },
        {"samples": 1000, "sample_source": "flash", "write_back": True},
    )
    session_s = _best(lambda: emu.simulate(dscnn))
    full = _best(lambda: emu.simulate(dscnn, reuse_steps=False), repeats=1)
    result = emu.simulate(dscnn)
    print(f"mlperf-dscnn session of {result.steps:,} steps on nrf52840:")
    print(f"  reused step            {session_s * 1e3:7.2f} ms  (goal < 1 s)")
    print(f"  every step event by event {full:7.2f} s  (for comparison)")


if __name__ == "__main__":
    main()
