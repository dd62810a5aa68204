"""Import a TensorFlow Lite model as a tinyemu graph with its own weights (and int8 scales, when quantised).

The ``tflite`` package is an optional extra (``pip install 'tinyemu[tflite]'``), read only by
:mod:`workloads.tflite_reader`. The promises are those of the ONNX importer (:mod:`workloads.onnx_import`),
and the result is the same :class:`~workloads.onnx_import.ImportedModel`:

- what maps to what (the per-op converters are in :mod:`workloads.tflite_ops`): CONV_2D and
  DEPTHWISE_CONV_2D -> ``conv2d`` (dilation 1); FULLY_CONNECTED -> ``dense`` (a ``flatten`` first when it
  reads a feature map); AVERAGE_POOL_2D, MAX_POOL_2D -> the pools; ADD of two tensors -> ``add``; fused
  RELU / RELU6 and the RELU, RELU6 ops -> ``relu`` / ``relu6``; LOGISTIC, TANH, ELU, LEAKY_RELU and
  HARD_SWISH -> ``sigmoid``, ``tanh``, ``elu``, ``leaky_relu``, ``hard_swish``
  (:mod:`workloads.tflite_activation_ops`); a fused TANH is refused (the interpreter's kernels ignore or
  reject it); MEAN over H and W -> ``global_avg_pool`` and MUL of two computed tensors (equal shapes,
  or a feature map and a (batch, 1, 1, C) channel gate) -> ``mul`` (:mod:`workloads.tflite_gate_ops`;
  a MUL by a constant is refused); RESHAPE to (batch, features) -> ``flatten`` (and a vector to
  (batch, 1, 1, C) is the identity); SOFTMAX at the output is dropped (the loss applies it); QUANTIZE
  and DEQUANTIZE of activations are the identity of the float graph, DEQUANTIZE of a constant folds into it;
- every weight in the file becomes a weight of the graph, so ``train`` fine-tunes the real model;
- a fully integer-quantised file (int8 activations, int8 weights per tensor or per output channel, int32
  biases) keeps its scales per conv/dense layer (and the output grid of each int8 ADD, AVERAGE_POOL_2D,
  MEAN, MUL, LOGISTIC, TANH, ELU, LEAKY_RELU and HARD_SWISH, as an entry whose ``w_scale`` is ``None``:
  the int8 network rounds those outputs to it, within one step of the interpreter's int8 kernels),
  and the scenario then runs and trains in int8 with them;
  a file only partly quantised (hybrid: int8 weights with float activations) is an import error saying
  how to convert it;
- every operator the importer cannot convert is listed, with its output tensor names and counts.

Loss: a SOFTMAX at the output, or any output of another shape than the input, means softmax
cross-entropy; an output with the input's shape and no SOFTMAX (an autoencoder) means MSE.
"""

from __future__ import annotations

from pathlib import Path

from workloads.errors import WorkloadError
from workloads.onnx_import import ImportedModel
from workloads.tflite_convert import PARTLY_QUANTISED_FIX, TfliteConverter
from workloads.tflite_ops import OPS, unsupported_label
from workloads.tflite_reader import TfliteGraph, read_tflite


def import_tflite(path: str | Path) -> ImportedModel:
    """Read a ``.tflite`` file into a graph, its weights and (for an int8 model) its scales.

    Raises
    ------
    WorkloadError
        When ``tflite`` is not installed, the file is missing, truncated or not TensorFlow Lite, has several
        subgraphs, inputs or outputs, is partly quantised, or uses operators tinyemu cannot represent
        exactly (all of them are listed, with output tensor names and counts).
    """
    source = str(path)
    graph = read_tflite(Path(path), source)
    missing = unsupported_ops(graph)
    if missing:
        raise WorkloadError(
            source,
            "unsupported TFLite ops",
            missing,
            "tinyemu imports CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D, MAX_POOL_2D, "
            "ADD, RESHAPE (to 2-D), SOFTMAX (at the output), RELU, RELU6, LOGISTIC, TANH, ELU, LEAKY_RELU, "
            "HARD_SWISH, MEAN (over H and W), MUL (of two computed tensors: equal shapes or a channel gate), "
            "QUANTIZE, DEQUANTIZE, with fused activations NONE, RELU or RELU6",
        )
    cv = TfliteConverter(source, Path(path).stem, graph)
    for op in graph.operators:
        if op.op == "DEQUANTIZE" and cv.fold_dequantize(op):
            continue
        try:
            OPS[op.op](cv, op)
        except WorkloadError:
            raise
        except (ValueError, TypeError, IndexError, KeyError) as exc:  # a malformed operator
            raise cv.fail(op, "inputs", list(op.inputs), f"a well-formed operator ({exc})") from None
    if cv.quant and cv.float_layers:
        raise WorkloadError(
            source, "float layers of a quantised model", cv.float_layers, PARTLY_QUANTISED_FIX
        )
    output = graph.outputs[0]
    if output not in cv.values or cv.values[output] == "input":
        name = graph.tensors[output].name
        raise WorkloadError(source, "subgraph output", name, "a tensor computed from the input")
    if cv.values[output] != cv.builder.last:
        raise WorkloadError(
            source, "subgraph output", graph.tensors[output].name, "the result of the last operator"
        )
    out_shape = cv.shapes[cv.values[output]]
    if cv.softmax:
        loss, reason = "softmax_cross_entropy", "the output is a SOFTMAX (dropped: the loss applies it)"
    elif out_shape == cv.input_shape:
        loss, reason = "mse", "the output has the input's shape and no SOFTMAX (a reconstruction)"
    else:
        loss, reason = "softmax_cross_entropy", "the output is a vector of logits (no SOFTMAX)"
    built = cv.builder.build(loss)
    return ImportedModel(built, cv.weights, cv.quant or None, source, reason)


def unsupported_ops(graph: TfliteGraph) -> str:
    """``"EXP x2 (a, b), CONV_2D (fused TANH) x1 (c)"`` for every operator the importer cannot convert."""
    found: dict[str, list[str]] = {}
    for op in graph.operators:
        label = unsupported_label(op)
        if label is not None:
            output = graph.tensors[op.outputs[0]].name if op.outputs else op.label
            found.setdefault(label, []).append(output or op.label)
    return ", ".join(f"{op} x{len(names)} ({', '.join(names)})" for op, names in found.items())
