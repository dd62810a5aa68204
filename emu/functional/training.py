"""``emu.train``: run a scenario's training plan for real, on data, and report the accuracy it buys.

The personalisation flow: a model is pretrained (full fp32 training on the dataset's pretrain part, or
weights come from an ``.npz`` or the scenario's own model), then fine-tuned with the scenario's plan (update
policy, optimizer, batch size, precision) on the device's share, and scored on a held-out test part before
and after. The ``[train]`` scenario section sets the run; arguments of :func:`train` override it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from emu.errors import ScenarioError
from emu.scenario.scenario import Scenario
from emu.scenario.train import TrainSettings
from hw_models.input_file import check_input_file
from workloads.plan import TrainingPlan

PRETRAIN_PLAN = TrainingPlan(
    update="full", optimizer="sgd-momentum", batch_size=32, learning_rate=0.05, source="pretraining"
)
"""How pretraining runs: full fp32 training with SGD and momentum (not the device's plan)."""
DATA_FILE_MAX_BYTES = 2**31
"""Dataset and weights files up to 2 GiB (a CIFAR-10-sized set in float32 is 0.6 GiB)."""
CALIBRATION_SAMPLES = 128
"""int8: device samples whose fp32 activation ranges set the activation scales."""


GAIN_KEYS = {"accuracy": "accuracy_gain", "mse": "mse_reduction"}
"""The ``--json`` key of the improvement, per metric."""


@dataclass(frozen=True)
class TrainResult:
    """What a functional training run measured (``to_dict`` is the ``tinyemu train --json`` document).

    ``metric`` names the score: ``accuracy`` (classifiers: the fraction right, higher is better) or
    ``mse`` (regression models: the mean squared error, lower is better). ``gain`` is the improvement
    fine-tuning bought, positive when it helped, whichever the metric.
    """

    scenario: str
    model: str
    dataset: str
    shift: str
    plan: dict[str, Any]
    epochs: int
    seed: int
    pretrain_epochs: int
    metric: str
    score_pretrain: float
    score_before: float
    score_after: float
    loss_curve: tuple[float, ...]
    samples: int
    device_samples: int
    test_samples: int
    macs_by_phase: dict[str, int]

    @property
    def gain(self) -> float:
        if self.metric == "mse":
            return self.score_before - self.score_after
        return self.score_after - self.score_before

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "model": self.model,
            "dataset": self.dataset,
            "shift": self.shift,
            "plan": dict(self.plan),
            "epochs": self.epochs,
            "seed": self.seed,
            "pretrain_epochs": self.pretrain_epochs,
            "metric": self.metric,
            f"{self.metric}_pretrain": self.score_pretrain,
            f"{self.metric}_before": self.score_before,
            f"{self.metric}_after": self.score_after,
            GAIN_KEYS[self.metric]: self.gain,
            "loss_curve": list(self.loss_curve),
            "samples": self.samples,
            "device_samples": self.device_samples,
            "test_samples": self.test_samples,
            "macs_by_phase": dict(self.macs_by_phase),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainResult:
        """The result a :meth:`to_dict` document describes (what a result store reads back)."""
        metric = data["metric"]
        return cls(
            scenario=data["scenario"],
            model=data["model"],
            dataset=data["dataset"],
            shift=data["shift"],
            plan=dict(data["plan"]),
            epochs=data["epochs"],
            seed=data["seed"],
            pretrain_epochs=data["pretrain_epochs"],
            metric=metric,
            score_pretrain=data[f"{metric}_pretrain"],
            score_before=data[f"{metric}_before"],
            score_after=data[f"{metric}_after"],
            loss_curve=tuple(data["loss_curve"]),
            samples=data["samples"],
            device_samples=data["device_samples"],
            test_samples=data["test_samples"],
            macs_by_phase=dict(data["macs_by_phase"]),
        )


Progress = Callable[[str, int, int, float], None]
"""``progress(stage, epoch, epochs, mean_loss)``, called after each epoch of ``pretrain`` and ``finetune``."""


def train(
    scenario: Scenario,
    dataset: str | None = None,
    epochs: int | None = None,
    seed: int | None = None,
    samples: int | None = None,
    pretrain_epochs: int | None = None,
    weights: str | None = None,
    weights_out: str | None = None,
    shift: str | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """Pretrain (or load weights), then fine-tune ``scenario``'s plan on the device's share of the data.

    Parameters
    ----------
    scenario
        Model and plan (update policy, optimizer, batch size, precision, learning rate, momentum).
    dataset
        ``"digits"`` or a path to an ``.npz`` with ``x`` and ``y``.
    epochs, seed, samples
        Fine-tuning epochs over the device's share, the seed of splits, initialisation and shuffling, and
        how many device samples to use (None: the whole share).
    pretrain_epochs
        Full fp32 training epochs on the pretrain part before fine-tuning (skipped when weights are given).
    weights, weights_out
        ``.npz`` files to start from and to write the fine-tuned weights to.
    shift
        How the device's data differs from the pretrain data (digits: none, rotate, invert, shift).
    progress
        Called after every epoch.

    Returns
    -------
    TrainResult
        Deterministic: the same scenario and settings give the same numbers, bit for bit.
    """
    from workloads.datasets import load_dataset
    from workloads.network import Network
    from workloads.output_file import check_output_path
    from workloads.weights import load_weights

    settings = TrainSettings.from_scenario(
        scenario,
        dataset=dataset,
        epochs=epochs,
        seed=seed,
        samples=samples,
        pretrain_epochs=pretrain_epochs,
        weights=weights,
        weights_out=weights_out,
        shift=shift,
    )
    if settings.weights_out is not None:  # before the training, not after it: fail in a second, not an hour
        check_output_path(settings.weights_out, "train.weights_out")
    if settings.dataset != "digits" and Path(settings.dataset).exists():
        check_input_file(settings.dataset, "dataset .npz file", DATA_FILE_MAX_BYTES)
    model_weights = scenario.settings.get("model", {}).get("weights")
    asked = (
        pretrain_epochs
        if pretrain_epochs is not None
        else scenario.settings.get("train", {}).get("pretrain_epochs")
    )
    if asked is not None and (model_weights or scenario.weights is not None):  # --weights skips it, as said
        raise ScenarioError(
            scenario.source,
            "train.pretrain_epochs",
            asked,
            "only for a model trained from scratch: this one brings its own weights (the model file's, or "
            "model.weights), so there is nothing to pretrain; leave it out",
        )
    graph, plan = scenario.model, scenario.plan
    data = load_dataset(settings.dataset, graph, settings.seed, settings.shift)
    rng = np.random.default_rng(settings.seed)
    pretrain_epochs_run = 0
    start: Mapping[str, Mapping[str, np.ndarray]]
    if settings.weights is not None:
        start = load_weights(_checked(settings.weights), graph)
    elif model_weights is not None:
        start = load_weights(_checked(_beside(str(model_weights), scenario.source)), graph)
    elif scenario.weights is not None:
        start = scenario.weights
    else:
        base = Network(graph, seed=settings.seed)
        # pretraining learns the batch-norm running statistics; the device's fine-tuning keeps them frozen
        pretrain = base.trainer(PRETRAIN_PLAN, batchnorm="train")
        for epoch in range(settings.pretrain_epochs):
            loss = _epoch(base, pretrain, data.pretrain, PRETRAIN_PLAN.batch_size, rng)
            if progress is not None:
                progress("pretrain", epoch + 1, settings.pretrain_epochs, loss)
        pretrain_epochs_run = settings.pretrain_epochs
        start = base.weights()
    device = data.device.head(settings.samples)
    imported_scales = scenario.quantization if start is scenario.weights else None
    net = Network(graph, start, precision=plan.precision, quantization=imported_scales)
    if net.quant is not None and not net.quant.calibrated:  # imported files may leave some scales out
        net.calibrate([device.x[i : i + 32] for i in range(0, min(len(device), CALIBRATION_SAMPLES), 32)])
    score_pretrain = _score(net, data.pretrain)
    score_before = _score(net, data.test)
    state = net.trainer(plan)
    curve = []
    for epoch in range(settings.epochs):
        curve.append(_epoch(net, state, device, plan.batch_size, rng) if plan.trains else float("nan"))
        if progress is not None:
            progress("finetune", epoch + 1, settings.epochs, curve[-1])
    if settings.weights_out is not None:
        net.save(settings.weights_out)
    return TrainResult(
        scenario=scenario.name,
        model=graph.name,
        dataset=data.name,
        shift=data.shift,
        plan=plan.to_dict(),
        epochs=settings.epochs,
        seed=settings.seed,
        pretrain_epochs=pretrain_epochs_run,
        metric="accuracy" if data.test.y.ndim == 1 else "mse",
        score_pretrain=score_pretrain,
        score_before=score_before,
        score_after=_score(net, data.test),
        loss_curve=tuple(curve),
        samples=state.samples,
        device_samples=len(device),
        test_samples=len(data.test),
        macs_by_phase=dict(state.macs_by_phase),
    )


def _checked(path: str) -> str:
    """A weights file that exists must be a regular file of sane size (a missing one: the loader says so)."""
    if Path(path).exists():
        check_input_file(path, "weights .npz file", DATA_FILE_MAX_BYTES)
    return path


def _beside(path: str, source: str) -> str:
    """A relative path in a scenario file is relative to that file."""
    candidate = Path(source).parent / path
    return str(candidate) if not Path(path).is_absolute() and candidate.exists() else path


def _epoch(net: Any, state: Any, split: Any, batch: int, rng: np.random.Generator) -> float:
    """One shuffled pass over ``split`` (the last batch may be smaller); the mean loss per sample."""
    order = rng.permutation(len(split))
    total = 0.0
    for start in range(0, len(order), batch):
        idx = order[start : start + batch]
        total += net.train_step(split.x[idx], split.y[idx], state) * len(idx)
    return total / max(len(order), 1)


def _score(net: Any, split: Any) -> float:
    """Accuracy for classifiers; for regression (MSE) models, the mean squared error."""
    if split.y.ndim == 1:
        return net.accuracy(split.x, split.y)
    return float(np.mean((net.forward(split.x) - split.y) ** 2))
