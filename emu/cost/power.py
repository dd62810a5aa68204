"""The supply side: a power meter integrating what the chip draws, and the power states around a session.

The meter is independent of the ledger: components tell it when their power changes, and it integrates
the sum over time, as a supply-side measurement would. A test checks that the energy it measures equals
the ledger's sum over components.
"""

from __future__ import annotations

from dataclasses import dataclass

from emu.errors import ScenarioError
from hw_models.checks import suggest
from hw_models.device import Device, OperatingPoint, SleepState


class PowerMeter:
    """Integrates total supply power over simulated time.

    Parameters
    ----------
    samples : bool
        Keep a (time, total power) sample at every change (for the trace's power counter).
    """

    def __init__(self, samples: bool = False) -> None:
        self.powers: dict[str, float] = {}
        self.energy_j = 0.0
        self.last_s = 0.0
        self.keep_samples = samples
        self.samples: list[tuple[float, float]] = []

    @property
    def power_w(self) -> float:
        return sum(self.powers.values())

    def advance(self, now_s: float) -> None:
        """Integrate the current power up to ``now_s``."""
        self.energy_j += self.power_w * (now_s - self.last_s)
        self.last_s = now_s

    def add(self, now_s: float, component: str, delta_w: float) -> None:
        """Change ``component``'s power by ``delta_w`` at ``now_s``."""
        self.advance(now_s)
        self.powers[component] = self.powers.get(component, 0.0) + delta_w
        if self.keep_samples:
            self.samples.append((now_s, max(self.power_w, 0.0)))


@dataclass(frozen=True)
class PowerStates:
    """The power states a session moves through, resolved from the device and the session settings.

    Attributes
    ----------
    point : OperatingPoint
        The operating point the session runs at.
    default_point : OperatingPoint
        The point the chip wakes up at (the device default); switching costs ``dvfs_transition_s``.
    sleep : SleepState or None
        The state before and after the session (None if the device lists none).
    """

    point: OperatingPoint
    default_point: OperatingPoint
    sleep: SleepState | None
    supply_voltage_v: float
    dvfs_transition_s: float

    @property
    def switches_point(self) -> bool:
        return self.point != self.default_point

    @property
    def wake_s(self) -> float:
        """Wake-up latency from the sleep state."""
        return self.sleep.wakeup_s if self.sleep else 0.0

    @property
    def wake_power_w(self) -> float:
        """Power during wake-up: the default point's run power (E: the core runs its wake-up path)."""
        return self.default_point.power_w

    @property
    def sleep_power_w(self) -> float:
        return self.sleep.current_a * self.supply_voltage_v if self.sleep else 0.0


def resolve_sleep(device: Device, name: str | None, source: str, field: str) -> SleepState | None:
    """The sleep state a scenario names (``None``: the device's first; ``None`` if it lists none).

    An unknown name raises :class:`ScenarioError` naming the scenario's ``source`` and ``field`` (say
    ``deployment.sleep_state``) with the device's own names and the closest of them.
    """
    options = [s.name for s in device.sleep_states]
    if name is None:
        return device.sleep_states[0] if device.sleep_states else None
    if name in options:
        return device.sleep_state(name)
    allowed = (
        f"a sleep state of {device.name}: {', '.join(options)}{suggest(str(name), options)}"
        if options
        else f"no sleep state: {device.name} lists none"
    )
    raise ScenarioError(source, field, name, f"{allowed} (tinyemu devices {device.name} lists them)")


def resolve_point(
    device: Device,
    clock_hz: float | None,
    index_or_label: int | str | None,
    source: str | None = None,
    fields: tuple[str, str] = ("session.clock_mhz", "session.operating_point"),
) -> OperatingPoint:
    """The operating point a session asks for.

    ``clock_hz`` equal to a point's clock selects the first such point; a lower clock is derived from the
    next faster point with the run current scaled in proportion to the clock (constant current per MHz,
    same voltage: the usual datasheet uA/MHz approximation). A clock above the fastest point is an error,
    as is an unknown index or label: the :class:`ScenarioError` names ``source`` (the scenario file;
    default the device name) and the scenario field of ``fields`` (clock field, operating-point field).
    """
    src = source or device.name
    clock_field, point_field = fields
    points = device.operating_points
    if index_or_label is not None:
        if isinstance(index_or_label, int):
            if 0 <= index_or_label < len(points):
                return points[index_or_label]
        else:
            for point in points:
                if point.label == index_or_label:
                    return point
        labels = [f"{i}: {p.label or f'{p.clock_hz / 1e6:g} MHz'}" for i, p in enumerate(points)]
        hint = suggest(index_or_label, [p.label for p in points]) if isinstance(index_or_label, str) else ""
        raise ScenarioError(
            src,
            point_field,
            index_or_label,
            f"an operating point of {device.name}, by index or label: {'; '.join(labels)}{hint}",
        )
    if clock_hz is None:
        return device.max_operating_point
    for point in points:
        if point.clock_hz == clock_hz:
            return point
    faster = [p for p in points if p.clock_hz > clock_hz]
    if not faster:
        raise ScenarioError(
            src,
            clock_field,
            clock_hz / 1e6,
            f"at most the fastest operating point of {device.name}, {device.clock_hz / 1e6:g} MHz",
        )
    base = min(faster, key=lambda p: p.clock_hz)
    return OperatingPoint(
        clock_hz=clock_hz,
        voltage_v=base.voltage_v,
        run_current_a=base.run_current_a * clock_hz / base.clock_hz,
        label=f"{clock_hz / 1e6:g} MHz, scaled from '{base.label}' at constant current per MHz",
        core_voltage_v=base.core_voltage_v,
    )
