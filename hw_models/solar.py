"""Light on a panel: a clear-sky outdoor day with seasons, or an office's artificial light.

Outdoor irradiance is global horizontal irradiance from the Haurwitz clear-sky model,
``GHI = 1098 cos(z) exp(-0.059 / cos(z))`` W/m^2 (Haurwitz 1945; found the best of the zenith-only
models by Reno, Hansen & Stein, SAND2012-2389, 2012), with the sun's zenith ``z`` from latitude, day
of year (declination ``23.45 deg sin(360 (284 + n) / 365)``, Cooper 1969) and solar time, scaled for
cloud cover ``N`` (0 clear to 1 overcast) by ``1 - 0.75 N^3.4`` (Kasten & Czeplak 1980). Time 0 is
local solar midnight at the start of ``start_day_of_year``; a year is 365 days.

Each profile gives the exact (or quadrature-exact) energy over any interval, and
:func:`irradiance_pieces` cuts an interval into a few constant pieces with exact means, so a day is
advanced in a few steps (night is one piece).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "DAY_S",
    "ClearSkyProfile",
    "IrradianceProfile",
    "OfficeLightProfile",
    "clear_sky_ghi_w_per_m2",
    "irradiance_pieces",
]

DAY_S = 86400.0
_WEEK_S = 7 * DAY_S
# Gauss-Legendre nodes and weights on [-1, 1] by Newton iteration on the Legendre polynomial
# (pure Python: hw_models does not import numpy). The lit part of a day is smooth: 20 nodes suffice.


def _gauss_legendre(n: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    nodes, weights = [], []
    for i in range(1, n + 1):
        x = math.cos(math.pi * (i - 0.25) / (n + 0.5))
        for _ in range(100):
            p0, p1 = 1.0, x
            for k in range(2, n + 1):
                p0, p1 = p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k
            dp = n * (x * p1 - p0) / (x * x - 1)
            dx = p1 / dp
            x -= dx
            if abs(dx) < 1e-16:
                break
        nodes.append(x)
        weights.append(2 / ((1 - x * x) * dp * dp))
    return tuple(nodes), tuple(weights)


_NODES, _WEIGHTS = _gauss_legendre(20)


class IrradianceProfile(Protocol):
    """Irradiance on the panel plane over time (W/m^2, seconds from the start of the run)."""

    def irradiance_w_per_m2(self, t_s: float) -> float:
        """Irradiance at ``t_s``."""
        ...

    def energy_j_per_m2(self, t0_s: float, t1_s: float) -> float:
        """Radiant exposure over ``[t0_s, t1_s]``."""
        ...

    def breakpoints(self, t0_s: float, t1_s: float) -> list[float]:
        """Times inside ``(t0_s, t1_s)`` where the profile switches on or off or has a kink."""
        ...


def clear_sky_ghi_w_per_m2(cos_zenith: float) -> float:
    """Haurwitz clear-sky global horizontal irradiance for the sun at ``cos_zenith`` (0 below the horizon)."""
    if cos_zenith <= 0:
        return 0.0
    return 1098.0 * cos_zenith * math.exp(-0.059 / cos_zenith)


def _declination_rad(day_of_year: int) -> float:
    return math.radians(23.45) * math.sin(2 * math.pi * (284 + day_of_year) / 365)


@dataclass(frozen=True)
class ClearSkyProfile:
    """Synthetic outdoor irradiance on a horizontal panel.

    Parameters
    ----------
    latitude_deg : float
        -90 to 90 (north positive).
    start_day_of_year : int
        1 to 365: the day at time 0 (1 = 1 January).
    cloud_cover : float
        0 (clear) to 1 (overcast), the Kasten & Czeplak scaling.
    """

    latitude_deg: float
    start_day_of_year: int = 1
    cloud_cover: float = 0.0

    def __post_init__(self) -> None:
        if not -90 <= self.latitude_deg <= 90:
            raise ValueError(f"latitude_deg must be within [-90, 90], got {self.latitude_deg!r}")
        if not 1 <= self.start_day_of_year <= 365:
            raise ValueError(f"start_day_of_year must be 1..365, got {self.start_day_of_year!r}")
        if not 0 <= self.cloud_cover <= 1:
            raise ValueError(f"cloud_cover must be within [0, 1], got {self.cloud_cover!r}")

    @property
    def cloud_factor(self) -> float:
        """``1 - 0.75 N^3.4`` (Kasten & Czeplak 1980)."""
        return 1 - 0.75 * self.cloud_cover**3.4

    def day_of_year(self, t_s: float) -> int:
        """Day of year (1..365) at ``t_s``."""
        return (self.start_day_of_year - 1 + int(t_s // DAY_S)) % 365 + 1

    def _daylight_s(self, day: int) -> tuple[float, float]:
        """Sunrise and sunset, seconds after that day's solar midnight."""
        phi, delta = math.radians(self.latitude_deg), _declination_rad(day)
        x = (
            -math.tan(phi) * math.tan(delta)
            if abs(self.latitude_deg) < 90
            else (-1.0 if delta * phi > 0 else 1.0)
        )
        half = math.acos(min(1.0, max(-1.0, x)))  # sunset hour angle, radians
        half_s = half / (2 * math.pi) * DAY_S
        return DAY_S / 2 - half_s, DAY_S / 2 + half_s

    def irradiance_w_per_m2(self, t_s: float) -> float:
        """Clear-sky GHI times the cloud factor at ``t_s``."""
        day = self.day_of_year(t_s)
        phi, delta = math.radians(self.latitude_deg), _declination_rad(day)
        omega = 2 * math.pi * ((t_s % DAY_S) / DAY_S - 0.5)
        cos_z = math.sin(phi) * math.sin(delta) + math.cos(phi) * math.cos(delta) * math.cos(omega)
        return clear_sky_ghi_w_per_m2(cos_z) * self.cloud_factor

    def energy_j_per_m2(self, t0_s: float, t1_s: float) -> float:
        """Radiant exposure: 20-point Gauss-Legendre on three panels of each day's lit part.

        The first and last tenth of the day's light are panels of their own: the irradiance rises
        from zero there like ``exp(-0.059 / cos z)``, which one polynomial fits poorly (a single panel
        is off by about 1e-6 of a day's energy, three panels by about 1e-9).
        """
        total = 0.0
        start = math.floor(t0_s / DAY_S) * DAY_S
        while start < t1_s:
            rise, set_ = self._daylight_s(self.day_of_year(start))
            tenth = (set_ - rise) / 10
            edges = (rise, rise + tenth, set_ - tenth, set_)
            phi, delta = math.radians(self.latitude_deg), _declination_rad(self.day_of_year(start))
            sin_part, cos_part = math.sin(phi) * math.sin(delta), math.cos(phi) * math.cos(delta)
            for lo, hi in zip(edges, edges[1:], strict=False):
                a, b = max(t0_s, start + lo), min(t1_s, start + hi)
                if b > a:
                    mid, half = (a + b) / 2 - start, (b - a) / 2
                    panel = 0.0
                    for x, w in zip(_NODES, _WEIGHTS, strict=True):
                        omega = 2 * math.pi * ((mid + half * x) / DAY_S - 0.5)
                        panel += w * clear_sky_ghi_w_per_m2(sin_part + cos_part * math.cos(omega))
                    total += half * panel * self.cloud_factor
            start += DAY_S
        return total

    def breakpoints(self, t0_s: float, t1_s: float) -> list[float]:
        """Sunrises and sunsets inside the interval."""
        points = []
        start = math.floor(t0_s / DAY_S) * DAY_S
        while start < t1_s:
            rise, set_ = self._daylight_s(self.day_of_year(start))
            points += [p for p in (start + rise, start + set_) if t0_s < p < t1_s]
            start += DAY_S
        return points


