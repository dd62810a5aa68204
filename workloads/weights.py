"""A graph's parameters: initialisation, validation, and ``.npz`` files.

The weights contract (shared with the ONNX importer): ``dict[str, dict[str, np.ndarray]]`` keyed by node
name, float32 arrays:

* conv2d: ``"weight"`` (KH, KW, C_in // groups, C_out) and ``"bias"`` (C_out,) when the layer has a bias;
* dense: ``"weight"`` (F_in, F_out) and ``"bias"`` (F_out,) when the layer has a bias;
* batchnorm: ``"gamma"``, ``"beta"``, ``"mean"``, ``"var"``, each (C,).

An ``.npz`` file stores the same arrays under the keys ``"layer/param"``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from workloads.errors import WorkloadError
from workloads.graph import Graph, Node
from workloads.layers import BatchNorm, Conv2d, Dense
from workloads.output_file import atomic_write

Weights = dict[str, dict[str, np.ndarray]]


def param_shapes(node: Node) -> dict[str, tuple[int, ...]]:
    """The parameter arrays ``node`` owns and their shapes (empty for layers without parameters)."""
    layer = node.layer
    shapes: dict[str, tuple[int, ...]]
    if isinstance(layer, Conv2d):
        kh, kw = layer.kernel
        c_in = node.input_shapes[0][2]
        shapes = {"weight": (kh, kw, c_in // layer.groups, layer.out_channels)}
        if layer.bias:
            shapes["bias"] = (layer.out_channels,)
        return shapes
    if isinstance(layer, Dense):
        shapes = {"weight": (node.input_shapes[0][0], layer.units)}
        if layer.bias:
            shapes["bias"] = (layer.units,)
        return shapes
    if isinstance(layer, BatchNorm):
        c = node.input_shapes[0][-1]
        return {key: (c,) for key in ("gamma", "beta", "mean", "var")}
    return {}


def init_weights(graph: Graph, seed: int = 0) -> Weights:
    """He-normal convolution and dense weights, zero biases, identity batch-norm (gamma 1, beta 0,
    mean 0, var 1), drawn in program order from ``numpy.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    weights: Weights = {}
    for node in graph:
        shapes = param_shapes(node)
        if not shapes:
            continue
        if node.kind == "batchnorm":
            c = shapes["gamma"]
            weights[node.name] = {
                "gamma": np.ones(c, np.float32),
                "beta": np.zeros(c, np.float32),
                "mean": np.zeros(c, np.float32),
                "var": np.ones(c, np.float32),
            }
            continue
        shape = shapes["weight"]
        fan_in = int(np.prod(shape[:-1]))
        params = {"weight": (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)}
        if "bias" in shapes:
            params["bias"] = np.zeros(shapes["bias"], np.float32)
        weights[node.name] = params
    return weights


def check_weights(graph: Graph, weights: Mapping[str, Mapping[str, object]], source: str) -> Weights:
    """Validate ``weights`` against ``graph`` and return float32 C-contiguous copies.

    Raises
    ------
    WorkloadError
        Naming ``source``, the ``layer/param`` key and the shape expected, for a missing, extra or
        mis-shaped array, or a value that is not finite.
    """
    result: Weights = {}
    for node in graph:
        shapes = param_shapes(node)
        if not shapes:
            continue
        given = weights.get(node.name)
        if given is None:
            raise WorkloadError(source, node.name, None, f"parameters of {node.kind} layer {node.name}")
        result[node.name] = {}
        for param, shape in shapes.items():
            key = f"{node.name}/{param}"
            value = given.get(param)
            if value is None:
                raise WorkloadError(source, key, None, f"an array of shape {shape}")
            arr = np.asarray(value)
            if arr.shape != shape or arr.dtype.kind not in "fiu":
                raise WorkloadError(
                    source, key, f"{arr.dtype} array {arr.shape}", f"a float array of shape {shape}"
                )
            arr = np.ascontiguousarray(arr, np.float32)
            if not np.all(np.isfinite(arr)):
                raise WorkloadError(source, key, "non-finite values", "finite numbers")
            if param == "var" and np.any(arr < 0):
                raise WorkloadError(source, key, float(arr.min()), "non-negative variances")
            result[node.name][param] = arr.copy()
        extra = sorted(set(given) - set(shapes))
        if extra:
            raise WorkloadError(source, f"{node.name}/{extra[0]}", "present", f"only {', '.join(shapes)}")
    unknown = sorted(set(weights) - set(result))
    if unknown:
        raise WorkloadError(source, unknown[0], "present", f"a layer with parameters of {graph.name}")
    return result


def save_weights(path: str | Path, weights: Mapping[str, Mapping[str, np.ndarray]]) -> None:
    """Write ``weights`` to an ``.npz`` file with keys ``"layer/param"``."""
    flat = {
        f"{layer}/{param}": np.asarray(a) for layer, params in weights.items() for param, a in params.items()
    }
    # numpy's stub checks every ``**kwds`` value against ``allow_pickle: bool``; the keys here
    # all hold a "/" so none is that keyword (and numpy 1.26 has no such keyword to pass)
    atomic_write(path, lambda handle: np.savez(handle, **flat), "weights file")  # type: ignore[arg-type]


def load_weights(path: str | Path, graph: Graph) -> Weights:
    """Read an ``.npz`` weights file and validate it against ``graph`` (see :func:`check_weights`)."""
    source = str(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            flat = {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise WorkloadError(source, "weights file", source, "an existing .npz file") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        # an empty file is an EOFError, which the command-line parser would take for Ctrl-D (exit 130)
        why = str(exc) or type(exc).__name__
        raise WorkloadError(source, "weights file", source, f"a readable .npz file ({why})") from None
    nested: dict[str, dict[str, np.ndarray]] = {}
    for key, arr in flat.items():
        if key.count("/") != 1:
            raise WorkloadError(source, key, "present", "keys of the form 'layer/param'")
        layer, param = key.split("/")
        nested.setdefault(layer, {})[param] = arr
    return check_weights(graph, nested, source)
