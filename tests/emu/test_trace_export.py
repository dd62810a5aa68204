"""The Chrome/Perfetto trace: tracks per component, slices, power and SRAM counters."""

import json

import emu
from emu.scenario.scenario import Scenario
from emu.sim.trace import chrome_trace, write_trace


def test_trace_has_tracks_slices_and_counters(tmp_path):
    scenario = Scenario.from_dict(
        {
            "device": {"name": "stm32l4r5"},
            "model": {"name": "mlp"},
            "plan": {"update": "full"},
            "session": {"samples": 5, "sample_source": "flash", "dma_overlap": True},
        }
    )
    result = emu.simulate(scenario, trace=True)
    doc = chrome_trace(result)
    events = doc["traceEvents"]
    names = {e["args"]["name"] for e in events if e.get("name") == "thread_name"}
    assert {"core", "dma", "flash"} <= names
    slices = [e for e in events if e["ph"] == "X"]
    assert len(slices) >= len(result.context.costs)
    assert any(e["name"].startswith("steps 2..5") for e in slices)
    counters = {e["name"] for e in events if e["ph"] == "C"}
    assert counters == {"supply power (W)", "SRAM in use (B)"}
    path = tmp_path / "t.json"
    write_trace(result, path)
    assert json.loads(path.read_text())["traceEvents"]