@dataclass(frozen=True)
class OfficeLightProfile:
    """Artificial light: constant irradiance during working hours, dark otherwise.

    Parameters
    ----------
    light_w_per_m2 : float
        Irradiance while lit (an office at 500 lux under white LEDs is roughly 1.5 W/m^2 at about 330 lm/W).
    on_hour, off_hour : float
        Lit from ``on_hour`` to ``off_hour`` each working day (0 <= on < off <= 24).
    days_per_week : int
        Working days from time 0 (a Monday, 00:00), 1..7.
    """

    light_w_per_m2: float
    on_hour: float = 8.0
    off_hour: float = 18.0
    days_per_week: int = 5

    def __post_init__(self) -> None:
        if not self.light_w_per_m2 >= 0 or not 0 <= self.on_hour < self.off_hour <= 24:
            raise ValueError("need light_w_per_m2 >= 0 and 0 <= on_hour < off_hour <= 24")
        if not 1 <= self.days_per_week <= 7:
            raise ValueError(f"days_per_week must be 1..7, got {self.days_per_week!r}")

    def _lit(self, day_start_s: float) -> tuple[float, float] | None:
        if int((day_start_s % _WEEK_S) // DAY_S) >= self.days_per_week:
            return None
        return day_start_s + self.on_hour * 3600, day_start_s + self.off_hour * 3600

    def irradiance_w_per_m2(self, t_s: float) -> float:
        """``light_w_per_m2`` while lit, else 0."""
        lit = self._lit(math.floor(t_s / DAY_S) * DAY_S)
        return self.light_w_per_m2 if lit and lit[0] <= t_s < lit[1] else 0.0

    def energy_j_per_m2(self, t0_s: float, t1_s: float) -> float:
        """Exact: lit seconds times the irradiance."""
        total, start = 0.0, math.floor(t0_s / DAY_S) * DAY_S
        while start < t1_s:
            lit = self._lit(start)
            if lit:
                total += max(0.0, min(t1_s, lit[1]) - max(t0_s, lit[0]))
            start += DAY_S
        return total * self.light_w_per_m2

    def breakpoints(self, t0_s: float, t1_s: float) -> list[float]:
        """Lights on and off inside the interval."""
        points, start = [], math.floor(t0_s / DAY_S) * DAY_S
        while start < t1_s:
            lit = self._lit(start)
            points += [p for p in (lit or ()) if t0_s < p < t1_s]
            start += DAY_S
        return points


def irradiance_pieces(
    profile: IrradianceProfile, t0_s: float, t1_s: float, max_piece_s: float = 3600.0
) -> list[tuple[float, float]]:
    """Cut ``[t0_s, t1_s]`` into ``(duration_s, mean_irradiance_w_per_m2)`` pieces with exact means.

    Pieces break at the profile's breakpoints (sunrise, sunset, lights on/off) and are at most
    ``max_piece_s`` long where lit; a dark stretch is one piece. The pieces' energies sum to
    ``profile.energy_j_per_m2(t0_s, t1_s)``.
    """
    if not t1_s >= t0_s or not max_piece_s > 0:
        raise ValueError("need t1_s >= t0_s and max_piece_s > 0")
    edges = [t0_s, *sorted(profile.breakpoints(t0_s, t1_s)), t1_s]
    pieces: list[tuple[float, float]] = []
    for a, b in zip(edges, edges[1:], strict=False):
        if b <= a:
            continue
        if profile.energy_j_per_m2(a, b) == 0:
            pieces.append((b - a, 0.0))
            continue
        n = max(1, math.ceil((b - a) / max_piece_s))
        for i in range(n):
            lo, hi = a + (b - a) * i / n, a + (b - a) * (i + 1) / n
            pieces.append((hi - lo, profile.energy_j_per_m2(lo, hi) / (hi - lo)))
    return pieces
