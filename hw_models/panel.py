"""A solar panel as data, and a harvester: a panel under an irradiance profile, in watts at the panel."""

from __future__ import annotations

from dataclasses import dataclass, field

from hw_models.checks import check_choice, check_number, check_text
from hw_models.errors import SpecError
from hw_models.solar import IrradianceProfile, irradiance_pieces

__all__ = ["PANEL_SETTINGS", "SolarHarvester", "SolarPanel"]

PANEL_SETTINGS: frozenset[str] = frozenset({"indoor", "outdoor"})


@dataclass(frozen=True)
class SolarPanel:
    """A photovoltaic panel.

    Attributes
    ----------
    name : str
    setting : str
        ``"indoor"`` (efficiency stated under artificial light) or ``"outdoor"`` (under sunlight).
    area_m2 : float
        Active area.
    efficiency : float
        Electrical power at the maximum power point over incident light power, in (0, 1), for the
        light of ``setting``.
    source : str
    source_path : str
    sources : dict[str, str]
    """

    name: str
    setting: str
    area_m2: float
    efficiency: float
    source: str = ""
    source_path: str = ""
    sources: dict[str, str] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        owner = self.source_path or f"SolarPanel {self.name!r}"
        check_text(owner, "name", self.name)
        check_choice(owner, "setting", self.setting, PANEL_SETTINGS)
        check_number(owner, "area_m2", self.area_m2)
        check_number(owner, "efficiency", self.efficiency)
        if self.efficiency >= 1:
            raise SpecError(
                owner, "efficiency", self.efficiency, "must be below 1 (a fraction, not a percent)"
            )

    def power_w(self, irradiance_w_per_m2: float) -> float:
        """Electrical power at ``irradiance_w_per_m2``: irradiance x area x efficiency."""
        return irradiance_w_per_m2 * self.area_m2 * self.efficiency


@dataclass(frozen=True)
class SolarHarvester:
    """A panel under an irradiance profile (a clear-sky day, office light or a measured trace).

    Parameters
    ----------
    panel : SolarPanel
    profile : IrradianceProfile
        :class:`hw_models.solar.ClearSkyProfile`, :class:`hw_models.solar.OfficeLightProfile` or
        :class:`hw_models.irradiance_trace.IrradianceTrace`.
    """

    panel: SolarPanel
    profile: IrradianceProfile

    def power_w(self, t_s: float) -> float:
        """Panel output at ``t_s``."""
        return self.panel.power_w(self.profile.irradiance_w_per_m2(t_s))

    def energy_j(self, t0_s: float, t1_s: float) -> float:
        """Panel output energy over ``[t0_s, t1_s]``."""
        return self.panel.power_w(self.profile.energy_j_per_m2(t0_s, t1_s))

    def pieces(self, t0_s: float, t1_s: float, max_piece_s: float = 3600.0) -> list[tuple[float, float]]:
        """``(duration_s, mean_power_w)`` pieces with exact means (see :func:`irradiance_pieces`)."""
        return [
            (d, self.panel.power_w(g)) for d, g in irradiance_pieces(self.profile, t0_s, t1_s, max_piece_s)
        ]
