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
