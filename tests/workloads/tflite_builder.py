"""Write small TensorFlow Lite files for tests, with the flatbuffer builders of the ``tflite`` package.

``write_tflite(path, tensors, operators)``: ``tensors`` are :class:`T` values (index = position),
``operators`` are :class:`Op` values in execution order; the first tensor without data is the input and
the last operator's output is the output.
"""

from dataclasses import dataclass, field

import flatbuffers
import numpy as np
import tflite

TYPES = {np.float32: 0, np.int32: 2, np.int8: 9, np.int64: 4}


@dataclass
class T:
    name: str
    shape: tuple
    dtype: type = np.float32
    data: np.ndarray | None = None
    scale: tuple = ()
    zero_point: tuple = ()
    axis: int = 0


@dataclass
class Op:
    op: str
    inputs: tuple
    outputs: tuple
    options: str | None = None  # e.g. "Pool2DOptions"
    fields: dict = field(default_factory=dict)  # e.g. {"Padding": 0, "StrideH": 1}


def _vector(b, start, items, prepend):
    start(b, len(items))
    for item in reversed(items):
        prepend(item)
    return b.EndVector()


def write_tflite(path, tensors, operators):
    b = flatbuffers.Builder(1024)
    buffers = [None] + [t.data for t in tensors if t.data is not None]
    buffer_offsets = []
    for data in buffers:
        vec = (
            None
            if data is None
            else b.CreateNumpyVector(np.ascontiguousarray(data).view(np.uint8).reshape(-1))
        )
        tflite.BufferStart(b)
        if vec is not None:
            tflite.BufferAddData(b, vec)
        buffer_offsets.append(tflite.BufferEnd(b))
    tensor_offsets, next_buffer = [], 1
    for t in tensors:
        name = b.CreateString(t.name)
        shape = b.CreateNumpyVector(np.array(t.shape, np.int32))
        quant = None
        if t.scale:
            scale = b.CreateNumpyVector(np.array(t.scale, np.float32))
            zero = b.CreateNumpyVector(np.array(t.zero_point or [0] * len(t.scale), np.int64))
            tflite.QuantizationParametersStart(b)
            tflite.QuantizationParametersAddScale(b, scale)
            tflite.QuantizationParametersAddZeroPoint(b, zero)
            tflite.QuantizationParametersAddQuantizedDimension(b, t.axis)
            quant = tflite.QuantizationParametersEnd(b)
        tflite.TensorStart(b)
        tflite.TensorAddName(b, name)
        tflite.TensorAddShape(b, shape)
        tflite.TensorAddType(b, TYPES[t.dtype])
        if t.data is not None:
            tflite.TensorAddBuffer(b, next_buffer)
            next_buffer += 1
        if quant is not None:
            tflite.TensorAddQuantization(b, quant)
        tensor_offsets.append(tflite.TensorEnd(b))
    codes = sorted({op.op for op in operators})
    code_offsets = []
    for code in codes:
        number = getattr(tflite.BuiltinOperator, code)
        tflite.OperatorCodeStart(b)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(number, 127))
        tflite.OperatorCodeAddBuiltinCode(b, number)
        tflite.OperatorCodeAddVersion(b, 1)
        code_offsets.append(tflite.OperatorCodeEnd(b))
    op_offsets = []
    for op in operators:
        options = None
        if op.options:
            getattr(tflite, f"{op.options}Start")(b)
            for key, value in op.fields.items():
                getattr(tflite, f"{op.options}Add{key}")(b, value)
            options = getattr(tflite, f"{op.options}End")(b)
        inputs = b.CreateNumpyVector(np.array(op.inputs, np.int32))
        outputs = b.CreateNumpyVector(np.array(op.outputs, np.int32))
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, codes.index(op.op))
        tflite.OperatorAddInputs(b, inputs)
        tflite.OperatorAddOutputs(b, outputs)
        if options is not None:
            tflite.OperatorAddBuiltinOptionsType(b, getattr(tflite.BuiltinOptions, op.options))
            tflite.OperatorAddBuiltinOptions(b, options)
        op_offsets.append(tflite.OperatorEnd(b))
    first_input = next(i for i, t in enumerate(tensors) if t.data is None)
    sub_tensors = _vector(b, tflite.SubGraphStartTensorsVector, tensor_offsets, b.PrependUOffsetTRelative)
    sub_inputs = b.CreateNumpyVector(np.array([first_input], np.int32))
    sub_outputs = b.CreateNumpyVector(np.array([operators[-1].outputs[0]], np.int32))
    sub_ops = _vector(b, tflite.SubGraphStartOperatorsVector, op_offsets, b.PrependUOffsetTRelative)
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, sub_tensors)
    tflite.SubGraphAddInputs(b, sub_inputs)
    tflite.SubGraphAddOutputs(b, sub_outputs)
    tflite.SubGraphAddOperators(b, sub_ops)
    subgraph = tflite.SubGraphEnd(b)
    subgraphs = _vector(b, tflite.ModelStartSubgraphsVector, [subgraph], b.PrependUOffsetTRelative)
    codes_vec = _vector(b, tflite.ModelStartOperatorCodesVector, code_offsets, b.PrependUOffsetTRelative)
    buffers_vec = _vector(b, tflite.ModelStartBuffersVector, buffer_offsets, b.PrependUOffsetTRelative)
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, 3)
    tflite.ModelAddOperatorCodes(b, codes_vec)
    tflite.ModelAddSubgraphs(b, subgraphs)
    tflite.ModelAddBuffers(b, buffers_vec)
    b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
    path.write_bytes(bytes(b.Output()))
    return path


