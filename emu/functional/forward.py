"""``emu.forward``: a model's output as tinyemu computes it, to check an import against your framework.

The batch is given in the model file's own layout and the output comes back in it: an ONNX feature map is
``(N, C, H, W)`` (a 1-D model's ``(N, C, L)``), a TensorFlow Lite or zoo model's ``(N, H, W, C)``;
feature vectors are ``(N, F)`` everywhere. Inside, tinyemu runs NHWC (a 1-D sequence as a ``1 x L``
image) with the same Numba kernels that train.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from emu.errors import ScenarioError
from emu.scenario.scenario import Scenario, load_model

PRECISIONS = ("fp32", "int8")


def forward(model: str | Path | Scenario, x: Any, precision: str | None = None) -> np.ndarray:
    """The output of ``model`` (a zoo name, an ``.onnx`` / ``.tflite`` path, or a scenario) for batch ``x``.

    ``precision``: ``fp32`` or ``int8`` (default: the scenario's plan; for a file, ``int8`` when it is a
    quantised model, else ``fp32``). An int8 run of a model without its own scales calibrates them on
    ``x``. A zoo model runs with its initial (seeded) weights.
    """
    from workloads.network import Network

    if isinstance(model, Scenario):
        graph, weights, scales, source = model.model, model.weights, model.quantization, model.source
        chosen = precision or model.plan.precision
        onnx_layout = False
    else:
        source = str(model)
        graph, weights, scales = load_model(source, "model")
        chosen = precision or ("int8" if scales else "fp32")
        onnx_layout = source.endswith(".onnx")
    if chosen not in PRECISIONS:
        raise ScenarioError(source, "precision", chosen, "fp32 or int8")
    batch = _to_nhwc(_batch(x, source), graph.nodes[0].output_shape, onnx_layout, source)
    net = Network(graph, weights, precision=chosen, quantization=scales if chosen == "int8" else None)
    if chosen == "int8" and not scales:
        net.calibrate([batch])
    y = net.forward(batch)
    return np.ascontiguousarray(y.transpose(0, 3, 1, 2)) if onnx_layout and y.ndim == 4 else y


def _batch(x: Any, source: str) -> np.ndarray:
    try:
        array = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ScenarioError(source, "x", type(x).__name__, "an array of numbers (a batch)") from None
    if array.ndim < 2 or array.shape[0] == 0:
        raise ScenarioError(source, "x.shape", list(array.shape), "a batch: (N, ...) with N >= 1")
    if not np.all(np.isfinite(array)) or np.abs(array).max() > np.finfo(np.float32).max:
        raise ScenarioError(source, "x", "NaN, infinite or beyond float32", "finite float32 values")
    return array.astype(np.float32)


def _to_nhwc(x: np.ndarray, sample: tuple[int, ...], onnx_layout: bool, source: str) -> np.ndarray:
    """``x`` as the graph's NHWC batch (from the file's layout), or a ScenarioError naming the shape."""
    if len(sample) == 3 and onnx_layout:
        h, w, c = sample
        expected = [c, w] if h == 1 and x.ndim == 3 else [c, h, w]
        if list(x.shape[1:]) == expected:
            nhwc = x.transpose(0, 2, 1)[:, None] if x.ndim == 3 else x.transpose(0, 2, 3, 1)
            return np.ascontiguousarray(nhwc)
        layout = "(N, C, L)" if h == 1 else "(N, C, H, W)"
    else:
        expected, layout = list(sample), "(N, H, W, C)" if len(sample) == 3 else "(N, F)"
        if list(x.shape[1:]) == expected:
            return np.ascontiguousarray(x)
    raise ScenarioError(source, "x.shape", list(x.shape), f"{layout} with one sample {expected}")
