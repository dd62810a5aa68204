"""The plot's state-of-charge timeline: at least hourly where the run recorded it, the JSON one unchanged."""

from pathlib import Path

import pytest

import emu
from emu.deploy.lifetime_result import DETAIL_STEP_S, TIMELINE_POINTS, detail_limit, thin

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_detail_limit_is_one_point_per_hour_of_span():
    day = [(0.0, 1.0), (86400.0 * 30, 0.5)]
    assert detail_limit(day) == max(TIMELINE_POINTS, 30 * 24 + 1)
    assert detail_limit([]) == TIMELINE_POINTS


def test_thinning_to_the_detail_limit_keeps_hourly_samples():
    points = [(600.0 * i, (i % 144) / 144) for i in range(144 * 60)]  # 60 days, a point every 10 min
    kept = thin(points, detail_limit(points))
    gaps = [b[0] - a[0] for a, b in zip(kept, kept[1:], strict=False)]
    assert max(gaps) <= DETAIL_STEP_S + 600.0 and len(kept) < len(points)


@pytest.fixture(scope="module")
def solar_year():
    return emu.lifetime(emu.Scenario.from_toml(EXAMPLES / "solar_vww.toml"), horizon_s="365d")


def test_a_solar_year_keeps_its_daily_cycle_in_the_plot_timeline(solar_year):
    detail = solar_year.soc_detail
    assert len(detail) > 4 * len(solar_year.soc_timeline)
    days = {}
    for t, soc in detail:
        days.setdefault(int(t // 86400), []).append(soc)
    swings = [max(v) - min(v) for d, v in days.items() if len(v) > 3]
    assert len(swings) > 300 and min(swings) > 0.0  # every day charges and drains
    assert "soc_detail" not in solar_year.to_dict()
    assert len(solar_year.to_dict()["soc_timeline"]) <= TIMELINE_POINTS + 1


def test_the_plot_title_names_the_supply(solar_year):
    from cli.render.lifetime import plot_title

    title = plot_title(solar_year).replace("\n", " ")
    assert "supercap" in title and solar_year.device in title and solar_year.model in title
