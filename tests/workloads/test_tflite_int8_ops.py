"""Fully integer-quantised files with the activations, MEAN and MUL: each keeps its output's int8 grid and
the int8 network computes what the file computes, within one quantisation step of a float64 NumPy
reference that rounds every tensor to its grid (and of the interpreter, when ai-edge-litert is installed)."""

import numpy as np
import pytest

pytest.importorskip("tflite")

from test_tflite_activations import ACTIVATIONS, mlp_parts  # noqa: E402
from test_tflite_gates import se_reference  # noqa: E402
from tflite_builder import se_parts, write_tflite  # noqa: E402
from tflite_quant_builder import Ranges, quantise, round_to  # noqa: E402

from workloads.network import Network  # noqa: E402
from workloads.tflite_import import import_tflite  # noqa: E402


def _int8_input(rng, g, shape):
    """Inputs on the input tensor's grid (float, as the network reads them, and int8, as the file does)."""
    q = rng.integers(-128, 128, shape)
    return ((q - g[1]) * g[0]).astype(np.float32), q.astype(np.int8)


def _interpreter_int8(path, q):
    litert = pytest.importorskip("ai_edge_litert.interpreter")
    interpreter = litert.Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    out = []
    for sample in q:
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], sample[None])
        interpreter.invoke()
        out.append(interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0])
    return np.stack(out).astype(np.int64)


def _interpreter_tensors(path, q, names):
    """The interpreter's int8 value of each named tensor, for each sample of ``q``."""
    litert = pytest.importorskip("ai_edge_litert.interpreter")
    interpreter = litert.Interpreter(model_path=str(path), experimental_preserve_all_tensors=True)
    interpreter.allocate_tensors()
    index = {d["name"]: d["index"] for d in interpreter.get_tensor_details()}
    out = {n: [] for n in names}
    for sample in q:
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], sample[None])
        interpreter.invoke()
        for n in names:
            out[n].append(interpreter.get_tensor(index[n])[0])
    return {n: np.stack(v).astype(np.float64) for n, v in out.items()}


def _check(model, x, ref, g):
    """Our int8 forward on the output grid ``g``: within one step of ``ref`` (int8 values), mostly equal."""
    net = Network(model.graph, model.weights, precision="int8", quantization=model.quantization)
    ours = net.forward(x).astype(np.float64) / g[0] + g[1]
    assert np.abs(ours - np.rint(ours)).max() < 1e-3  # on the file's output grid
    steps = np.abs(np.rint(ours) - ref)
    assert steps.max() <= 1
    assert np.mean(steps == 0) >= 0.9
    assert len(np.unique(ref)) > 4  # the compared outputs carry information (not all saturated)


def _mlp_reference(op, w, r):
    w1, b1, w2 = w["w1"], w["b1"], w["w2"]
    act = ACTIVATIONS[op][2]
    return lambda x: r("y", r("a", act(r("h", r("x", x) @ w1.T + b1))) @ w2.T)


@pytest.mark.parametrize("op", sorted(ACTIVATIONS))
def test_an_int8_activation_rounds_to_its_grid_as_the_file_does(op, tmp_path):
    options, kind, _ = ACTIVATIONS[op]
    rng = np.random.default_rng(11)
    tensors, ops, (w1, b1, w2) = mlp_parts(op, options, rng)
    ranges = Ranges()
    calib = rng.uniform(-2, 2, (64, 8))
    _mlp_reference(op, {"w1": w1.astype(np.float64), "b1": b1, "w2": w2.astype(np.float64)}, ranges)(calib)
    int8_tensors, grids, constants = quantise(tensors, ops, ranges.ranges)
    path = write_tflite(tmp_path / f"{op}.tflite", int8_tensors, ops)
    model = import_tflite(path)
    assert model.precision == "int8"
    name = f"{kind}_0"
    assert [n.kind for n in model.graph] == ["input", "dense", kind, "dense"]
    entry = model.quantization[name]
    assert entry["w_scale"] is None and (entry["y_scale"], entry["y_zero_point"]) == grids["a"]
    x, q = _int8_input(rng, grids["x"], (32, 8))
    rounded = _mlp_reference(op, constants, lambda n, v: round_to(v, grids[n]))(x.astype(np.float64))
    ref = rounded / grids["y"][0] + grids["y"][1]
    _check(model, x, np.rint(ref), grids["y"])
    _check(model, x, _interpreter_int8(path, q), grids["y"])
    # the activation as the file's output: no later layer quantises it, its own rounding is what is compared
    # (an int8 FULLY_CONNECTED reading it quantises onto the same grid, so above it would not show)
    last = write_tflite(tmp_path / f"{op}_last.tflite", int8_tensors[:5], ops[:2])
    model = import_tflite(last)
    h = round_to(x.astype(np.float64) @ constants["w1"].T + constants["b1"], grids["h"])
    ref = round_to(ACTIVATIONS[op][2](h), grids["a"]) / grids["a"][0] + grids["a"][1]
    _check(model, x, np.rint(ref), grids["a"])
    _check(model, x, _interpreter_int8(last, q), grids["a"])


@pytest.mark.parametrize("gate", ["reshape", "broadcast"])
def test_an_int8_squeeze_excitation_model_computes_what_the_file_computes(gate, tmp_path):
    rng = np.random.default_rng(12)
    tensors, ops, w = se_parts(rng, gate)
    ranges = Ranges()
    se_reference(rng.uniform(-2, 2, (32, 8, 8, 3)), {k: v.astype(np.float64) for k, v in w.items()}, ranges)
    ranges.ranges["gate4"] = ranges.ranges["gate"]
    int8_tensors, grids, constants = quantise(tensors, ops, ranges.ranges)
    path = write_tflite(tmp_path / "se8.tflite", int8_tensors, ops)
    model = import_tflite(path)
    assert model.precision == "int8"
    for name, tensor in (("hard_swish_0", "hswish"), ("global_avg_pool_0", "squeeze"), ("mul_0", "excited")):
        q = model.quantization[name]
        assert (q["y_scale"], q["y_zero_point"]) == grids[tensor]
    x, q = _int8_input(rng, grids["x"], (8, 8, 8, 3))
    rounded = se_reference(x, constants, lambda n, v: round_to(v, grids[n]))
    g = grids["logits"]
    _check(model, x, np.rint(rounded / g[0] + g[1]), g)
    # The interpreter's fixed-point kernels (HARD_SWISH, MEAN, MUL) are within one step of the rounded
    # reference op by op, but a step early on grows along the chain (measured: up to 9 steps at the
    # logits), so the reference follows the interpreter: each op reads the interpreter's inputs.
    theirs = _interpreter_tensors(path, q, list(grids))
    steps = []

    def follow(name, v):
        s, z = grids[name]
        their = theirs[name].reshape(v.shape)
        steps.append(np.abs(round_to(v, grids[name]) / s + z - their).reshape(-1))
        return (their - z) * s

    se_reference(x, constants, follow)
    steps = np.concatenate(steps)
    assert steps.max() <= 1 and np.mean(steps == 0) >= 0.9