def fc_options(activation=0):
    return {"options": "FullyConnectedOptions", "fields": {"FusedActivationFunction": activation}}


def unsupported_model(path):
    rng = np.random.default_rng(0)
    tensors = [
        T("x", (1, 8)),
        T("t1", (1, 8)),
        T("t2", (1, 8)),
        T("t3", (1, 8)),
        T("w", (4, 8), data=rng.standard_normal((4, 8)).astype(np.float32)),
        T("t4", (1, 4)),
    ]
    ops = [
        Op("EXP", (0,), (1,)),
        Op("SIN", (1,), (2,)),
        Op("EXP", (2,), (3,)),
        Op("FULLY_CONNECTED", (3, 4, -1), (5,), **fc_options(activation=4)),
    ]
    return write_tflite(path, tensors, ops)


CONV_SAME = {"Padding": 0, "StrideH": 1, "StrideW": 1, "DilationHFactor": 1, "DilationWFactor": 1}


def se_model(path, rng, gate="reshape"):
    """:func:`se_parts` written to ``path``: (path, float32 constants by name)."""
    tensors, ops, w = se_parts(rng, gate)
    return write_tflite(path, tensors, ops), w


def se_parts(rng, gate="reshape"):
    """A squeeze-excitation classifier of (8, 8, 3) inputs into 3 classes: CONV_2D 3x3 -> HARD_SWISH ->
    MEAN (keep_dims) -> FULLY_CONNECTED -> RELU -> FULLY_CONNECTED -> LOGISTIC -> [RESHAPE to (1, 1, 1, 8)]
    -> MUL (the feature map times the gate) -> CONV_2D 1x1 -> MEAN -> FULLY_CONNECTED.

    ``gate`` "reshape" reshapes the gate to (1, 1, 1, 8); "broadcast" multiplies by the (1, 8) vector, gate
    first. Returns the tensors, the operators and the float32 constants by name (file layouts: OHWI,
    (units, F)).
    """
    w = {
        "conv1_w": rng.standard_normal((8, 3, 3, 3)) * 0.5,
        "conv1_b": rng.standard_normal(8) * 0.5,
        "fc1_w": rng.standard_normal((4, 8)),
        "fc1_b": rng.standard_normal(4) * 0.5,
        "fc2_w": rng.standard_normal((8, 4)),
        "fc2_b": rng.standard_normal(8) * 0.5,
        "conv2_w": rng.standard_normal((6, 1, 1, 8)) * 0.5,
        "conv2_b": rng.standard_normal(6) * 0.5,
        "fc3_w": rng.standard_normal((3, 6)),
        "fc3_b": rng.standard_normal(3) * 0.5,
    }
    w = {k: v.astype(np.float32) for k, v in w.items()}
    spatial = np.array([1, 2], np.int32)
    tensors = [
        T("x", (1, 8, 8, 3)),  # 0
        T("conv1_w", (8, 3, 3, 3), data=w["conv1_w"]),
        T("conv1_b", (8,), data=w["conv1_b"]),
        T("conv1", (1, 8, 8, 8)),
        T("hswish", (1, 8, 8, 8)),
        T("axes", (2,), np.int32, data=spatial),  # 5
        T("squeeze", (1, 1, 1, 8)),
        T("fc1_w", (4, 8), data=w["fc1_w"]),
        T("fc1_b", (4,), data=w["fc1_b"]),
        T("fc1", (1, 4)),
        T("relu", (1, 4)),  # 10
        T("fc2_w", (8, 4), data=w["fc2_w"]),
        T("fc2_b", (8,), data=w["fc2_b"]),
        T("fc2", (1, 8)),
        T("gate", (1, 8)),
        T("gate_shape", (4,), np.int32, data=np.array([1, 1, 1, 8], np.int32)),  # 15
        T("gate4", (1, 1, 1, 8)),
        T("excited", (1, 8, 8, 8)),
        T("conv2_w", (6, 1, 1, 8), data=w["conv2_w"]),
        T("conv2_b", (6,), data=w["conv2_b"]),
        T("conv2", (1, 8, 8, 6)),  # 20
        T("axes2", (2,), np.int32, data=spatial),
        T("pooled", (1, 6)),
        T("fc3_w", (3, 6), data=w["fc3_w"]),
        T("fc3_b", (3,), data=w["fc3_b"]),
        T("logits", (1, 3)),  # 25
    ]
    keep = {"options": "ReducerOptions", "fields": {"KeepDims": True}}
    ops = [
        Op("CONV_2D", (0, 1, 2), (3,), "Conv2DOptions", CONV_SAME),
        Op("HARD_SWISH", (3,), (4,)),
        Op("MEAN", (4, 5), (6,), **keep),
        Op("FULLY_CONNECTED", (6, 7, 8), (9,), **fc_options()),
        Op("RELU", (9,), (10,)),
        Op("FULLY_CONNECTED", (10, 11, 12), (13,), **fc_options()),
        Op("LOGISTIC", (13,), (14,)),
    ]
    if gate == "reshape":
        ops += [Op("RESHAPE", (14, 15), (16,)), Op("MUL", (4, 16), (17,), "MulOptions", {})]
    else:
        ops += [Op("MUL", (14, 4), (17,), "MulOptions", {})]
    ops += [
        Op("CONV_2D", (17, 18, 19), (20,), "Conv2DOptions", CONV_SAME),
        Op("MEAN", (20, 21), (22,), "ReducerOptions", {"KeepDims": False}),
        Op("FULLY_CONNECTED", (22, 23, 24), (25,), **fc_options()),
    ]
    return tensors, ops, w
