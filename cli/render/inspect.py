"""The table of `tinyemu inspect`: one row per layer."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from cli.render import compact, print_table


def _shape(shape: list[int]) -> str:
    return "x".join(map(str, shape))


def _trains(trains: dict[str, Any], kind: str) -> str:
    fraction, bias = trains["weight_fraction"], trains["bias"]
    weight_word, bias_word = ("gamma", "beta") if kind == "batchnorm" else ("weight", "bias")
    parts = []
    if fraction > 0:
        parts.append(weight_word if fraction >= 1 else f"{weight_word} {100 * fraction:g}%")
    if bias:
        parts.append(bias_word)
    return "+".join(parts) or "-"


def render_inspect(doc: dict[str, Any], out: Console) -> None:
    out.print(
        f"[bold]{doc['name']}[/] ({doc['source']}): input {_shape(doc['input_shape'])}, "
        f"output {_shape(doc['output_shape'])}, loss {doc['loss']}, {doc['model_precision']} model"
    )
    out.print(f"plan: {doc['plan']}")
    table = Table()
    for col in ("#", "layer", "kind", "inputs", "output", "params", "MACs", "trains"):
        table.add_column(col, justify="right" if col in ("#", "params", "MACs") else "left")
    for index, layer in enumerate(doc["layers"]):
        table.add_row(
            str(index),
            layer["name"],
            layer["kind"],
            ", ".join(layer["inputs"]),
            _shape(layer["output_shape"]),
            compact(layer["params"]),
            compact(layer["macs"]),
            _trains(layer["trains"], layer["kind"]),
        )
    print_table(out, table)
    out.print(
        f"{len(doc['layers'])} layers, {doc['params']:,} parameters ({doc['trained_params']:,} trained), "
        f"{doc['macs']:,} MACs per sample"
    )
