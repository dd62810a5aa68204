"""The regulator between the cell (or storage) and the chip: an LDO or a DC-DC (buck) converter.

An LDO passes the load current through and adds its quiescent current, so its efficiency is
``Vout * I / (Vin * (I + Iq))``. A buck converter's efficiency is read from the datasheet's
efficiency-versus-load curve (interpolated in log current; the curve already includes its quiescent
current); below the curve's lightest load the input current falls linearly to ``Iq`` at no load.
The curve holds for the datasheet's input and output voltages: other voltages are not modelled.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field, replace

from hw_models.checks import check_choice, check_number, check_text
from hw_models.errors import SpecError

__all__ = ["REGULATOR_KINDS", "Regulator"]

REGULATOR_KINDS: frozenset[str] = frozenset({"ldo", "buck"})


@dataclass(frozen=True)
class Regulator:
    """A voltage regulator.

    Attributes
    ----------
    name : str
    kind : str
        ``"ldo"`` or ``"buck"``.
    output_voltage_v : float
        The voltage the chip gets (use :meth:`with_output_voltage` to pick another within range).
    min_output_voltage_v, max_output_voltage_v : float
        The settable output range.
    min_input_voltage_v, max_input_voltage_v : float
        The input range (undervoltage lockout to maximum rating).
    dropout_voltage_v : float
        The input must stay ``dropout_voltage_v`` above the output (LDO dropout; 0 for a buck,
        which runs at 100 % duty down to its output).
    quiescent_current_a : float
        Input current at no load.
    max_output_current_a : float
    efficiency_load_current_a, efficiency : tuple[float, ...]
        Buck only: the efficiency curve, load currents rising, efficiencies in (0, 1].
    source : str
    source_path : str
    sources : dict[str, str]
    """

    name: str
    kind: str
    output_voltage_v: float
    min_output_voltage_v: float
    max_output_voltage_v: float
    min_input_voltage_v: float
    max_input_voltage_v: float
    dropout_voltage_v: float
    quiescent_current_a: float
    max_output_current_a: float
    efficiency_load_current_a: tuple[float, ...] = ()
    efficiency: tuple[float, ...] = ()
    source: str = ""
    source_path: str = ""
    sources: dict[str, str] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        owner = self.source_path or f"Regulator {self.name!r}"
        check_text(owner, "name", self.name)
        check_choice(owner, "kind", self.kind, REGULATOR_KINDS)
        for name in ("output_voltage_v", "min_output_voltage_v", "max_output_voltage_v"):
            check_number(owner, name, getattr(self, name))
        for name in ("min_input_voltage_v", "max_input_voltage_v", "max_output_current_a"):
            check_number(owner, name, getattr(self, name))
        check_number(owner, "dropout_voltage_v", self.dropout_voltage_v, allow_zero=True)
        check_number(owner, "quiescent_current_a", self.quiescent_current_a, allow_zero=True)
        if not self.min_output_voltage_v <= self.output_voltage_v <= self.max_output_voltage_v:
            raise SpecError(
                owner,
                "output_voltage_v",
                self.output_voltage_v,
                f"must be within [{self.min_output_voltage_v}, {self.max_output_voltage_v}] V",
            )
        if self.min_input_voltage_v >= self.max_input_voltage_v:
            raise SpecError(owner, "min_input_voltage_v", self.min_input_voltage_v, "must be below the max")
        loads, effs = tuple(self.efficiency_load_current_a), tuple(self.efficiency)
        if self.kind == "buck":
            if len(loads) < 2 or len(loads) != len(effs):
                raise SpecError(owner, "efficiency", effs, "a buck needs >= 2 curve points, one per load")
            if any(b <= a for a, b in zip(loads, loads[1:], strict=False)) or loads[0] <= 0:
                raise SpecError(owner, "efficiency_load_current_a", loads, "must be positive and rising")
            if any(not 0 < e <= 1 for e in effs):
                raise SpecError(owner, "efficiency", effs, "each must be within (0, 1]")
        elif loads or effs:
            raise SpecError(owner, "efficiency", effs, "an LDO's efficiency follows from Vout/Vin: omit")

    @property
    def required_input_voltage_v(self) -> float:
        """The lowest input at which the output holds: ``max(min_input, output + dropout)``."""
        return max(self.min_input_voltage_v, self.output_voltage_v + self.dropout_voltage_v)

    def with_output_voltage(self, voltage_v: float) -> Regulator:
        """The same part set to another output voltage (validated against its range)."""
        return replace(self, output_voltage_v=voltage_v)

    def _check(self, load_current_a: float, input_voltage_v: float) -> None:
        if not math.isfinite(load_current_a) or load_current_a < 0:
            raise ValueError(f"load_current_a must be finite and >= 0, got {load_current_a!r}")
        if not math.isfinite(input_voltage_v) or input_voltage_v <= 0:
            raise ValueError(f"input_voltage_v must be finite and > 0, got {input_voltage_v!r}")

    def _curve_efficiency(self, load_current_a: float) -> float:
        loads, effs = self.efficiency_load_current_a, self.efficiency
        if load_current_a <= loads[0]:
            return effs[0]
        if load_current_a >= loads[-1]:
            return effs[-1]
        i = bisect.bisect_right(loads, load_current_a) - 1
        w = math.log(load_current_a / loads[i]) / math.log(loads[i + 1] / loads[i])
        return effs[i] + w * (effs[i + 1] - effs[i])

    def input_current_a(self, load_current_a: float, input_voltage_v: float) -> float:
        """Current drawn from the input for ``load_current_a`` at the output.

        Parameters
        ----------
        load_current_a : float
            The chip's current at ``output_voltage_v``.
        input_voltage_v : float
            The cell or storage voltage.
        """
        self._check(load_current_a, input_voltage_v)
        if self.kind == "ldo":
            return load_current_a + self.quiescent_current_a
        first = self.efficiency_load_current_a[0]
        if load_current_a >= first:
            eff = self._curve_efficiency(load_current_a)
            return self.output_voltage_v * load_current_a / (eff * input_voltage_v)
        at_first = self.output_voltage_v * first / (self.efficiency[0] * input_voltage_v)
        iq = min(self.quiescent_current_a, at_first)
        return iq + (at_first - iq) * load_current_a / first

    def input_power_w(self, load_current_a: float, input_voltage_v: float) -> float:
        """Power drawn from the input: ``input_voltage_v * input_current_a(...)``."""
        return input_voltage_v * self.input_current_a(load_current_a, input_voltage_v)

    def efficiency_at(self, load_current_a: float, input_voltage_v: float) -> float:
        """Output power over input power (0 at no load)."""
        p_in = self.input_power_w(load_current_a, input_voltage_v)
        return 0.0 if p_in == 0 else self.output_voltage_v * load_current_a / p_in
