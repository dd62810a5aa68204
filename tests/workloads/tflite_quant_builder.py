"""The fully integer-quantised twin of a float test model built with :mod:`tflite_builder`.

``quantise(tensors, ops, ranges)``: every computed tensor becomes int8 on the grid of its float range
(``ranges[name] = (lo, hi)``, recorded from a float reference with :class:`Ranges`), except the fixed
grids the interpreter requires (LOGISTIC 1/256 and -128, TANH 1/128 and 0) and a RESHAPE, which keeps its
input's; conv weights become symmetric int8 per output channel, fully connected weights per tensor, biases
int32 on the scale ``x_scale * w_scale``.
"""

from dataclasses import replace

import numpy as np

FIXED_GRIDS = {"LOGISTIC": (1 / 256, -128), "TANH": (1 / 128, 0)}


def grid(lo, hi):
    """(float32 scale, zero point) of an asymmetric int8 grid covering ``[lo, hi]`` and 0."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = float(np.float32((hi - lo) / 255.0 or 1.0))
    return scale, int(np.clip(np.round(-128 - lo / scale), -128, 127))


def round_to(v, g):
    """``v`` (float64) rounded half away from zero to the int8 grid ``g`` and saturated, dequantised."""
    scale, zero = g
    q = np.clip(np.sign(v / scale) * np.floor(np.abs(v / scale) + 0.5) + zero, -128, 127)
    return (q - zero) * scale


class Ranges:
    """A reference's hook that records the float range of each named tensor (and returns it unchanged)."""

    def __init__(self):
        self.ranges = {}

    def __call__(self, name, v):
        lo, hi = self.ranges.get(name, (np.inf, -np.inf))
        self.ranges[name] = (min(lo, float(v.min())), max(hi, float(v.max())))
        return v


def quantise(tensors, ops, ranges):
    """(int8 tensors, grid of each computed tensor by name, dequantised constants by name)."""
    grids = {}
    first = next(t for t in tensors if t.data is None)
    grids[first.name] = grid(*ranges[first.name])
    for op in ops:
        y = tensors[op.outputs[0]].name
        if op.op in FIXED_GRIDS:
            grids[y] = FIXED_GRIDS[op.op]
        elif op.op == "RESHAPE":
            grids[y] = grids[tensors[op.inputs[0]].name]
        else:
            grids[y] = grid(*ranges[y])
    out, constants = list(tensors), {}
    for op in ops:
        if op.op not in ("CONV_2D", "FULLY_CONNECTED"):
            continue
        w = tensors[op.inputs[1]]
        if op.op == "CONV_2D":
            w_scale = (np.abs(w.data).max(axis=(1, 2, 3)) / 127).astype(np.float32)
            shaped = w_scale.astype(np.float64)[:, None, None, None]
        else:
            w_scale = np.array([np.abs(w.data).max() / 127], np.float32)
            shaped = np.float64(w_scale[0])
        wq = np.clip(np.round(w.data / shaped), -127, 127).astype(np.int8)
        out[op.inputs[1]] = replace(w, dtype=np.int8, data=wq, scale=tuple(map(float, w_scale)), axis=0)
        constants[w.name] = wq * shaped
        if len(op.inputs) > 2 and op.inputs[2] >= 0:
            b = tensors[op.inputs[2]]
            x_scale = np.float64(grids[tensors[op.inputs[0]].name][0])
            b_scale = np.broadcast_to((x_scale * w_scale.astype(np.float64)).astype(np.float32), b.shape)
            bq = np.round(b.data / b_scale.astype(np.float64)).astype(np.int32)
            out[op.inputs[2]] = replace(b, dtype=np.int32, data=bq, scale=tuple(map(float, b_scale)), axis=0)
            constants[b.name] = bq * b_scale.astype(np.float64)
    for i, t in enumerate(tensors):
        if t.data is None and t.name in grids:  # (a tensor no operator computes stays as it is)
            out[i] = replace(t, dtype=np.int8, scale=(grids[t.name][0],), zero_point=(grids[t.name][1],))
    return out, grids, constants
