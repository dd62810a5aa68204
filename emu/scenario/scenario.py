"""Scenarios: a device, a model and a training plan (plus the run settings later stages use).

A scenario comes from a TOML file, from flags, or from Python; flags and ``--set section.key=value``
override the file. Every value is validated where it enters, with the file, field and allowed values.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from emu.errors import ScenarioError
from emu.scenario.checkpoint import CHECKPOINT_KEYS, CheckpointSettings
from emu.scenario.deployment import DEPLOYMENT_KEYS, DeploymentSettings
from emu.scenario.fields import check_scenario_values
from emu.scenario.session import SESSION_KEYS, SessionSettings
from emu.scenario.supply import SUPPLY_KEYS, SupplySettings
from emu.scenario.train import TrainSettings
from emu.scenario.values import (
    content_digest,
    file_hashes,
    freeze,
    references,
    relocate,
    resolve_references,
    thaw,
    to_toml,
)
from hw_models.device import Device
from hw_models.errors import SpecError
from hw_models.frozen_mapping import FrozenMapping
from hw_models.input_file import check_input_file, read_toml
from hw_models.loader import load_device
from workloads.errors import did_you_mean
from workloads.graph import Graph
from workloads.plan import TrainingPlan
from workloads.zoo import build_model

KIB = 1024

SECTIONS: dict[str, tuple[str, ...]] = {
    "device": ("name",),
    "model": (
        "name",
        "weights",
        "classes",
        "width",
        "resolution",
        "features",
        "hidden",
        "bottleneck",
        "inputs",
    ),
    "plan": tuple(k for k in TrainingPlan.__dataclass_fields__ if k != "source"),
    "memory": ("reserved_sram_kib", "firmware_flash_kib"),
    "session": SESSION_KEYS,
    "train": ("dataset", "epochs", "seed", "pretrain_epochs", "samples", "weights", "weights_out", "shift"),
    "deployment": DEPLOYMENT_KEYS,
    "supply": SUPPLY_KEYS,
    "checkpoint": CHECKPOINT_KEYS,
}
"""Every section a scenario may have, with its keys."""

TOP_LEVEL_KEYS = ("name", "description")

MODEL_FILE_SUFFIXES = (".onnx", ".tflite")
"""Model files a scenario or ``--model`` may name (ONNX, TensorFlow Lite); any other name is a zoo model."""


@dataclass(frozen=True)
class Scenario:
    """What to emulate: a device, a model graph and a training plan.

    Parameters
    ----------
    device, model, plan
        The hardware, the layer graph and what one training step does.
    reserved_sram_bytes
        SRAM the firmware keeps outside the training arena (stack, heap, drivers).
    firmware_flash_bytes
        Flash the code takes besides the model's parameters.
    name, source
        A label, and the file the scenario came from (for messages); neither is part of its value.
    weights, quantization
        Initial parameters per layer (``{layer: {"weight": ..., "bias": ...}}``) when the model brings its
        own (an imported ONNX or TensorFlow Lite file); ``None`` means the builder's initialisation.
        ``quantization`` holds a quantised model's int8 scales per layer, used instead of calibration when
        the plan is int8.
    settings
        The scenario's sections as written (deep-frozen), for the stages that read their own section.
    base_dir
        The folder relative file names in ``settings`` are read from (the scenario file's).

    A scenario is a value: it hashes, pickles and compares by content (device, graph, plan, memory and
    every section, with file references compared by resolved path), never by the path it was read from
    or its name. Its sections are parsed and validated when it is built: ``session``, ``train``,
    ``deployment``, ``supply`` and ``checkpoint`` hold them typed. :meth:`to_dict` / :meth:`from_dict`
    and :meth:`to_toml` / :meth:`from_toml` round-trip it; :meth:`digest` keys a result store.
    """

    device: Device
    model: Graph
    plan: TrainingPlan
    reserved_sram_bytes: int = 0
    firmware_flash_bytes: int = 0
    name: str = field(default="scenario", compare=False)
    source: str = field(default="<python>", compare=False)
    weights: Mapping[str, Mapping[str, Any]] | None = field(default=None, compare=False, repr=False)
    quantization: Mapping[str, Mapping[str, Any]] | None = field(default=None, compare=False, repr=False)
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, compare=False, repr=False)
    base_dir: Path | None = field(default=None, compare=False, repr=False)
    sections: Mapping[str, Any] = field(init=False, repr=False)
    file_hashes: Mapping[str, str] = field(init=False, repr=False)
    session: SessionSettings = field(init=False, compare=False, repr=False)
    train: TrainSettings = field(init=False, compare=False, repr=False)
    deployment: DeploymentSettings = field(init=False, compare=False, repr=False)
    supply: SupplySettings = field(init=False, compare=False, repr=False)
    checkpoint: CheckpointSettings = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        for key in ("reserved_sram_bytes", "firmware_flash_bytes"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ScenarioError(self.source, key, value, "a non-negative whole number of bytes")
        settings = self.settings if isinstance(self.settings, FrozenMapping) else freeze(self.settings)
        object.__setattr__(self, "settings", settings)
        sections, refs = _resolved(settings, self.base_dir)
        object.__setattr__(self, "sections", sections)
        object.__setattr__(self, "file_hashes", file_hashes(list(refs)))
        src = self.source
        object.__setattr__(self, "session", SessionSettings.from_section(settings.get("session"), src))
        object.__setattr__(self, "train", TrainSettings.from_section(settings.get("train"), src))
        object.__setattr__(
            self, "deployment", DeploymentSettings.from_section(settings.get("deployment"), src)
        )
        object.__setattr__(self, "supply", SupplySettings.from_section(settings.get("supply"), src))
        object.__setattr__(
            self, "checkpoint", CheckpointSettings.from_section(settings.get("checkpoint"), src)
        )

    def to_dict(self, relative_to: str | Path | None = None) -> dict[str, Any]:
        """The scenario as its TOML structure: :meth:`from_dict` builds an equal scenario from it.

        Every section is there as written, except that file references are absolute paths (so the
        document reads back the same from anywhere; relative to the folder ``relative_to`` when given,
        for a file written there), ``[plan]`` lists every field and ``[memory]``
        the two sizes. A scenario built in Python names its device and model by their names.
        """
        data: dict[str, Any] = {"name": self.name}
        data["device"] = thaw(self._section("device")) or {"name": self.device.name}
        data["model"] = thaw(self._section("model")) or {"name": self.model.name}
        plan = self.plan.to_dict()
        data["plan"] = plan
        data["memory"] = {
            "reserved_sram_kib": _bytes_to_kib(self.reserved_sram_bytes),
            "firmware_flash_kib": _bytes_to_kib(self.firmware_flash_bytes),
        }
        for section in SECTIONS:
            if section not in data and section in self.settings:
                data[section] = thaw(self._section(section))
        return data if relative_to is None else thaw(relocate(freeze(data), Path(relative_to)))

    def to_toml(self, relative_to: str | Path | None = None) -> str:
        """TOML text that :meth:`from_toml` reads back as an equal scenario (see :meth:`to_dict`)."""
        return to_toml(self.to_dict(relative_to))

    def digest(self) -> str:
        """A stable SHA-256 of the content (see :func:`emu.scenario.values.content_digest`).

        Equal scenarios have equal digests, in any process; the name and source are not part of it;
        referenced files count by their bytes, and the tinyemu version is included.
        """
        return self._digest

    @cached_property
    def _digest(self) -> str:
        document = {k: v for k, v in self.to_dict().items() if k != "name"}
        document["device"] = {"preset_or_file": document["device"], "value": repr(self.device)}
        document["model"] = {"name_or_file": document["model"], "graph": repr(self.model)}
        return content_digest(document, self.file_hashes)

    def with_changes(self, **changes: Any) -> Scenario:
        """A new scenario with fields or sections changed, validated again.

        Fields (``plan=``, ``device=``, ``reserved_sram_bytes=``...) are replaced; a section name with a
        table (``session={"clock_mhz": 32}``) is merged into that section; ``device="stm32f746"`` or
        ``model="mcunet"`` loads another device or model by name, as a scenario file would.
        """
        own = {f.name for f in fields(self) if f.init}
        by_section = {k: v for k, v in changes.items() if k in SECTIONS and isinstance(v, str | Mapping)}
        plain = {k: v for k, v in changes.items() if k in own and k not in by_section}
        unknown = [k for k in changes if k not in by_section and k not in plain]
        if unknown:
            allowed = sorted(own | set(SECTIONS))
            raise ScenarioError(
                self.source,
                unknown[0],
                changes[unknown[0]],
                "a scenario field or section" + did_you_mean(unknown[0], allowed),
            )
        scenario = self
        if by_section:
            overrides = {k: ({"name": v} if isinstance(v, str) else dict(v)) for k, v in by_section.items()}
            data = merge(self.to_dict(), overrides)
            scenario = Scenario.from_dict(data, source=self.source, base_dir=self.base_dir)
            scenario = replace(scenario, name=self.name)
        if plain:
            settings = {k: thaw(v) for k, v in scenario.settings.items()}
            if "plan" in plain:
                settings["plan"] = plain["plan"].to_dict()
            scenario = replace(scenario, **plain, settings=settings)
        return scenario

    def _section(self, name: str) -> Any:
        """Section ``name`` with file references resolved (``self.sections`` for the compared ones)."""
        if name in self.sections:
            return self.sections[name]
        return resolve_references(self.settings.get(name, {}), self.base_dir)

    @classmethod
    def from_toml(cls, path: str | Path, overrides: dict[str, dict[str, Any]] | None = None) -> Scenario:
        """Load a scenario file, then apply ``overrides`` (section -> key -> value)."""
        path = Path(path)
        if not path.exists():
            raise ScenarioError(str(path), "scenario", str(path), "an existing TOML file")
        try:
            data = read_toml(path, "scenario TOML file")
        except SpecError as exc:
            raise ScenarioError(str(path), "scenario", exc.value, exc.allowed) from None
        return cls.from_dict(merge(data, overrides or {}), source=str(path), base_dir=path.parent.resolve())

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], source: str = "<scenario>", base_dir: Path | None = None
    ) -> Scenario:
        """Build a scenario from its TOML structure (section tables and top-level keys)."""
        _check_keys(data, source)
        check_scenario_values(data, source)
        device_name = data.get("device", {}).get("name")
        model_section = dict(data.get("model", {}))
        model_name = model_section.pop("name", None)
        model_section.pop("weights", None)  # a pretrained .npz, read by functional training
        if device_name is None:
            raise ScenarioError(source, "device.name", None, "a device preset name or a device TOML path")
        if model_name is None:
            raise ScenarioError(source, "model.name", None, "a zoo model name or a model file path")
        device = load_device(_resolve_path(device_name, base_dir, ".toml"))
        model, weights, quantization = load_model(
            _resolve_path(model_name, base_dir, MODEL_FILE_SUFFIXES), source, **model_section
        )
        plan_values = dict(data.get("plan", {}))
        if quantization and "precision" not in plan_values:
            plan_values["precision"] = "int8"  # a quantised model runs in int8 unless the plan says otherwise
        plan = TrainingPlan(**plan_values, source=source)
        memory = data.get("memory", {})
        return cls(
            device=device,
            model=model,
            plan=plan,
            reserved_sram_bytes=_kib_to_bytes(memory, "reserved_sram_kib", source),
            firmware_flash_bytes=_kib_to_bytes(memory, "firmware_flash_kib", source),
            name=str(data.get("name", Path(source).stem)),
            source=source,
            weights=weights,
            quantization=quantization,
            settings={k: v for k, v in data.items() if isinstance(v, dict)},
            base_dir=base_dir,
        )


def load_model(name_or_path: str, source: str = "model", **options: Any) -> tuple[Graph, Any, Any]:
    """The graph, its own weights and its int8 scales (both ``None`` for a zoo model, built by name).

    A model file (``.onnx``, ``.tflite``) brings its weights, and its quantisation scales when it is a
    quantised model.
    """
    suffix = next((s for s in MODEL_FILE_SUFFIXES if str(name_or_path).endswith(s)), None)
    if suffix is not None:
        if Path(name_or_path).exists():  # a missing file is the importer's message, with its suffix
            check_input_file(name_or_path, f"{suffix} model file")
        if options:
            raise ScenarioError(
                source, f"model.{next(iter(options))}", options, f"no options for a {suffix} model file"
            )
        if suffix == ".tflite":
            from workloads.tflite_import import import_tflite  # optional extra: imported only when asked for

            imported = import_tflite(name_or_path)
        else:
            from workloads.onnx_import import import_onnx  # optional extra: imported only when asked for

            imported = import_onnx(name_or_path)
        return imported.graph, imported.weights, imported.quantization
    return build_model(str(name_or_path), source, **options), None, None


def merge(data: dict[str, Any], overrides: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``data`` with section values replaced by ``overrides`` (a new dict; the input is untouched)."""
    result = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    for section, values in overrides.items():
        if section in TOP_LEVEL_KEYS and not isinstance(values, dict):
            result[section] = values
            continue
        result.setdefault(section, {})
        if not isinstance(result[section], dict):
            raise ScenarioError("--set", section, result[section], "a table")
        if section == "model" and "name" in values:
            result[section] = {}  # another model: the old model's options no longer apply
        result[section].update(values)
    return result


def parse_assignment(text: str) -> tuple[str, str, Any]:
    """Parse ``section.key=value`` (the value in TOML syntax, or a bare string)."""
    if "=" not in text or "." not in text.split("=", 1)[0]:
        raise ScenarioError("--set", "assignment", text, "section.key=value, for example plan.batch_size=8")
    target, raw = text.split("=", 1)
    section, key = target.strip().split(".", 1)
    if "." in key:
        table, inner = key.split(".", 1)
        raise ScenarioError(
            "--set",
            "assignment",
            text,
            f"section.key=value; a table is set whole, in TOML: {section}.{table}={{{inner}={raw.strip()}}}",
        )
    if any(ch in text for ch in "\n\r\x00"):
        # a newline would let the value carry a second TOML key (plan.update="full"\nbatch_size = 0)
        raise ScenarioError("--set", "assignment", text, "one line: section.key=value, without newlines")
    try:
        parsed = tomllib.loads(f"v = {raw.strip()}")
    except tomllib.TOMLDecodeError:
        parsed = {"v": raw.strip()}
    except RecursionError:
        raise ScenarioError(
            "--set", target.strip(), "<nested too deep>", "a value a few levels deep"
        ) from None
    if set(parsed) != {"v"}:
        raise ScenarioError("--set", target.strip(), raw.strip(), "one value (a second key is not allowed)")
    return section, key, parsed["v"]


def _check_keys(data: dict[str, Any], source: str) -> None:
    known = set(SECTIONS) | set(TOP_LEVEL_KEYS)
    for key, value in data.items():
        if key not in known:
            raise ScenarioError(
                source,
                key,
                value,
                f"a section among {', '.join(SECTIONS)}" + did_you_mean(key, sorted(known)),
            )
        if key in SECTIONS:
            if not isinstance(value, dict):
                raise ScenarioError(source, key, value, "a table ([section])")
            for sub, sub_value in value.items():
                if sub not in SECTIONS[key]:
                    raise ScenarioError(
                        source,
                        f"{key}.{sub}",
                        sub_value,
                        f"one of {', '.join(SECTIONS[key])}" + did_you_mean(sub, SECTIONS[key]),
                    )


def _resolve_path(name: str, base_dir: Path | None, suffix: str | tuple[str, ...]) -> str:
    """A relative file path in a scenario is relative to the scenario file."""
    text = str(name)
    if base_dir is not None and (text.endswith(suffix) or "/" in text) and not Path(text).is_absolute():
        candidate = base_dir / text
        if candidate.exists():
            return str(candidate)
    return text


@lru_cache(maxsize=256)
def _resolved(settings: FrozenMapping[str, Any], base_dir: Path | None) -> tuple[Any, tuple[str, ...]]:
    """The compared sections of frozen ``settings`` (file references resolved) and every file reference."""
    compared = FrozenMapping({k: v for k, v in settings.items() if k not in _COMPARED_AS_FIELDS})
    sections = resolve_references(compared, base_dir)
    own = [resolve_references(settings.get(name, FrozenMapping()), base_dir) for name in _COMPARED_AS_FIELDS]
    return sections, tuple(r for value in (sections, *own) for r in references(value))


_COMPARED_AS_FIELDS = ("device", "plan", "memory")
"""Sections a scenario compares through its fields (the loaded device, the plan, the two sizes)."""


def _bytes_to_kib(size_bytes: int) -> int | float:
    kib = size_bytes / KIB  # exact: a division by a power of two
    return int(kib) if kib.is_integer() else kib


def _kib_to_bytes(section: dict[str, Any], key: str, source: str) -> int:
    value = section.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ScenarioError(source, f"memory.{key}", value, "a non-negative number of KiB")
    return int(round(value * KIB))
