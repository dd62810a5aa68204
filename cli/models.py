"""``tinyemu models``: the model zoo."""

from __future__ import annotations

from cli.options import JsonOpt
from cli.render import console, print_json
from cli.render.catalog import render_models
from workloads.zoo import ZOO


def models(json_output: JsonOpt = False) -> None:
    """List the zoo models with parameters, MACs and input shape."""
    rows = []
    for name, entry in ZOO.items():
        graph = entry.builder()
        rows.append(
            {
                "name": name,
                "params": graph.params,
                "macs": graph.macs,
                "input_shape": list(graph.input_shape),
                "loss": graph.loss,
                "description": entry.description,
            }
        )
    if json_output:
        print_json(rows)
    else:
        render_models(rows, console())
