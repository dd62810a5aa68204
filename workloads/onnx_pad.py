"""ONNX ``Pad``: a constant zero Pad of the spatial axes folds into the Conv or pool that reads it.

The Pad emits no layer: its output is its input with the zeros pending (:attr:`Value.pad`), and a Conv,
AveragePool or MaxPool reading it adds them to its own padding, which computes exactly the same (a
convolution pads with zeros; an average pool then counts the padding, ``count_include_pad``; a max pool
only after a layer whose outputs are >= 0, with fewer zeros per side than its window, where a zero never
wins). Any other reader, a non-zero value, the ``reflect``, ``edge`` or ``wrap`` modes and pads of the
batch or channel axis are refused. Pads come as an input (opset >= 11, with optional ``axes`` from
opset 18) or as the ``pads`` and ``value`` attributes (older opsets).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from workloads.onnx_convert import Converter, attributes, node_label

FOLDED = "a constant zero Pad of the spatial axes, read by a Conv, AveragePool or MaxPool"


def _pads(cv: Converter, node: Any, rank: int) -> list[int]:
    """The node's ``pads`` as ``rank`` begins then ``rank`` ends (the ``axes`` input spread over all)."""
    a = attributes(node)
    if len(node.input) > 1 and node.input[1]:
        pads = [int(p) for p in cv.const(node, 1).reshape(-1)]
    elif "pads" in a:
        pads = [int(p) for p in a["pads"]]
    else:
        raise cv.fail(node, "pads", None, f"pads as an input or attribute ({FOLDED})")
    axes = list(range(rank))
    if len(node.input) > 3 and node.input[3]:
        axes = [int(i) % rank if -rank <= i < rank else rank for i in cv.const(node, 3).reshape(-1)]
        if len(set(axes)) != len(axes) or rank in axes:
            raise cv.fail(node, "axes", axes, f"distinct axes of a rank-{rank} tensor")
    if len(pads) != 2 * len(axes):
        raise cv.fail(node, "pads", pads, f"{2 * len(axes)} values (the begin, then the end of each axis)")
    full = [0] * (2 * rank)
    for k, axis in enumerate(axes):
        full[axis], full[rank + axis] = pads[k], pads[len(axes) + k]
    return full


def pad(cv: Converter, node: Any) -> None:
    v = cv.act(node, 0, padded=True)
    a = attributes(node)
    mode = a.get("mode", "constant")
    if mode != "constant":
        raise cv.fail(node, "mode", mode, f"constant ({FOLDED})")
    if len(v.shape) != 3:
        raise cv.fail(
            node, "input", v.shape, f"a feature map (N, C, H, W) or a sequence (N, C, L) ({FOLDED})"
        )
    cv.feature_map(node, v)
    value_in = cv.const(node, 2, False) if len(node.input) > 2 else None
    value = float(a.get("value", 0.0)) if value_in is None else float(value_in.reshape(-1)[0])
    if value != 0.0:
        raise cv.fail(node, "constant value", value, f"0 ({FOLDED})")
    rank = v.spatial + 2
    pads = _pads(cv, node, rank)
    begin, end = pads[:rank], pads[rank:]
    if begin[:2] != [0, 0] or end[:2] != [0, 0]:
        raise cv.fail(node, "pads", pads, f"0 on the batch and channel axes ({FOLDED})")
    if min(pads) < 0:
        raise cv.fail(node, "pads", pads, f"pads >= 0 (a negative one crops; {FOLDED})")
    new = (begin[2], end[2], begin[3], end[3]) if rank == 4 else (0, 0, begin[2], end[2])
    old = v.pad or (0, 0, 0, 0)
    total = tuple(int(x + y) for x, y in zip(old, new, strict=True))
    cv.values[node.output[0]] = replace(
        v, pad=(total[0], total[1], total[2], total[3]), pad_node=node_label(node), exclusive=False
    )


PAD_OPS: dict[str, Callable[[Converter, Any], None]] = {"Pad": pad}
"""The converter of ONNX Pad (folded into its readers)."""
