"""Training data for functional training: scikit-learn's 8x8 digits, or the user's own ``.npz``.

A dataset is split, by a seeded permutation, into a *pretrain* part (what the model learnt before it
shipped), the *device's share* (what the device sees and fine-tunes on) and a held-out *test* part.
The digits dataset can shift the device's share and the test part away from the pretrain part (the
device's own conditions: ``rotate`` turns digits by 90 degrees, ``invert`` swaps ink and paper, ``shift``
moves them two pixels right and dims them), so that fine-tuning has something to learn.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from math import prod
from pathlib import Path

import numpy as np

from workloads.errors import WorkloadError, did_you_mean
from workloads.graph import Graph

SHIFTS = ("none", "rotate", "invert", "shift")
SPLIT_FRACTIONS = (0.5, 0.3, 0.2)
"""Pretrain, device and test shares of the samples."""


@dataclass(frozen=True, eq=False)
class Split:
    """Samples ``x`` (N, *input_shape) float32 and labels ``y`` (N,) int64 (or targets for MSE models)."""

    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.x)

    def head(self, count: int | None) -> Split:
        """The first ``count`` samples (all when None)."""
        return self if count is None else Split(self.x[:count], self.y[:count])


@dataclass(frozen=True, eq=False)
class PersonalisationData:
    """A dataset split for personalisation: pretrain part, the device's share, held-out test part."""

    name: str
    shift: str
    pretrain: Split
    device: Split
    test: Split


def load_dataset(name_or_path: str, graph: Graph, seed: int = 0, shift: str = "none") -> PersonalisationData:
    """``"digits"`` (scikit-learn's 8x8 digits, scaled to [0, 1]) or an ``.npz`` path with ``x`` and ``y``.

    Digits come as (N, 8, 8, 1) or flat (N, 64), whichever the graph's input takes. ``shift`` (digits
    only) transforms the device's share and the test part.

    Raises
    ------
    WorkloadError
        For an unknown dataset or shift, a file that is missing or lacks ``x``/``y``, or shapes or labels
        that do not fit the graph.
    """
    if shift not in SHIFTS:
        raise WorkloadError(
            "dataset", "train.shift", shift, f"one of {', '.join(SHIFTS)}{did_you_mean(shift, SHIFTS)}"
        )
    if str(name_or_path) == "digits":
        x, y = _digits(graph)
        name = "digits"
    else:
        if shift != "none":
            raise WorkloadError(str(name_or_path), "train.shift", shift, "'none' for a user dataset")
        x, y = _npz(Path(name_or_path), graph)
        name = str(name_or_path)
    order = np.random.default_rng(seed).permutation(len(x))
    a = int(len(x) * SPLIT_FRACTIONS[0])
    b = a + int(len(x) * SPLIT_FRACTIONS[1])
    if a < 1 or b - a < 1 or len(x) - b < 1:
        raise WorkloadError(
            name, "x", f"{len(x)} samples", "enough samples for pretrain, device and test parts"
        )
    parts = [Split(x[idx], y[idx]) for idx in (order[:a], order[a:b], order[b:])]
    if shift != "none":
        parts[1], parts[2] = (Split(_transform(p.x, shift, graph), p.y) for p in parts[1:])
    return PersonalisationData(name, shift, *parts)


def digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 8x8 digits (pixel values 0..16) and their labels, as scikit-learn ships them.

    Read straight from scikit-learn's ``datasets/data/digits.csv.gz`` (nothing downloads) without importing
    scikit-learn: ``import sklearn`` pulls in its statistics stack (SciPy and more), which took about 5 s of
    every warm ``tinyemu train`` (``python -X importtime``); the file read takes milliseconds.
    """
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            table = np.loadtxt(path, delimiter=",")
            return table[:, :-1].reshape(-1, 8, 8), table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits  # a layout without the file: the loader finds it

    data = load_digits()
    return data.images, data.target.astype(np.int64)


def _digits(graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    pixels, target = digits_arrays()
    images = (pixels / 16.0).astype(np.float32)
    shape = tuple(graph.input_shape)
    if shape == (8, 8, 1):
        x = images[..., None]
    elif shape == (64,):
        x = images.reshape(len(images), 64)
    else:
        raise WorkloadError(
            "digits",
            "model input",
            shape,
            "(8, 8, 1) or (64,) for the 8x8 digits (lenet-digits, mlp); train this model on an .npz dataset "
            f"of your own (x of shape (N, {', '.join(map(str, shape))}), y)",
        )
    classes = graph.output.output_shape
    if graph.loss != "softmax_cross_entropy" or classes[0] < 10:
        raise WorkloadError("digits", "model output", classes, "a classifier with at least 10 classes")
    return np.ascontiguousarray(x), target


def _transform(x: np.ndarray, shift: str, graph: Graph) -> np.ndarray:
    images = x.reshape(len(x), 8, 8)
    if shift == "rotate":
        images = np.rot90(images, 1, axes=(1, 2))
    elif shift == "invert":
        images = 1.0 - images
    else:
        moved = np.zeros_like(images)
        moved[:, :, 2:] = images[:, :, :-2]
        images = 0.6 * moved
    return np.ascontiguousarray(images.reshape(x.shape), np.float32)


def _npz(path: Path, graph: Graph) -> tuple[np.ndarray, np.ndarray]:
    source = str(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise WorkloadError(
            source, "dataset", source, "'digits' or an existing .npz file with x and y"
        ) from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        # an empty file is an EOFError, which the command-line parser would take for Ctrl-D (exit 130)
        why = str(exc) or type(exc).__name__
        raise WorkloadError(source, "dataset", source, f"a readable .npz file with x and y ({why})") from None
    for key in ("x", "y"):
        if key not in arrays:
            raise WorkloadError(source, key, None, f"an array {key!r} in the .npz (found {sorted(arrays)})")
    x, y = arrays["x"], arrays["y"]
    shape = tuple(graph.input_shape)
    if x.ndim != len(shape) + 1 or tuple(x.shape[1:]) != shape or x.dtype.kind not in "fiu":
        raise WorkloadError(
            source, "x", f"{x.dtype} {x.shape}", f"a numeric array of shape (N, {', '.join(map(str, shape))})"
        )
    if not np.all(np.isfinite(x)):
        raise WorkloadError(source, "x", "non-finite values", "finite numbers")
    out = graph.output.output_shape
    if graph.loss == "softmax_cross_entropy":
        classes = out[0]
        if y.shape != (len(x),) or y.dtype.kind not in "iu":
            raise WorkloadError(
                source, "y", f"{y.dtype} {y.shape}", f"integer class labels of shape ({len(x)},)"
            )
        if len(y) and (y.min() < 0 or y.max() >= classes):
            raise WorkloadError(
                source, "y", f"labels {int(y.min())}..{int(y.max())}", f"labels in 0..{classes - 1}"
            )
        y = y.astype(np.int64)
    else:
        if y.shape != (len(x), *out) or y.dtype.kind not in "fiu":
            raise WorkloadError(
                source, "y", f"{y.dtype} {y.shape}", f"targets of shape ({len(x)}, {prod(out)})"
            )
        y = np.ascontiguousarray(y, np.float32)
    return np.ascontiguousarray(x, np.float32), y
